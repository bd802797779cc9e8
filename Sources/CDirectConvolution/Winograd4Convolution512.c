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

// The transforms on 16 lanes (16 tiles a vector): the same operations in the same order as the 8-lane ones in
// Winograd4Convolution.c, so the same bits; half the instructions per tile.
AVX512_INLINE void input_transform6_512(const __m512 x[6], __m512 y[6]) {
    const __m512 four = _mm512_set1_ps(4), minus_four = _mm512_set1_ps(-4), minus_five = _mm512_set1_ps(-5);
    const __m512 p = _mm512_fmadd_ps(minus_four, x[2], x[4]);
    const __m512 q = _mm512_fmadd_ps(minus_four, x[1], x[3]);
    const __m512 r = _mm512_sub_ps(x[4], x[2]);
    const __m512 s = _mm512_add_ps(_mm512_sub_ps(x[3], x[1]), _mm512_sub_ps(x[3], x[1]));
    y[0] = _mm512_fmadd_ps(four, x[0], _mm512_fmadd_ps(minus_five, x[2], x[4]));
    y[1] = _mm512_add_ps(p, q);
    y[2] = _mm512_sub_ps(p, q);
    y[3] = _mm512_add_ps(r, s);
    y[4] = _mm512_sub_ps(r, s);
    y[5] = _mm512_fmadd_ps(four, x[1], _mm512_fmadd_ps(minus_five, x[3], x[5]));
}

AVX512_INLINE void output_transform6_512(const __m512 x[6], __m512 y[4]) {
    const __m512 a = _mm512_add_ps(x[1], x[2]), b = _mm512_sub_ps(x[1], x[2]);
    const __m512 c = _mm512_add_ps(x[3], x[4]), d = _mm512_sub_ps(x[3], x[4]);
    y[0] = _mm512_add_ps(_mm512_add_ps(x[0], a), c);
    y[1] = _mm512_fmadd_ps(_mm512_set1_ps(2), d, b);
    y[2] = _mm512_fmadd_ps(_mm512_set1_ps(4), c, a);
    y[3] = _mm512_add_ps(_mm512_fmadd_ps(_mm512_set1_ps(8), d, b), x[5]);
}

// Four floats at each of 16 addresses transposed: out[j] lane k = p[k][j] (4x4 transposes in each 128-bit lane).
AVX512_INLINE void load_transposed4_512(const float *const p[16], __m512 out[4]) {
    __m512 w[4];   // w[k] = tiles k, k + 4, k + 8, k + 12 (one a 128-bit lane)
    for (int k = 0; k < 4; k++) {
        __m512 x = _mm512_castps128_ps512(_mm_loadu_ps(p[k]));
        x = _mm512_insertf32x4(x, _mm_loadu_ps(p[k + 4]), 1);
        x = _mm512_insertf32x4(x, _mm_loadu_ps(p[k + 8]), 2);
        w[k] = _mm512_insertf32x4(x, _mm_loadu_ps(p[k + 12]), 3);
    }
    const __m512 u0 = _mm512_unpacklo_ps(w[0], w[1]), u1 = _mm512_unpackhi_ps(w[0], w[1]);
    const __m512 u2 = _mm512_unpacklo_ps(w[2], w[3]), u3 = _mm512_unpackhi_ps(w[2], w[3]);
    out[0] = _mm512_shuffle_ps(u0, u2, _MM_SHUFFLE(1, 0, 1, 0));
    out[1] = _mm512_shuffle_ps(u0, u2, _MM_SHUFFLE(3, 2, 3, 2));
    out[2] = _mm512_shuffle_ps(u1, u3, _MM_SHUFFLE(1, 0, 1, 0));
    out[3] = _mm512_shuffle_ps(u1, u3, _MM_SHUFFLE(3, 2, 3, 2));
}

