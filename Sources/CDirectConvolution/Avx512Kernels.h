#ifndef AVX512_KERNELS_H
#define AVX512_KERNELS_H

// The AVX-512 forms of SharedKernels.h (internal to this target): the register block on 16-float
// vectors and up to 8 output channels, and the epilogue on 16 lanes with masked tails. Every sum
// keeps the AVX2 kernels' order (input channel, then tap, one FMA per product, from 0) and the
// epilogue the same operations, so both ISAs give the same bits. Compiled per function for
// AVX-512 F/BW/DQ/VL: the package still builds for generic x86-64, and nothing here runs unless
// convolution_isa() chose it (CPUID and XCR0 allow it).

#include "SharedKernels.h"

#if defined(__x86_64__) || defined(__i386__)

#define AVX512 __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx2,fma")))
#define AVX512_INLINE __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx2,fma"), always_inline)) static inline

enum { VECTOR512 = 16, MAX_VECTORS512 = 3 };

// tile[o][16v + k] = sum over c and taps of w[c][tap][o] * in[c * channel_stride + shift(tap) + 16v + k] for
// o < 4 * groups, v < vectors; shift as in register_block (9 taps: dy * row_stride + dx or tap_offsets[tap];
// 1 tap: 0). Group g's weights start at weights + g * group_stride (the packings' [O/4] blocks), channel
// 4g + o's row of the tile at tile + (4g + o) * tile_stride. Up to 8 x 3 = 24 accumulators, 3 inputs and a
// broadcast in the 32 registers (AVX2 had room for 8 accumulators).
AVX512_INLINE void register_block512(const float *in, long channel_stride, int in_channels, int row_stride,
                                     const long *tap_offsets, const float *weights, long group_stride,
                                     float *tile, long tile_stride, const int groups, const int vectors, const int taps) {
    __m512 acc[2 * GROUP][MAX_VECTORS512];
    for (int o = 0; o < groups * GROUP; o++)
        for (int v = 0; v < vectors; v++) acc[o][v] = _mm512_setzero_ps();
    const float *w0 = weights, *w1 = weights + group_stride;
    for (int c = 0; c < in_channels; c++) {
        const float *channel = in + c * channel_stride;
        for (int tap = 0; tap < taps; tap++) {
            const float *p = taps == 1 ? channel
                           : tap_offsets ? channel + tap_offsets[tap] : channel + (tap / 3) * row_stride + tap % 3;
            __m512 x[MAX_VECTORS512];
            for (int v = 0; v < vectors; v++) x[v] = _mm512_loadu_ps(p + v * VECTOR512);
            for (int o = 0; o < groups * GROUP; o++) {
                const __m512 wo = _mm512_set1_ps(o < GROUP ? w0[o] : w1[o - GROUP]);
                for (int v = 0; v < vectors; v++) acc[o][v] = _mm512_fmadd_ps(wo, x[v], acc[o][v]);
            }
            w0 += GROUP;
            w1 += GROUP;
        }
    }
    for (int o = 0; o < groups * GROUP; o++)
        for (int v = 0; v < vectors; v++) _mm512_storeu_ps(tile + o * tile_stride + v * VECTOR512, acc[o][v]);
}

// The block for positions [i, end) (end - i > 0): as many 16-lane vectors as cover them, at most 3, never
// past round_up(end, 16). Returns the positions done. `taps` and `groups` are constants at the call sites.
AVX512_INLINE long block_run512(const float *in, long channel_stride, int in_channels, int row_stride,
                                const long *tap_offsets, const float *weights, long group_stride,
                                float *tile, long tile_stride, const int groups, long remaining, const int taps) {
    if (remaining > 2 * VECTOR512) {
        register_block512(in, channel_stride, in_channels, row_stride, tap_offsets, weights, group_stride,
                          tile, tile_stride, groups, 3, taps);
        return 3 * VECTOR512;
    }
    if (remaining > VECTOR512) {
        register_block512(in, channel_stride, in_channels, row_stride, tap_offsets, weights, group_stride,
                          tile, tile_stride, groups, 2, taps);
        return 2 * VECTOR512;
    }
    register_block512(in, channel_stride, in_channels, row_stride, tap_offsets, weights, group_stride,
                      tile, tile_stride, groups, 1, taps);
    return VECTOR512;
}

