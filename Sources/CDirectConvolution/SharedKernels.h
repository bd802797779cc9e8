#ifndef SHARED_KERNELS_H
#define SHARED_KERNELS_H

// What the direct and Winograd convolutions share (internal to this target).

#include <immintrin.h>
#include <string.h>

#include "DirectConvolution.h"

// 4 channels x 2 vectors = 8 accumulators, 2 input vectors and 1 broadcast in registers. Measured
// on Zen 3 against 2x4, 2x5, 2x6, 4x3 and 8x1 (those spill registers or load more per FMA): best or tied.
enum { VECTOR = 8, VECTORS_PER_BLOCK = 2, BLOCK = VECTOR * VECTORS_PER_BLOCK, GROUP = DIRECT_CONVOLUTION_CHANNEL_GROUP };

// n rounded up to a whole number of `multiple`s (blocks, vectors).
static inline long round_up(long n, long multiple) { return (n + multiple - 1) / multiple * multiple; }

// The public 3x3 kernels (DirectConvolution.h) share one parameter list; each runs its AVX2
// implementation. Without x86 they are never called (direct_convolution_available() is 0).
#define CONVOLUTION_PARAMETERS const float *input, long in_channel_stride, long in_image_stride, \
    int in_channels, int image_count, int height, int width, const float *packed_weight, int out_channels, \
    float *output, long out_channel_stride, long out_image_stride, direct_convolution_epilogue epilogue, float *scratch
#if defined(__x86_64__) || defined(__i386__)
#define CONVOLUTION_ENTRY_POINT(name, implementation) \
    void name(CONVOLUTION_PARAMETERS) { \
        implementation(input, in_channel_stride, in_image_stride, in_channels, image_count, height, width, \
                       packed_weight, out_channels, output, out_channel_stride, out_image_stride, epilogue, scratch); \
    }
#else
#define CONVOLUTION_ENTRY_POINT(name, implementation) void name(CONVOLUTION_PARAMETERS) {}
#endif

#if defined(__x86_64__) || defined(__i386__)

// tile[o][8v + k] = sum over c and taps of w[c][tap][o] * in[c * channel_stride + shift(tap) + 8v + k],
// o < GROUP, v < vectors: with 9 taps, shift(dy * 3 + dx) = dy * row_stride + dx (a 3x3 convolution
// on a zero-bordered plane) or tap_offsets[tap] when given (stride 2, on phase planes); with 1 tap,
// shift = 0 (a matrix product, Winograd's element-wise stage).
// `vectors` and `taps` are constants at every call site, so each instantiation is fully unrolled.
__attribute__((target("avx2,fma"), always_inline))
static inline void register_block(const float *in, long channel_stride, int in_channels, int row_stride,
                                  const long *tap_offsets, const float *weights, float *tile, long tile_stride,
                                  const int vectors, const int taps) {
    __m256 acc[GROUP][VECTORS_PER_BLOCK];
    for (int o = 0; o < GROUP; o++)
        for (int v = 0; v < VECTORS_PER_BLOCK; v++) acc[o][v] = _mm256_setzero_ps();
    const float *w = weights;
    for (int c = 0; c < in_channels; c++) {
        const float *channel = in + c * channel_stride;
        for (int tap = 0; tap < taps; tap++) {
            const float *p = taps == 1 ? channel
                           : tap_offsets ? channel + tap_offsets[tap] : channel + (tap / 3) * row_stride + tap % 3;
            __m256 x[VECTORS_PER_BLOCK];
            for (int v = 0; v < vectors; v++) x[v] = _mm256_loadu_ps(p + v * VECTOR);
            for (int o = 0; o < GROUP; o++) {
                __m256 wo = _mm256_broadcast_ss(w + o);
                for (int v = 0; v < vectors; v++) acc[o][v] = _mm256_fmadd_ps(wo, x[v], acc[o][v]);
            }
            w += GROUP;
        }
    }
    for (int o = 0; o < GROUP; o++)
        for (int v = 0; v < vectors; v++) _mm256_storeu_ps(tile + o * tile_stride + v * VECTOR, acc[o][v]);
}

// Image planes copied into zero-bordered planes of padded_rows x padded_width: image row y goes to
// padded row y + 1 from column 1; everything else is zero.
__attribute__((target("avx2,fma")))
static inline void pad_image(const float *image, long channel_stride, int channels, int height, int width,
                             float *padded, int padded_rows, int padded_width) {
    const long plane = (long)padded_rows * padded_width;
    for (int c = 0; c < channels; c++) {
        const float *source = image + c * channel_stride;
        float *target = padded + c * plane;
        memset(target, 0, padded_width * sizeof(float));
        for (int y = 0; y < height; y++) {
            float *row = target + (long)(y + 1) * padded_width;
            const float *from = source + (long)y * width;
            row[0] = 0;
            // A plain loop, not memcpy: rows are 7 to 32 floats, where the call costs more than the copy.
            for (int x = 0; x < width; x++) row[x + 1] = from[x];
            for (int x = width + 1; x < padded_width; x++) row[x] = 0;
        }
        memset(target + (long)(height + 1) * padded_width, 0,
               (long)(padded_rows - height - 1) * padded_width * sizeof(float));
    }
}

