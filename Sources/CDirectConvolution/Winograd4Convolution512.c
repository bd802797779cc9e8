#include "Winograd4Convolution.h"

#include <immintrin.h>

#include "Avx512Kernels.h"
#include "Winograd4Kernels.h"

#if defined(__x86_64__) || defined(__i386__)

// The element-wise stage of Winograd F(4x4, 3x3) on AVX-512 (36 transformed positions): Avx512Kernels.h.
AVX512 void winograd4_products_avx512(const float *v, long v_xi_stride, long tile_stride, int in_channels,
                                      const float *packed_filters, int out_channels, float *m, long m_xi_stride,
                                      long tiles) {
    winograd_points_products512(36, v, v_xi_stride, tile_stride, in_channels, packed_filters, out_channels, m,
                                m_xi_stride, tiles);
}

// The transforms on 16 lanes (16 tiles a vector): Winograd4Template.h, the same operations in the same order
// as the 8 lanes of Winograd4Convolution.c, so the same bits; half the instructions per tile.
// Masked loads and stores for the direct input path and the planes' ragged edges: lanes of a 16-float row at columns column.. inside [0, width).
AVX512_INLINE __mmask16 w4_column_mask512(int column, int width) {
    const int low = column < 0 ? -column : 0, high = width - column < 16 ? width - column : 16;
    return high <= low ? 0 : (__mmask16)(((1u << high) - 1) & ~((1u << low) - 1));
}
#define W4_LOAD_MASK __mmask16
#define W4_NO_LANES ((__mmask16)0)
#define W4_COLUMN_MASK(column, width) w4_column_mask512(column, width)
#define W4_MASKED_LOAD(p, mask) _mm512_maskz_loadu_ps(mask, p)
#define W4_STORE_FIRST(p, v, n, mask) _mm512_mask_storeu_ps(p, mask, v)
#define W4_QUARTER_MASK(n) ((__mmask8)((1u << (n)) - 1))   // n = 0..4
#define W4_LOAD_QUARTERS_MASKED(p, k, n) \
    _mm512_insertf32x4(_mm512_insertf32x4(_mm512_insertf32x4( \
        _mm512_castps128_ps512(_mm_maskz_loadu_ps(W4_QUARTER_MASK((n)[k]), (p)[k])), \
        _mm_maskz_loadu_ps(W4_QUARTER_MASK((n)[(k) + 4]), (p)[(k) + 4]), 1), \
        _mm_maskz_loadu_ps(W4_QUARTER_MASK((n)[(k) + 8]), (p)[(k) + 8]), 2), \
        _mm_maskz_loadu_ps(W4_QUARTER_MASK((n)[(k) + 12]), (p)[(k) + 12]), 3)
#define W4_STORE_QUARTERS_MASKED(p, k, v, n) do { \
        _mm_mask_storeu_ps((p)[k], W4_QUARTER_MASK((n)[k]), _mm512_castps512_ps128(v)); \
        _mm_mask_storeu_ps((p)[(k) + 4], W4_QUARTER_MASK((n)[(k) + 4]), _mm512_extractf32x4_ps(v, 1)); \
        _mm_mask_storeu_ps((p)[(k) + 8], W4_QUARTER_MASK((n)[(k) + 8]), _mm512_extractf32x4_ps(v, 2)); \
        _mm_mask_storeu_ps((p)[(k) + 12], W4_QUARTER_MASK((n)[(k) + 12]), _mm512_extractf32x4_ps(v, 3)); \
    } while (0)
#define W4_ENTRY AVX512
#include "VectorLanes16.h"
#include "Winograd4Template.h"
#undef W4_ENTRY
#undef W4_LOAD_MASK
#undef W4_NO_LANES
#undef W4_COLUMN_MASK
#undef W4_MASKED_LOAD
#undef W4_STORE_FIRST
#undef W4_QUARTER_MASK
#undef W4_LOAD_QUARTERS_MASKED
#undef W4_STORE_QUARTERS_MASKED

#endif
