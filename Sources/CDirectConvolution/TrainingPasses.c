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

// Σ x (and Σ x·y, or Σ x² when y is x) of `images` contiguous planes into partials[b·stride], [b·stride + 1].
// Two planes at a time: their chains are independent, so the adds' latency overlaps; each plane's
// sums keep the order of the contract above.
AVX2 static inline void plane_moments(const float *x, const float *y, long plane, long images, double *partials,
                                      long stride) {
    long b = 0;
    for (; b + 2 <= images; b += 2) {
        const float *x0 = x + b * plane, *y0 = y + b * plane, *x1 = x0 + plane, *y1 = y0 + plane;
        __m256d s0 = _mm256_setzero_pd(), d0 = _mm256_setzero_pd(), s1 = _mm256_setzero_pd(), d1 = _mm256_setzero_pd();
        long j = 0;
        for (; j + 4 <= plane; j += 4) {
            __m256d v0 = _mm256_cvtps_pd(_mm_loadu_ps(x0 + j)), w0 = _mm256_cvtps_pd(_mm_loadu_ps(y0 + j));
            __m256d v1 = _mm256_cvtps_pd(_mm_loadu_ps(x1 + j)), w1 = _mm256_cvtps_pd(_mm_loadu_ps(y1 + j));
            s0 = _mm256_add_pd(s0, v0);
            d0 = _mm256_add_pd(d0, _mm256_mul_pd(v0, w0));
            s1 = _mm256_add_pd(s1, v1);
            d1 = _mm256_add_pd(d1, _mm256_mul_pd(v1, w1));
        }
        double t0 = lanes_sum(s0), p0 = lanes_sum(d0), t1 = lanes_sum(s1), p1 = lanes_sum(d1);
        for (; j < plane; j++) {
            t0 += (double)x0[j];
            p0 += (double)x0[j] * (double)y0[j];
            t1 += (double)x1[j];
            p1 += (double)x1[j] * (double)y1[j];
        }
        partials[b * stride] = t0;
        partials[b * stride + 1] = p0;
        partials[(b + 1) * stride] = t1;
        partials[(b + 1) * stride + 1] = p1;
    }
    for (; b < images; b++) {
        const float *x0 = x + b * plane, *y0 = y + b * plane;
        __m256d s0 = _mm256_setzero_pd(), d0 = _mm256_setzero_pd();
        long j = 0;
        for (; j + 4 <= plane; j += 4) {
            __m256d v0 = _mm256_cvtps_pd(_mm_loadu_ps(x0 + j)), w0 = _mm256_cvtps_pd(_mm_loadu_ps(y0 + j));
            s0 = _mm256_add_pd(s0, v0);
            d0 = _mm256_add_pd(d0, _mm256_mul_pd(v0, w0));
        }
        double t0 = lanes_sum(s0), p0 = lanes_sum(d0);
        for (; j < plane; j++) {
            t0 += (double)x0[j];
            p0 += (double)x0[j] * (double)y0[j];
        }
        partials[b * stride] = t0;
        partials[b * stride + 1] = p0;
    }
}

AVX2 void landscape_plane_sums_and_squares(const float *x, long plane, long images, double *partials, long stride) {
    plane_moments(x, x, plane, images, partials, stride);
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
    plane_moments(g, z, plane, images, partials, stride);
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
void landscape_normalize_rectify(const float *z, long n, float mean, float scale, float shift,
                                 const float *residual, float slope, float *target) {
    (void)z; (void)n; (void)mean; (void)scale; (void)shift; (void)residual; (void)slope; (void)target;
}
void landscape_rectify_backward_moments(float *g, const float *a, const float *z, long plane, long images,
                                        float slope, double *partials, long stride) {
    (void)g; (void)a; (void)z; (void)plane; (void)images; (void)slope; (void)partials; (void)stride;
}
void landscape_plane_sums_and_squares(const float *x, long plane, long images, double *partials, long stride) {
    (void)x; (void)plane; (void)images; (void)partials; (void)stride;
}
void landscape_batch_norm_input_gradient(float *g, const float *z, long n, float kdy, float kz, float mean, float k0) {
    (void)g; (void)z; (void)n; (void)kdy; (void)kz; (void)mean; (void)k0;
}

#endif
