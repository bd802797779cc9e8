#include "DirectConvolution.h"

#include <immintrin.h>

#include "Avx512Kernels.h"
#include "KernelVariants.h"

#if defined(__x86_64__) || defined(__i386__)

// The element-wise stage of Winograd F(2x2, 3x3) on AVX-512 (16 transformed positions): Avx512Kernels.h.
AVX512 void winograd_products_avx512(const float *v, long v_xi_stride, long tile_stride, int in_channels,
                                     const float *packed_filters, int out_channels, float *m, long m_xi_stride,
                                     long tiles) {
    winograd_points_products512(16, v, v_xi_stride, tile_stride, in_channels, packed_filters, out_channels, m,
                                m_xi_stride, tiles);
}

#endif
