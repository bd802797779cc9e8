#include "Winograd4Convolution.h"

#include <immintrin.h>

#include "Avx512Kernels.h"
#include "Winograd4Kernels.h"

#if defined(__x86_64__) || defined(__i386__)

// The element-wise stage of Winograd F(4x4, 3x3) (Winograd4Convolution.c) on AVX-512: for each of the 36
// transformed positions xi, M[xi][o][t] = sum over c of U[xi][o][c] V[xi][c][t] for the chunk's `tiles`
// tiles (a multiple of 16), in blocks of 8 output channels (two packed groups) x up to 48 tiles (24
// accumulators, 3 inputs and a broadcast of the 32 registers); the sums in the AVX2 block's order (c
// ascending, one FMA each, from 0), so both ISAs give the same bits.
AVX512 void winograd4_products_avx512(const float *v, long v_xi_stride, long tile_stride, int in_channels,
                                      const float *packed_filters, int out_channels, float *m, long m_xi_stride,
                                      long tiles) {
    const int groups = out_channels / GROUP;
    // Filters packed [O/4][36][C][4]: group g's filters for xi at (g * 36 + xi) * C * 4.
    const long group_stride = 36L * in_channels * GROUP;
    for (long t = 0; t < tiles;) {
        long done = 0;
        for (int xi = 0; xi < 36; xi++) {
            for (int group = 0; group < groups;) {
                const float *filters = packed_filters + ((long)group * 36 + xi) * in_channels * GROUP;
                float *out = m + xi * m_xi_stride + (long)group * GROUP * tile_stride + t;
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