AVX512_INLINE void store_transposed4_512(const __m512 in[4], float *const p[16], int count) {
    const __m512 u0 = _mm512_unpacklo_ps(in[0], in[1]), u1 = _mm512_unpackhi_ps(in[0], in[1]);
    const __m512 u2 = _mm512_unpacklo_ps(in[2], in[3]), u3 = _mm512_unpackhi_ps(in[2], in[3]);
    __m512 w[4];
    w[0] = _mm512_shuffle_ps(u0, u2, _MM_SHUFFLE(1, 0, 1, 0));   // tiles 0, 4, 8, 12
    w[1] = _mm512_shuffle_ps(u0, u2, _MM_SHUFFLE(3, 2, 3, 2));
    w[2] = _mm512_shuffle_ps(u1, u3, _MM_SHUFFLE(1, 0, 1, 0));
    w[3] = _mm512_shuffle_ps(u1, u3, _MM_SHUFFLE(3, 2, 3, 2));
    if (count >= 16) {
        for (int k = 0; k < 4; k++) {
            _mm_storeu_ps(p[k], _mm512_castps512_ps128(w[k]));
            _mm_storeu_ps(p[k + 4], _mm512_extractf32x4_ps(w[k], 1));
            _mm_storeu_ps(p[k + 8], _mm512_extractf32x4_ps(w[k], 2));
            _mm_storeu_ps(p[k + 12], _mm512_extractf32x4_ps(w[k], 3));
        }
        return;
    }
    float lanes[4][16];   // a short last vector: through a buffer, tile by tile
    for (int k = 0; k < 4; k++) _mm512_storeu_ps(lanes[k], w[k]);
    for (int t = 0; t < count; t++) memcpy(p[t], &lanes[t % 4][4 * (t / 4)], 4 * sizeof(float));
}

AVX512 void winograd4_transform_input_avx512(const float *padded, int channels, long plane, long padded_width,
                                             long tile_stride, const long *offsets, long lanes, float *v) {
    const long xi_stride = channels * tile_stride;
    for (long t = 0; t < lanes; t += 16) {
        const float *base[16];
        for (int k = 0; k < 16; k++) base[k] = padded + offsets[t + k];
        for (int c = 0; c < channels; c++) {
            const long channel = c * plane;
            __m512 e[6][6];
            for (int i = 0; i < 6; i++) {
                const float *low[16], *high[16];
                for (int k = 0; k < 16; k++) {
                    low[k] = base[k] + channel + i * padded_width;
                    high[k] = low[k] + 2;
                }
                __m512 d[6], upper[4];
                load_transposed4_512(low, d);
                load_transposed4_512(high, upper);
                d[4] = upper[2];
                d[5] = upper[3];
                input_transform6_512(d, e[i]);
            }
            float *out = v + c * tile_stride + t;
            for (int j = 0; j < 6; j++) {
                const __m512 column[6] = {e[0][j], e[1][j], e[2][j], e[3][j], e[4][j], e[5][j]};
                __m512 y[6];
                input_transform6_512(column, y);
                for (int i = 0; i < 6; i++) _mm512_storeu_ps(out + (i * 6 + j) * xi_stride, y[i]);
            }
        }
    }
}

AVX512 void winograd4_transform_output_avx512(const float *m, long xi_stride, int o, long tile_stride, long sums_row,
                                              long tiles, const long *corners, float *sums) {
    const float *source = m + (long)o * tile_stride;
    for (long t = 0; t < tiles; t += 16) {
        __m512 s[6][4];
        for (int j = 0; j < 6; j++) {
            __m512 column[6];
            for (int i = 0; i < 6; i++) column[i] = _mm512_loadu_ps(source + (i * 6 + j) * xi_stride + t);
            output_transform6_512(column, s[j]);
        }
        const int count = tiles - t < 16 ? (int)(tiles - t) : 16;
        float *p[16];
        for (int k = 0; k < 16; k++) p[k] = sums + corners[t + k < tiles ? t + k : t];
        for (int r = 0; r < 4; r++) {
            const __m512 row[6] = {s[0][r], s[1][r], s[2][r], s[3][r], s[4][r], s[5][r]};
            __m512 y[4];
            output_transform6_512(row, y);
            float *q[16];
            for (int k = 0; k < 16; k++) q[k] = p[k] + r * sums_row;
            store_transposed4_512(y, q, count);
        }
    }
}

#endif