// exp_nonpositive, Swish and Mish of SharedKernels.h on 16 lanes: the same operations in the same order.
AVX512_INLINE __m512 exp_nonpositive512(__m512 x) {
    const __mmask16 below = _mm512_cmp_ps_mask(x, _mm512_set1_ps(EXP_UNDERFLOW), _CMP_LT_OQ);
    const __m512 xc = _mm512_max_ps(_mm512_set1_ps(EXP_UNDERFLOW), x);
    const __m512 shifted = _mm512_fmadd_ps(xc, _mm512_set1_ps(EXP_LOG2E), _mm512_set1_ps(EXP_SHIFT));
    const __m512 k = _mm512_sub_ps(shifted, _mm512_set1_ps(EXP_SHIFT));
    const __m512 r = _mm512_fmadd_ps(k, _mm512_set1_ps(EXP_LN2_LOW), _mm512_fmadd_ps(k, _mm512_set1_ps(EXP_LN2_HIGH), xc));
    __m512 p = _mm512_fmadd_ps(_mm512_set1_ps(EXP_P0), r, _mm512_set1_ps(EXP_P1));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(EXP_P2));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(EXP_P3));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(EXP_P4));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(EXP_P5));
    const __m512 exp_r = _mm512_add_ps(_mm512_fmadd_ps(p, _mm512_mul_ps(r, r), r), _mm512_set1_ps(1));
    const __m512i two_k = _mm512_slli_epi32(_mm512_add_epi32(_mm512_castps_si512(shifted), _mm512_set1_epi32(127)), 23);
    return _mm512_maskz_mul_ps((__mmask16)~below, exp_r, _mm512_castsi512_ps(two_k));
}

AVX512_INLINE __m512 activate512(__m512 x, int activation) {
    switch (activation) {
    case DIRECT_CONVOLUTION_RELU:
        return _mm512_maskz_mov_ps((__mmask16)~_mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_LT_OQ), x);
    case DIRECT_CONVOLUTION_SWISH: {
        const __m512 one = _mm512_set1_ps(1);
        const __m512 m = exp_nonpositive512(_mm512_or_ps(x, _mm512_set1_ps(-0.0f)));
        const __mmask16 nonnegative = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_GE_OQ);
        const __m512 s = _mm512_mask_blend_ps(nonnegative, m, one);
        return _mm512_mul_ps(x, _mm512_div_ps(s, _mm512_add_ps(one, m)));
    }
    case DIRECT_CONVOLUTION_MISH: {
        const __m512 one = _mm512_set1_ps(1);
        const __m512 m = exp_nonpositive512(_mm512_or_ps(x, _mm512_set1_ps(-0.0f)));
        const __mmask16 nonnegative = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_GE_OQ);
        const __m512 s = _mm512_mask_blend_ps(nonnegative, m, one), q = _mm512_mask_blend_ps(nonnegative, one, m);
        const __m512 n = _mm512_fmadd_ps(s, s, _mm512_add_ps(m, m));
        const __m512 d = _mm512_fmadd_ps(_mm512_add_ps(q, q), q, n);
        return _mm512_mul_ps(x, _mm512_div_ps(n, d));
    }
    default:
        return x;
    }
}

// One output row through the epilogue (as epilogue_row): 16 lanes at a time, the tail masked.
AVX512_INLINE void epilogue_row512(float *to, const float *sums, int count, const direct_convolution_epilogue *epilogue,
                                   int channel, const float *residual_row) {
    if (!epilogue->bias) {
        int x = 0;
        for (; x + VECTOR512 <= count; x += VECTOR512)
            _mm512_storeu_ps(to + x, _mm512_add_ps(_mm512_loadu_ps(to + x), _mm512_loadu_ps(sums + x)));
        if (x < count) {
            const __mmask16 tail = (__mmask16)((1u << (count - x)) - 1);
            _mm512_mask_storeu_ps(to + x, tail, _mm512_add_ps(_mm512_maskz_loadu_ps(tail, to + x),
                                                              _mm512_maskz_loadu_ps(tail, sums + x)));
        }
        return;
    }
    const __m512 bias = _mm512_set1_ps(epilogue->bias[channel]);
    const int activation = epilogue->activation;
    int x = 0;
    for (; x + VECTOR512 <= count; x += VECTOR512) {
        __m512 value = _mm512_add_ps(_mm512_loadu_ps(sums + x), bias);
        if (residual_row) value = _mm512_add_ps(value, _mm512_loadu_ps(residual_row + x));
        _mm512_storeu_ps(to + x, activate512(value, activation));
    }
    if (x < count) {
        const __mmask16 tail = (__mmask16)((1u << (count - x)) - 1);
        __m512 value = _mm512_add_ps(_mm512_maskz_loadu_ps(tail, sums + x), bias);
        if (residual_row) value = _mm512_add_ps(value, _mm512_maskz_loadu_ps(tail, residual_row + x));
        _mm512_mask_storeu_ps(to + x, tail, activate512(value, activation));
    }
}

AVX512_INLINE void epilogue_plane512(float *output, const float *sums, long sums_row_stride, int height, int width,
                                     const direct_convolution_epilogue *epilogue, int channel, const float *residual) {
    for (int y = 0; y < height; y++)
        epilogue_row512(output + (long)y * width, sums + (long)y * sums_row_stride, width, epilogue, channel,
                        residual ? residual + (long)y * width : 0);
}

#endif

#endif
