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

// e^x for x ≤ 0 (FloatKernels.expNonPositive): 0 below the underflow threshold.
AVX2 static inline __m256 exp_non_positive8(__m256 x) {
    const __m256 underflow = _mm256_set1_ps(-87.33654f), rounding = _mm256_set1_ps(12582912.0f);
    const __m256 below = _mm256_cmp_ps(x, underflow, _CMP_LT_OQ);
    const __m256 xc = _mm256_blendv_ps(x, underflow, below);
    const __m256 shifted = _mm256_add_ps(_mm256_mul_ps(xc, _mm256_set1_ps(1.44269504f)), rounding);
    const __m256 k = _mm256_sub_ps(shifted, rounding);
    const __m256 r = _mm256_sub_ps(_mm256_sub_ps(xc, _mm256_mul_ps(k, _mm256_set1_ps(0.693359375f))),
                                   _mm256_mul_ps(k, _mm256_set1_ps(-2.1219444e-4f)));
    __m256 p = _mm256_set1_ps(1.98756915e-4f);
    p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(1.39819995e-3f));
    p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(8.3334519e-3f));
    p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(4.1665796e-2f));
    p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(1.6666665e-1f));
    p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(5.0000001e-1f));
    const __m256 exp_r = _mm256_add_ps(_mm256_add_ps(_mm256_mul_ps(p, _mm256_mul_ps(r, r)), r), _mm256_set1_ps(1));
    const __m256i biased = _mm256_add_epi32(_mm256_sub_epi32(_mm256_castps_si256(shifted), _mm256_set1_epi32(0x4B400000)),
                                            _mm256_set1_epi32(127));
    const __m256 two_to_k = _mm256_castsi256_ps(_mm256_slli_epi32(biased, 23));
    return _mm256_blendv_ps(_mm256_mul_ps(exp_r, two_to_k), _mm256_setzero_ps(), below);
}

// m = e^−|x| (−|x|: the sign bit set, NaN stays NaN) and the lanes where x ≥ 0.
AVX2 static inline __m256 exp_negative_magnitude8(__m256 x, __m256 *positive) {
    *positive = _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_GE_OQ);
    return exp_non_positive8(_mm256_or_ps(x, _mm256_set1_ps(-0.0f)));
}

// Mish's numerator and denominator of tanh(softplus(x)) from m, m² and the sign's lanes.
AVX2 static inline void mish_terms8(__m256 m, __m256 m2, __m256 positive, __m256 *numerator, __m256 *denominator) {
    const __m256 one = _mm256_set1_ps(1), two = _mm256_set1_ps(2), two_m = _mm256_mul_ps(two, m);
    *numerator = _mm256_blendv_ps(_mm256_add_ps(m2, two_m), _mm256_add_ps(one, two_m), positive);
    *denominator = _mm256_blendv_ps(_mm256_add_ps(_mm256_add_ps(m2, two_m), two),
                                    _mm256_add_ps(_mm256_add_ps(one, two_m), _mm256_mul_ps(two, m2)), positive);
}

AVX2 static inline __m256 smooth8(__m256 x, int kind) {
    const __m256 one = _mm256_set1_ps(1);
    __m256 positive;
    const __m256 m = exp_negative_magnitude8(x, &positive);
    if (kind == LANDSCAPE_SMOOTH_SWISH)
        return _mm256_mul_ps(x, _mm256_div_ps(_mm256_blendv_ps(m, one, positive), _mm256_add_ps(one, m)));
    __m256 numerator, denominator;
    mish_terms8(m, _mm256_mul_ps(m, m), positive, &numerator, &denominator);
    return _mm256_mul_ps(x, _mm256_div_ps(numerator, denominator));
}

