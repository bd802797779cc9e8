// The training passes of TrainingPasses.h on AVX2 (see there for the bit-for-bit contract).
#include "TrainingPasses.h"
#include "CPUFeatures.h"

#pragma clang fp contract(off)

#if defined(__x86_64__)
#include <immintrin.h>

int landscape_training_passes_available(void) {
    static int cached = -1;
    int value = __atomic_load_n(&cached, __ATOMIC_RELAXED);
    if (value < 0) {
        landscape_cpu_features features;
        landscape_cpu_features_read(&features);
        // AVX state (XCR0 bits 1 and 2) saved by the OS.
        value = features.avx2 && features.osxsave && (features.xcr0 & 6) == 6;
        __atomic_store_n(&cached, value, __ATOMIC_RELAXED);
    }
    return value;
}

#define AVX2 __attribute__((target("avx2")))

AVX2 static inline double lanes_sum(__m256d v) {
    double lane[4];
    _mm256_storeu_pd(lane, v);
    return ((lane[0] + lane[1]) + lane[2]) + lane[3];
}

AVX2 void landscape_sum_and_squares(const float *x, long n, double *sum, double *squares) {
    __m256d s = _mm256_setzero_pd(), q = _mm256_setzero_pd();
    long i = 0;
    for (; i + 4 <= n; i += 4) {
        __m256d v = _mm256_cvtps_pd(_mm_loadu_ps(x + i));
        s = _mm256_add_pd(s, v);
        q = _mm256_add_pd(q, _mm256_mul_pd(v, v));
    }
    double total = lanes_sum(s), total2 = lanes_sum(q);
    for (; i < n; i++) {
        double v = (double)x[i];
        total += v;
        total2 += v * v;
    }
    *sum = total;
    *squares = total2;
}

// f(x) = x < 0 ? slope·x : x; slope 0 is ReLU's x < 0 ? 0 : x (+0, not 0·x = −0), −0 and NaN kept as they are.
AVX2 static inline __m256 rectify8(__m256 x, __m256 slope, int leaky) {
    __m256 negative = _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_LT_OQ);
    return _mm256_blendv_ps(x, leaky ? _mm256_mul_ps(slope, x) : _mm256_setzero_ps(), negative);
}

static inline float rectify1(float x, float slope) { return x < 0 ? (slope == 0 ? 0 : slope * x) : x; }

AVX2 void landscape_normalize_rectify(const float *z, long n, float mean, float scale, float shift,
                                      const float *residual, float slope, float *target) {
    const __m256 m = _mm256_set1_ps(mean), k = _mm256_set1_ps(scale), b = _mm256_set1_ps(shift);
    const __m256 s = _mm256_set1_ps(slope);
    const int leaky = slope != 0;
    long i = 0;
    if (residual) {
        for (; i + 8 <= n; i += 8) {
            __m256 y = _mm256_add_ps(_mm256_add_ps(_mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(z + i), m), k), b),
                                     _mm256_loadu_ps(residual + i));
            _mm256_storeu_ps(target + i, rectify8(y, s, leaky));
        }
        for (; i < n; i++) target[i] = rectify1((z[i] - mean) * scale + shift + residual[i], slope);
    } else {
        for (; i + 8 <= n; i += 8) {
            __m256 y = _mm256_add_ps(_mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(z + i), m), k), b);
            _mm256_storeu_ps(target + i, rectify8(y, s, leaky));
        }
        for (; i < n; i++) target[i] = rectify1((z[i] - mean) * scale + shift, slope);
    }
}

AVX2 void landscape_rectify_backward_moments(float *g, const float *a, const float *z, long plane, long images,
                                             float slope, double *partials, long stride) {
    const __m256 zero = _mm256_setzero_ps(), one = _mm256_set1_ps(1), s = _mm256_set1_ps(slope);
    // f' in place over all planes at once (contiguous), then each plane's moments.
    long n = plane * images, i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 derivative = _mm256_blendv_ps(s, one, _mm256_cmp_ps(_mm256_loadu_ps(a + i), zero, _CMP_GT_OQ));
        _mm256_storeu_ps(g + i, _mm256_mul_ps(_mm256_loadu_ps(g + i), derivative));
    }
    for (; i < n; i++) g[i] = g[i] * (a[i] > 0 ? 1.0f : slope);
    for (long b = 0; b < images; b++) {
        const float *x = g + b * plane, *y = z + b * plane;
        __m256d sum = _mm256_setzero_pd(), dot = _mm256_setzero_pd();
        long j = 0;
        for (; j + 4 <= plane; j += 4) {
            __m256d v = _mm256_cvtps_pd(_mm_loadu_ps(x + j)), w = _mm256_cvtps_pd(_mm_loadu_ps(y + j));
            sum = _mm256_add_pd(sum, v);
            dot = _mm256_add_pd(dot, _mm256_mul_pd(v, w));
        }
        double total = lanes_sum(sum), product = lanes_sum(dot);
        for (; j < plane; j++) {
            total += (double)x[j];
            product += (double)x[j] * (double)y[j];
        }
        partials[b * stride] = total;
        partials[b * stride + 1] = product;
    }
}

AVX2 void landscape_batch_norm_input_gradient(float *g, const float *z, long n, float kdy, float kz, float mean,
                                              float k0) {
    const __m256 a = _mm256_set1_ps(kdy), b = _mm256_set1_ps(kz), m = _mm256_set1_ps(mean), c = _mm256_set1_ps(k0);
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 v = _mm256_add_ps(_mm256_add_ps(_mm256_mul_ps(a, _mm256_loadu_ps(g + i)),
                                               _mm256_mul_ps(b, _mm256_sub_ps(_mm256_loadu_ps(z + i), m))), c);
        _mm256_storeu_ps(g + i, v);
    }
    for (; i < n; i++) g[i] = kdy * g[i] + kz * (z[i] - mean) + k0;
}

#else

int landscape_training_passes_available(void) { return 0; }
void landscape_sum_and_squares(const float *x, long n, double *sum, double *squares) {
    (void)x; (void)n; *sum = 0; *squares = 0;
}
void landscape_normalize_rectify(const float *z, long n, float mean, float scale, float shift,
                                 const float *residual, float slope, float *target) {
    (void)z; (void)n; (void)mean; (void)scale; (void)shift; (void)residual; (void)slope; (void)target;
}
void landscape_rectify_backward_moments(float *g, const float *a, const float *z, long plane, long images,
                                        float slope, double *partials, long stride) {
    (void)g; (void)a; (void)z; (void)plane; (void)images; (void)slope; (void)partials; (void)stride;
}
void landscape_batch_norm_input_gradient(float *g, const float *z, long n, float kdy, float kz, float mean, float k0) {
    (void)g; (void)z; (void)n; (void)kdy; (void)kz; (void)mean; (void)k0;
}

#endif
