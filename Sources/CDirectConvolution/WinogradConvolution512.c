#include "DirectConvolution.h"

#include <immintrin.h>

#include "Avx512Kernels.h"
#include "KernelVariants.h"

#if defined(__x86_64__) || defined(__i386__)

// The element-wise stage of Winograd F(2x2, 3x3) (WinogradConvolution.c) on AVX-512: for each of the 16
// transformed positions xi, M[xi][o][t] = sum over c of U[xi][o][c] V[xi][c][t] for the chunk's `tiles`
// tiles, in blocks of 8 output channels (two packed groups) x up to 48 tiles; the sums in the AVX2 order.
AVX512 void winograd_products_avx512(const float *v, long v_xi_stride, long tile_stride, int in_channels,
                                     const float *packed_filters, int out_channels, float *m, long m_xi_stride,
                                     long tiles) {
    const int groups = out_channels / GROUP;
    // Winograd filters are packed [O/4][16][C][4]: group g's filters for xi at (g * 16 + xi) * C * 4.
    const long group_stride = 16L * in_channels * GROUP;
    for (long t = 0; t < tiles;) {
        long done = 0;
        for (int xi = 0; xi < 16; xi++) {
            for (int group = 0; group < groups;) {
                const float *filters = packed_filters + ((long)group * 16 + xi) * in_channels * GROUP;
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