AVX2 static inline __m256 smooth_derivative8(__m256 x, int kind) {
    const __m256 one = _mm256_set1_ps(1);
    __m256 positive;
    const __m256 m = exp_negative_magnitude8(x, &positive);
    if (kind == LANDSCAPE_SMOOTH_SWISH) {
        const __m256 inverse = _mm256_div_ps(one, _mm256_add_ps(one, m));
        const __m256 sigmoid = _mm256_mul_ps(_mm256_blendv_ps(m, one, positive), inverse);
        const __m256 one_minus_sigmoid = _mm256_mul_ps(_mm256_blendv_ps(one, m, positive), inverse);
        return _mm256_add_ps(sigmoid, _mm256_mul_ps(_mm256_mul_ps(x, sigmoid), one_minus_sigmoid));
    }
    const __m256 m2 = _mm256_mul_ps(m, m);
    __m256 numerator, denominator;
    mish_terms8(m, m2, positive, &numerator, &denominator);
    const __m256 delta_numerator = _mm256_mul_ps(_mm256_mul_ps(_mm256_set1_ps(4), _mm256_blendv_ps(m, m2, positive)),
                                                 _mm256_add_ps(one, m));
    const __m256 inverse = _mm256_div_ps(one, denominator);
    return _mm256_add_ps(_mm256_mul_ps(numerator, inverse),
                         _mm256_mul_ps(x, _mm256_mul_ps(_mm256_mul_ps(delta_numerator, inverse), inverse)));
}

// The last n % 8 elements through the same lanes (zero-padded): element by element the same bits.
AVX2 static inline __m256 load_tail(const float *p, long count) {
    float lanes[8] = {0};
    for (long j = 0; j < count; j++) lanes[j] = p[j];
    return _mm256_loadu_ps(lanes);
}

AVX2 static inline void store_tail(float *p, __m256 v, long count) {
    float lanes[8];
    _mm256_storeu_ps(lanes, v);
    for (long j = 0; j < count; j++) p[j] = lanes[j];
}

AVX2 void landscape_smooth_activation(const float *source, float *target, long n, int kind) {
    long i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(target + i, smooth8(_mm256_loadu_ps(source + i), kind));
    if (i < n) store_tail(target + i, smooth8(load_tail(source + i, n - i), kind), n - i);
}

AVX2 void landscape_smooth_activation_backward(const float *x, const float *upstream, float *downstream, long n,
                                               int kind) {
    long i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(downstream + i,
                         _mm256_mul_ps(_mm256_loadu_ps(upstream + i), smooth_derivative8(_mm256_loadu_ps(x + i), kind)));
    if (i < n)
        store_tail(downstream + i,
                   _mm256_mul_ps(load_tail(upstream + i, n - i), smooth_derivative8(load_tail(x + i, n - i), kind)), n - i);
}

AVX2 void landscape_normalize_smooth(const float *z, long n, float mean, float scale, float shift, const float *residual,
                                     int kind, float *y, float *a) {
    const __m256 m = _mm256_set1_ps(mean), k = _mm256_set1_ps(scale), b = _mm256_set1_ps(shift);
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 v = _mm256_add_ps(_mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(z + i), m), k), b);
        if (residual) v = _mm256_add_ps(v, _mm256_loadu_ps(residual + i));
        _mm256_storeu_ps(y + i, v);
        _mm256_storeu_ps(a + i, smooth8(v, kind));
    }
    if (i < n) {
        for (long j = i; j < n; j++) y[j] = residual ? (z[j] - mean) * scale + shift + residual[j] : (z[j] - mean) * scale + shift;
        store_tail(a + i, smooth8(load_tail(y + i, n - i), kind), n - i);
    }
}

AVX2 void landscape_smooth_backward_moments(float *g, const float *y, const float *z, long plane, long images, int kind,
                                            double *partials, long stride) {
    landscape_smooth_activation_backward(y, g, g, plane * images, kind);
    plane_moments(g, z, plane, images, partials, stride);
}

#else

int landscape_training_passes_available(void) { return 0; }
void landscape_smooth_activation(const float *source, float *target, long n, int kind) {
    (void)source; (void)target; (void)n; (void)kind;
}
void landscape_smooth_activation_backward(const float *x, const float *upstream, float *downstream, long n, int kind) {
    (void)x; (void)upstream; (void)downstream; (void)n; (void)kind;
}
void landscape_normalize_smooth(const float *z, long n, float mean, float scale, float shift, const float *residual,
                                int kind, float *y, float *a) {
    (void)z; (void)n; (void)mean; (void)scale; (void)shift; (void)residual; (void)kind; (void)y; (void)a;
}
void landscape_smooth_backward_moments(float *g, const float *y, const float *z, long plane, long images, int kind,
                                       double *partials, long stride) {
    (void)g; (void)y; (void)z; (void)plane; (void)images; (void)kind; (void)partials; (void)stride;
}
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