// e^x for x <= 0, as FloatKernels.expNonPositive: Cody-Waite reduction, Cephes' expf polynomial,
// 2^k in the exponent bits; 0 below ln(FLT_MIN). Same constants, same order of operations.
__attribute__((target("avx2,fma"), always_inline))
static inline __m256 exp_nonpositive(__m256 x) {
    const __m256 underflow = _mm256_set1_ps(-87.33654f);
    const __m256 below = _mm256_cmp_ps(x, underflow, _CMP_LT_OQ);
    const __m256 xc = _mm256_blendv_ps(x, underflow, below);
    const __m256 shift = _mm256_set1_ps(12582912.0f);
    const __m256 shifted = _mm256_add_ps(_mm256_mul_ps(xc, _mm256_set1_ps(1.44269504f)), shift);
    const __m256 k = _mm256_sub_ps(shifted, shift);
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
    const __m256 result = _mm256_mul_ps(exp_r, _mm256_castsi256_ps(_mm256_slli_epi32(biased, 23)));
    return _mm256_andnot_ps(below, result);
}

// ReLU (x < 0 ? 0 : x: NaN passes, as torch.relu), Swish and Mish as FloatKernels computes them.
__attribute__((target("avx2,fma"), always_inline))
static inline __m256 activate(__m256 x, int activation) {
    switch (activation) {
    case DIRECT_CONVOLUTION_RELU:
        return _mm256_andnot_ps(_mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_LT_OQ), x);
    case DIRECT_CONVOLUTION_SWISH: {
        const __m256 m = exp_nonpositive(_mm256_or_ps(x, _mm256_set1_ps(-0.0f)));   // e^-|x|
        const __m256 nonnegative = _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_GE_OQ);
        const __m256 numerator = _mm256_blendv_ps(m, _mm256_set1_ps(1), nonnegative);
        return _mm256_mul_ps(x, _mm256_div_ps(numerator, _mm256_add_ps(_mm256_set1_ps(1), m)));
    }
    case DIRECT_CONVOLUTION_MISH: {
        const __m256 m = exp_nonpositive(_mm256_or_ps(x, _mm256_set1_ps(-0.0f)));
        const __m256 m2 = _mm256_mul_ps(m, m), two_m = _mm256_mul_ps(_mm256_set1_ps(2), m);
        const __m256 one = _mm256_set1_ps(1), two = _mm256_set1_ps(2);
        const __m256 nonnegative = _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_GE_OQ);
        const __m256 one_plus_two_m = _mm256_add_ps(one, two_m);
        const __m256 numerator = _mm256_blendv_ps(_mm256_add_ps(m2, two_m), one_plus_two_m, nonnegative);
        const __m256 denominator = _mm256_blendv_ps(_mm256_add_ps(_mm256_add_ps(m2, two_m), two),
                                                    _mm256_add_ps(one_plus_two_m, _mm256_mul_ps(two, m2)), nonnegative);
        return _mm256_mul_ps(x, _mm256_div_ps(numerator, denominator));
    }
    default:
        return x;
    }
}

// One output row through the epilogue: += sums (no bias), or = activation(sums + bias (+ residual)).
__attribute__((target("avx2,fma"), always_inline))
static inline void epilogue_row(float *to, const float *sums, int count, const direct_convolution_epilogue *epilogue,
                                int channel, const float *residual_row) {
    if (!epilogue->bias) {
        for (int x = 0; x < count; x++) to[x] += sums[x];
        return;
    }
    const float bias = epilogue->bias[channel];
    const __m256 bias8 = _mm256_set1_ps(bias);
    int x = 0;
    for (; x + 8 <= count; x += 8) {
        __m256 value = _mm256_add_ps(_mm256_loadu_ps(sums + x), bias8);
        if (residual_row) value = _mm256_add_ps(value, _mm256_loadu_ps(residual_row + x));
        _mm256_storeu_ps(to + x, activate(value, epilogue->activation));
    }
    if (x < count) {   // the last few through the same vector code, so every value gets the same bits
        float buffer[8] = {0};
        for (int i = 0; x + i < count; i++) {
            buffer[i] = sums[x + i] + bias;
            if (residual_row) buffer[i] += residual_row[x + i];
        }
        _mm256_storeu_ps(buffer, activate(_mm256_loadu_ps(buffer), epilogue->activation));
        for (int i = 0; x + i < count; i++) to[x + i] = buffer[i];
    }
}

// A plane of sums (rows sums_row_stride apart) through the epilogue onto height x width output rows.
__attribute__((target("avx2,fma"), always_inline))
static inline void epilogue_plane(float *output, const float *sums, long sums_row_stride, int height, int width,
                                  const direct_convolution_epilogue *epilogue, int channel, const float *residual) {
    for (int y = 0; y < height; y++)
        epilogue_row(output + (long)y * width, sums + (long)y * sums_row_stride, width, epilogue, channel,
                     residual ? residual + (long)y * width : 0);
}

#endif

#endif
