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

// Short rows (7 to 35 floats) copied and zeroed with unaligned vector stores: whole vectors, then one
// last vector flush with the row's end (overlapping what is already written). Plain loops here became
// memcpy/memset calls, which cost more than the work on rows this short (3-4 % of a surface's time).
__attribute__((target("avx2,fma"), always_inline))
static inline void zero_floats(float *to, long count) {
    if (count < VECTOR) {   // a fixed-length loop: one over `count` would become a memset call again
        for (int i = 0; i < VECTOR; i++)
            if (i < count) to[i] = 0;
        return;
    }
    __m256 zero = _mm256_setzero_ps();
    __asm__("" : "+x"(zero));   // hides the constant: a loop storing known zeros would become a memset call
    for (long i = 0; i + VECTOR < count; i += VECTOR) _mm256_storeu_ps(to + i, zero);
    _mm256_storeu_ps(to + count - VECTOR, zero);
}

__attribute__((target("avx2,fma"), always_inline))
static inline void copy_floats(float *to, const float *from, long count) {
    if (count < VECTOR) {
        for (int i = 0; i < VECTOR; i++)
            if (i < count) to[i] = from[i];
        return;
    }
    for (long i = 0; i + VECTOR < count; i += VECTOR) _mm256_storeu_ps(to + i, _mm256_loadu_ps(from + i));
    _mm256_storeu_ps(to + count - VECTOR, _mm256_loadu_ps(from + count - VECTOR));
}

// Image planes copied into zero-bordered planes of padded_rows x padded_width: image row y goes to
// padded row y + 1 from column 1; everything else is zero. Out of line: once per image, and inlined
// into the kernels its loops changed their register allocation (-9 % measured on the Winograd kernel).
__attribute__((target("avx2,fma"), noinline, unused))   // unused: not every file that includes this pads images
static void pad_image(const float *image, long channel_stride, int channels, int height, int width,
                             float *padded, int padded_rows, int padded_width) {
    const long plane = (long)padded_rows * padded_width;
    for (int c = 0; c < channels; c++) {
        const float *source = image + c * channel_stride;
        float *target = padded + c * plane;
        zero_floats(target, padded_width);
        for (int y = 0; y < height; y++) {
            float *row = target + (long)(y + 1) * padded_width;
            row[0] = 0;
            copy_floats(row + 1, source + (long)y * width, width);
            zero_floats(row + width + 1, padded_width - width - 1);
        }
        zero_floats(target + (long)(height + 1) * padded_width, (long)(padded_rows - height - 1) * padded_width);
    }
}

// e^x for x <= 0 (callers pass -|x|): x = k ln2 + r by Cody-Waite (k rounded by the 1.5 * 2^23 shift),
// Cephes' expf polynomial for e^r with every step an FMA, 2^k built in the exponent bits; 0 below
// ln(FLT_MIN), NaN passes. Avx512Kernels.h has the same operations in the same order on 16 lanes,
// so the two ISAs give the same bits (the tests check it); within 2 ulp of e^x (tested against float64).
// Not the Swift FloatKernels' bits any more: those round mul and add separately (twice the operations).
#define EXP_UNDERFLOW -87.33654f
#define EXP_SHIFT 12582912.0f
#define EXP_LOG2E 1.44269504f
#define EXP_LN2_HIGH -0.693359375f
#define EXP_LN2_LOW 2.1219444e-4f
#define EXP_P0 1.98756915e-4f
#define EXP_P1 1.39819995e-3f
#define EXP_P2 8.3334519e-3f
#define EXP_P3 4.1665796e-2f
#define EXP_P4 1.6666665e-1f
#define EXP_P5 5.0000001e-1f
__attribute__((target("avx2,fma"), always_inline))
static inline __m256 exp_nonpositive(__m256 x) {
    const __m256 below = _mm256_cmp_ps(x, _mm256_set1_ps(EXP_UNDERFLOW), _CMP_LT_OQ);
    const __m256 xc = _mm256_max_ps(_mm256_set1_ps(EXP_UNDERFLOW), x);   // NaN x stays NaN (max returns its 2nd operand)
    const __m256 shifted = _mm256_fmadd_ps(xc, _mm256_set1_ps(EXP_LOG2E), _mm256_set1_ps(EXP_SHIFT));
    const __m256 k = _mm256_sub_ps(shifted, _mm256_set1_ps(EXP_SHIFT));
    const __m256 r = _mm256_fmadd_ps(k, _mm256_set1_ps(EXP_LN2_LOW), _mm256_fmadd_ps(k, _mm256_set1_ps(EXP_LN2_HIGH), xc));
    __m256 p = _mm256_fmadd_ps(_mm256_set1_ps(EXP_P0), r, _mm256_set1_ps(EXP_P1));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(EXP_P2));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(EXP_P3));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(EXP_P4));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(EXP_P5));
    const __m256 exp_r = _mm256_add_ps(_mm256_fmadd_ps(p, _mm256_mul_ps(r, r), r), _mm256_set1_ps(1));
    // shifted's bits are 0x4B400000 + k (k in [-126, 0]); (bits + 127) << 23 drops the 0x4B4 and leaves 2^k.
    const __m256i two_k = _mm256_slli_epi32(_mm256_add_epi32(_mm256_castps_si256(shifted), _mm256_set1_epi32(127)), 23);
    return _mm256_andnot_ps(below, _mm256_mul_ps(exp_r, _mm256_castsi256_ps(two_k)));
}

