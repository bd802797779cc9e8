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

// KernelTemplate.h on 16 lanes: register_block512 (groups of 4 output channels in pairs, up to 3 vectors),
// exp_clamped512 and activate512, the same operations in the same order as SharedKernels.h's 8-lane ones.
#include "VectorLanes16.h"
#include "KernelTemplate.h"

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


// The element-wise stage of a Winograd convolution on AVX-512, shared by F(2x2, 3x3) (16 transformed
// positions) and F(4x4, 3x3) (36): for each position xi, M[xi][o][t] = sum over c of U[xi][o][c] V[xi][c][t]
// for the chunk's `tiles` tiles, in blocks of 8 output channels (two packed groups) x up to 48 tiles (24
// accumulators, 3 inputs and a broadcast of the 32 registers); the sums in the AVX2 block's order (c
// ascending, one FMA each, from 0), so both ISAs give the same bits. Filters are packed
// [O/4][points][C][4]: group g's filters for xi at (g * points + xi) * C * 4.
AVX512_INLINE void winograd_points_products512(int points, const float *v, long v_xi_stride, long tile_stride,
                                               int in_channels, const float *packed_filters, int out_channels,
                                               float *m, long m_xi_stride, long tiles) {
    const int groups = out_channels / GROUP;
    const long group_stride = (long)points * in_channels * GROUP;
    for (long t = 0; t < tiles;) {
        long done = 0;
        for (int xi = 0; xi < points; xi++) {
            for (int group = 0; group < groups;) {
                const float *filters = packed_filters + ((long)group * points + xi) * in_channels * GROUP;
                float *out = m + xi * m_xi_stride + (long)group * GROUP * tile_stride + t;
                // Constant group counts: block_run512 is inlined and specialized for each.
                if (group + 2 <= groups) {
                    done = block_run512(v + xi * v_xi_stride + t, tile_stride, in_channels, 0, 0, filters, group_stride,
                                        out, tile_stride, 2, tiles - t, 1);
                    group += 2;
                } else {
                    done = block_run512(v + xi * v_xi_stride + t, tile_stride, in_channels, 0, 0, filters, group_stride,
                                        out, tile_stride, 1, tiles - t, 1);
                    group += 1;
                }
            }
        }
        t += done;
    }
}

#endif

#endif