// ReLU (x < 0 ? 0 : x: NaN passes, as torch.relu); with m = e^-|x|:
//   Swish x * s / (1 + m), s = x >= 0 ? 1 : m;
//   Mish  x * N / D, N = s^2 + 2m, D = N + 2q^2, q = x >= 0 ? m : 1
// (tanh(softplus(x)) = (e^2x + 2e^x) / (e^2x + 2e^x + 2), divided through by e^2x when x >= 0), so no
// term overflows and none goes subnormal before the last multiply. One division each.
__attribute__((target("avx2,fma"), always_inline))
static inline __m256 activate(__m256 x, int activation) {
    switch (activation) {
    case DIRECT_CONVOLUTION_RELU:
        return _mm256_andnot_ps(_mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_LT_OQ), x);
    case DIRECT_CONVOLUTION_SWISH: {
        const __m256 one = _mm256_set1_ps(1);
        const __m256 m = exp_nonpositive(_mm256_or_ps(x, _mm256_set1_ps(-0.0f)));
        const __m256 nonnegative = _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_GE_OQ);
        const __m256 s = _mm256_blendv_ps(m, one, nonnegative);
        return _mm256_mul_ps(x, _mm256_div_ps(s, _mm256_add_ps(one, m)));
    }
    case DIRECT_CONVOLUTION_MISH: {
        const __m256 one = _mm256_set1_ps(1);
        const __m256 m = exp_nonpositive(_mm256_or_ps(x, _mm256_set1_ps(-0.0f)));
        const __m256 nonnegative = _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_GE_OQ);
        const __m256 s = _mm256_blendv_ps(m, one, nonnegative), q = _mm256_blendv_ps(one, m, nonnegative);
        const __m256 n = _mm256_fmadd_ps(s, s, _mm256_add_ps(m, m));
        const __m256 d = _mm256_fmadd_ps(_mm256_add_ps(q, q), q, n);
        return _mm256_mul_ps(x, _mm256_div_ps(n, d));
    }
    default:
        return x;
    }
}

// activation(sums + bias (+ residual)) for 8 values.
__attribute__((target("avx2,fma"), always_inline))
static inline void epilogue_vector(float *to, const float *sums, __m256 bias8, const float *residual, int activation) {
    __m256 value = _mm256_add_ps(_mm256_loadu_ps(sums), bias8);
    if (residual) value = _mm256_add_ps(value, _mm256_loadu_ps(residual));
    _mm256_storeu_ps(to, activate(value, activation));
}

// One output row through the epilogue: += sums (no bias), or = activation(sums + bias (+ residual)).
// `to` never overlaps `sums` or `residual_row`.
__attribute__((target("avx2,fma"), always_inline))
static inline void epilogue_row(float *to, const float *sums, int count, const direct_convolution_epilogue *epilogue,
                                int channel, const float *residual_row) {
    if (!epilogue->bias) {
        for (int x = 0; x < count; x++) to[x] += sums[x];
        return;
    }
    const float bias = epilogue->bias[channel];
    const __m256 bias8 = _mm256_set1_ps(bias);
    const int activation = epilogue->activation;
    int x = 0;
    for (; x + 8 <= count; x += 8)
        epilogue_vector(to + x, sums + x, bias8, residual_row ? residual_row + x : 0, activation);
    if (x == count) return;
    if (count >= 8) {
        // The last vector flush with the row's end, over values already written: same inputs, same bits.
        x = count - 8;
        epilogue_vector(to + x, sums + x, bias8, residual_row ? residual_row + x : 0, activation);
        return;
    }
    // Rows shorter than a vector go through the same vector code by way of a buffer. The copies are
    // fixed 8-lane loops: plain loops over `count` became memcpy calls, dearer than the work.
    float in[8], shortcut[8], out[8];
    for (int i = 0; i < 8; i++) in[i] = i < count ? sums[i] : 0;
    if (residual_row)
        for (int i = 0; i < 8; i++) shortcut[i] = i < count ? residual_row[i] : 0;
    epilogue_vector(out, in, bias8, residual_row ? shortcut : 0, activation);
    for (int i = 0; i < 8; i++)
        if (i < count) to[i] = out[i];
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
