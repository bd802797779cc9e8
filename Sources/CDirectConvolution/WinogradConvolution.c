#include "DirectConvolution.h"

#include <immintrin.h>
#include <string.h>

#include "Avx512Kernels.h"
#include "KernelVariants.h"

// Winograd F(2x2, 3x3) (Lavin & Gray 2016) with the direct kernel's register block for the
// element-wise stage. Per image: each 4x4 input tile (stride 2) goes to V = B^T d B, the 16
// products M[xi][o][t] = sum_c U[xi][o][c] V[xi][c][t] run as 16 small matrix products, and
// each 2x2 output tile is A^T M A: 16 multiplies per (input, output) channel pair and output
// tile instead of 36.
//   B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1],  A^T = [1 1 1 0; 0 1 -1 -1].
// The three stages run on chunks of whole tile rows (at least CHUNK_TILES tiles), so a chunk's
// V and M stay in L1/L2 between being written and being read instead of round-tripping the
// whole image's through L2. Within a chunk, tiles are numbered t = local tile row * tile_columns
// + tile column; the transforms work on 8 tile columns of a tile row at a time. Lanes past the
// row's end compute garbage that lands on the next row's tiles (written after) or in slack past
// the chunk's last tile, never on a result.

#ifndef CHUNK_TILES
#define CHUNK_TILES 16
#endif
// The AVX-512 products (blocks of 8 channels x up to 48 tiles) want longer chunks.
#ifndef CHUNK_TILES_AVX512
#define CHUNK_TILES_AVX512 48
#endif
enum { INPUT_GUARD = 64 };

typedef struct {
    int tile_rows, tile_columns;
    int chunk_rows;            // tile rows per chunk
    int padded_rows, padded_width;
    long plane, tile_stride;   // floats per padded channel plane; per V or M row (a chunk + slack)
    long row_buffer;           // floats per output row buffer
} geometry;

// V lanes the input transform writes for a chunk of `rows` tile rows: whole vectors of every row.
static long transformed_lanes(int tile_columns, int rows) {
    return (long)(rows - 1) * tile_columns + round_up(tile_columns, VECTOR);
}

static geometry measure(int height, int width, int chunk_tiles_wanted) {
    geometry g;
    g.tile_rows = (height + 1) / 2;
    g.tile_columns = (width + 1) / 2;
    // Chunks of at least CHUNK_TILES tiles; among those, the row count that pads the fewest tiles
    // up to whole 16-tile blocks over the image, the smallest on ties (16 tile columns: 1 row;
    // 14: 8 rows, 208 block tiles for 196, where 2 rows would pad to 224).
    const int least = (chunk_tiles_wanted + g.tile_columns - 1) / g.tile_columns;
    g.chunk_rows = least < g.tile_rows ? least : g.tile_rows;
    long fewest = -1;
    for (int rows = g.chunk_rows; rows <= g.tile_rows; rows++) {
        const long padded = (g.tile_rows / rows) * round_up((long)rows * g.tile_columns, BLOCK)
                          + round_up((long)(g.tile_rows % rows) * g.tile_columns, BLOCK);
        if (fewest < 0 || padded < fewest) { fewest = padded; g.chunk_rows = rows; }
    }
    g.padded_rows = 2 * g.tile_rows + 2;
    g.padded_width = 2 * g.tile_columns + 2;
    g.plane = (long)g.padded_rows * g.padded_width;
    // The products run whole blocks over a chunk; the transforms' last vector of a row runs past it.
    const long chunk_tiles = (long)g.chunk_rows * g.tile_columns;
    const long transformed = transformed_lanes(g.tile_columns, g.chunk_rows);
    g.tile_stride = round_up(chunk_tiles, BLOCK) > transformed ? round_up(chunk_tiles, BLOCK) : transformed;
    g.row_buffer = 2 * round_up(g.tile_columns, VECTOR);
    return g;
}

long winograd_convolution_scratch_floats(int in_channels, int out_channels, int height, int width) {
    long most = 0;
    for (int wide = 0; wide < 2; wide++) {   // enough for either ISA: the selection may change after sizing
    geometry g = measure(height, width, wide ? CHUNK_TILES_AVX512 : CHUNK_TILES);
    const long avx2 = in_channels * g.plane + INPUT_GUARD      // zero-bordered image
                    + 16L * in_channels * g.tile_stride        // V of one chunk
                    + 16L * out_channels * g.tile_stride       // M of one chunk
                    + 2 * g.row_buffer;                        // two output rows
    if (avx2 > most) most = avx2;
    }
    return most;
}

// Runs at every landscape point over all stride-1 filters, so it is C, not a matrix loop in Swift
// (24 % of a one-image point before). The sums keep the matrix product's order, starting from 0, and
// are not contracted into FMAs: the same bits as G g G^T computed plainly in float64.
void winograd_convolution_pack_filters(const float *weight, int out_channels, int in_channels, float *packed) {
#pragma clang fp contract(off)
    static const double g[4][3] = {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}};
    for (int o = 0; o < out_channels; o++) {
        const int group = o / GROUP, lane = o % GROUP;
        for (int c = 0; c < in_channels; c++) {
            const float *w = weight + ((long)o * in_channels + c) * 9;
            double gw[4][3];   // G w
            for (int i = 0; i < 4; i++)
                for (int j = 0; j < 3; j++)
                    gw[i][j] = ((0.0 + g[i][0] * (double)w[j]) + g[i][1] * (double)w[3 + j]) + g[i][2] * (double)w[6 + j];
            for (int i = 0; i < 4; i++)
                for (int j = 0; j < 4; j++) {   // (G w) G^T
                    const double u = ((0.0 + gw[i][0] * g[j][0]) + gw[i][1] * g[j][1]) + gw[i][2] * g[j][2];
                    packed[(((long)group * 16 + i * 4 + j) * in_channels + c) * GROUP + lane] = (float)u;
                }
        }
    }
}

#if defined(__x86_64__) || defined(__i386__)

// Even and odd elements of the 16 floats a (0..7), b (8..15).
__attribute__((target("avx2,fma"), always_inline))
static inline void deinterleave(__m256 a, __m256 b, __m256 *even, __m256 *odd) {
    __m256 e = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0));   // a0 a2 b0 b2 | a4 a6 b4 b6
    __m256 o = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(3, 1, 3, 1));
    *even = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(e), _MM_SHUFFLE(3, 1, 2, 0)));
    *odd = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(o), _MM_SHUFFLE(3, 1, 2, 0)));
}

// a0 b0 a1 b1 ... a7 b7 into out[0..15].
__attribute__((target("avx2,fma"), always_inline))
static inline void interleave_store(__m256 a, __m256 b, float *out) {
    __m256 low = _mm256_unpacklo_ps(a, b);    // a0 b0 a1 b1 | a4 b4 a5 b5
    __m256 high = _mm256_unpackhi_ps(a, b);   // a2 b2 a3 b3 | a6 b6 a7 b7
    _mm256_storeu_ps(out, _mm256_permute2f128_ps(low, high, 0x20));
    _mm256_storeu_ps(out + 8, _mm256_permute2f128_ps(low, high, 0x31));
}

// V[xi][c][t] for every channel and the tiles of rows first_row ..< end_row of one zero-bordered image.
__attribute__((target("avx2,fma")))
static void transform_input(const float *padded, int channels, const geometry *g, int first_row, int end_row,
                            float *v) {
    const long xi_stride = channels * g->tile_stride;
    for (int c = 0; c < channels; c++) {
        for (int ty = first_row; ty < end_row; ty++) {
            for (int tx = 0; tx < g->tile_columns; tx += VECTOR) {
                // d[i][j] for 8 tiles: padded row 2ty + i, column 2(tx + lane) + j.
                __m256 e[4][4];
                for (int i = 0; i < 4; i++) {
                    const float *row = padded + c * g->plane + (long)(2 * ty + i) * g->padded_width + 2 * tx;
                    __m256 d0, d1, d2, d3;
                    deinterleave(_mm256_loadu_ps(row), _mm256_loadu_ps(row + 8), &d0, &d1);
                    deinterleave(_mm256_loadu_ps(row + 2), _mm256_loadu_ps(row + 10), &d2, &d3);
                    e[i][0] = _mm256_sub_ps(d0, d2);   // (d B)[i][j]
                    e[i][1] = _mm256_add_ps(d1, d2);
                    e[i][2] = _mm256_sub_ps(d2, d1);
                    e[i][3] = _mm256_sub_ps(d1, d3);
                }
                float *out = v + c * g->tile_stride + (long)(ty - first_row) * g->tile_columns + tx;
                for (int j = 0; j < 4; j++) {   // B^T (d B)
                    _mm256_storeu_ps(out + (0 + j) * xi_stride, _mm256_sub_ps(e[0][j], e[2][j]));
                    _mm256_storeu_ps(out + (4 + j) * xi_stride, _mm256_add_ps(e[1][j], e[2][j]));
                    _mm256_storeu_ps(out + (8 + j) * xi_stride, _mm256_sub_ps(e[2][j], e[1][j]));
                    _mm256_storeu_ps(out + (12 + j) * xi_stride, _mm256_sub_ps(e[1][j], e[3][j]));
                }
            }
        }
    }
}

// Y = A^T M A for channel o's tile row ty: output rows 2ty and 2ty + 1 into `top` and `bottom`.
__attribute__((target("avx2,fma"), always_inline))
static inline void transform_tile_row(const float *m, long xi_stride, int o, const geometry *g, int first_row, int ty,
                                      float *top, float *bottom) {
    for (int tx = 0; tx < g->tile_columns; tx += VECTOR) {
        const float *source = m + (long)o * g->tile_stride + (long)(ty - first_row) * g->tile_columns + tx;
        __m256 s[16];
        for (int xi = 0; xi < 16; xi++) s[xi] = _mm256_loadu_ps(source + xi * xi_stride);
        __m256 c[4], d[4];   // A^T M: c = rows 0 + 1 + 2, d = rows 1 - 2 - 3
        for (int j = 0; j < 4; j++) {
            c[j] = _mm256_add_ps(_mm256_add_ps(s[j], s[4 + j]), s[8 + j]);
            d[j] = _mm256_sub_ps(_mm256_sub_ps(s[4 + j], s[8 + j]), s[12 + j]);
        }
        __m256 y00 = _mm256_add_ps(_mm256_add_ps(c[0], c[1]), c[2]);
        __m256 y01 = _mm256_sub_ps(_mm256_sub_ps(c[1], c[2]), c[3]);
        __m256 y10 = _mm256_add_ps(_mm256_add_ps(d[0], d[1]), d[2]);
        __m256 y11 = _mm256_sub_ps(_mm256_sub_ps(d[1], d[2]), d[3]);
        interleave_store(y00, y01, top + 2 * tx);
        interleave_store(y10, y11, bottom + 2 * tx);
    }
}

// Channel o's tile rows first_row ..< end_row transformed and written to the output rows through the epilogue:
// `row` is epilogue_row (8 lanes) or epilogue_row512 (16; the same operations, so the same bits).
#define TRANSFORM_OUTPUT(name, attributes, row) \
    attributes static void name(const float *m, long xi_stride, int o, const geometry *g, int first_row, int end_row, \
                                int height, int width, float *rows, float *target, const float *residual, \
                                const direct_convolution_epilogue *epilogue, int channel) { \
        float *top = rows, *bottom = rows + g->row_buffer; \
        for (int ty = first_row; ty < end_row; ty++) { \
            transform_tile_row(m, xi_stride, o, g, first_row, ty, top, bottom); \
            for (int y = 2 * ty; y < 2 * ty + 2 && y < height; y++) \
                row(target + (long)y * width, y % 2 ? bottom : top, width, epilogue, channel, \
                    residual ? residual + (long)y * width : 0); \
        } \
    }
TRANSFORM_OUTPUT(transform_output, __attribute__((target("avx2,fma"))), epilogue_row)
TRANSFORM_OUTPUT(transform_output512, AVX512, epilogue_row512)

// `wide`: the element-wise products by the AVX-512 block (winograd_products_avx512), and the epilogue on
// 16 lanes for rows at least 16 wide (element-wise, so the same bits; on Zen 4 a 16-lane Swish or Mish
// costs 25-30 % less a value than an 8-lane one, while an 8-wide row would run a half-masked vector);
// the transforms as on AVX2. Measured on Zen 4, 16-lane transforms lost more on the 4- and 8-tile rows of
// 8x8 and 16x16 planes than they gained.
__attribute__((target("avx2,fma")))
static void winograd_run(const float *input, long in_channel_stride, long in_image_stride,
                         int in_channels, int image_count, int height, int width,
                         const float *packed_filters, int out_channels,
                         float *output, long out_channel_stride, long out_image_stride,
                         direct_convolution_epilogue epilogue, float *scratch, int wide) {
    const geometry g = measure(height, width, wide ? CHUNK_TILES_AVX512 : CHUNK_TILES);
    const long v_xi_stride = in_channels * g.tile_stride, m_xi_stride = out_channels * g.tile_stride;
    float *padded = scratch;
    float *v = padded + in_channels * g.plane + INPUT_GUARD;
    float *m = v + 16 * v_xi_stride;
    float *rows = m + 16 * m_xi_stride;
    memset(padded + in_channels * g.plane, 0, INPUT_GUARD * sizeof(float));
    // Lanes past a chunk's tiles are read by its last block and by the output transform; they must hold
    // finite values, not whatever the scratch held. Every chunk writes the first transformed_lanes(rows)
    // lanes of each V row and the first round_up(rows x columns, BLOCK) of each M row before reading
    // them, the last (smallest) chunk the fewest: the lanes past those are zeroed once per call.
    const int last_rows = g.tile_rows % g.chunk_rows ? g.tile_rows % g.chunk_rows : g.chunk_rows;
    const long v_written = transformed_lanes(g.tile_columns, last_rows);
    const long m_written = round_up((long)last_rows * g.tile_columns, BLOCK);
    if (v_written < g.tile_stride)   // none on 32x32 and 16x16 planes
        for (long row = 0; row < 16L * in_channels; row++)
            zero_floats(v + row * g.tile_stride + v_written, g.tile_stride - v_written);
    if (m_written < g.tile_stride)
        for (long row = 0; row < 16L * out_channels; row++)
            zero_floats(m + row * g.tile_stride + m_written, g.tile_stride - m_written);
    const int groups = out_channels / GROUP;
    for (int b = 0; b < image_count; b++) {
        pad_image(input + b * in_image_stride, in_channel_stride, in_channels, height, width,
                  padded, g.padded_rows, g.padded_width);
        for (int first_row = 0; first_row < g.tile_rows; first_row += g.chunk_rows) {
            const int end_row = first_row + g.chunk_rows < g.tile_rows ? first_row + g.chunk_rows : g.tile_rows;
            const long tiles = (long)(end_row - first_row) * g.tile_columns;
            transform_input(padded, in_channels, &g, first_row, end_row, v);
            if (wide) winograd_products_avx512(v, v_xi_stride, g.tile_stride, in_channels, packed_filters, out_channels,
                                               m, m_xi_stride, tiles);
            // Channel groups innermost: the C rows of V[xi][.][t-block] stay in L1 for all of them.
            for (long t = 0; t < (wide ? 0 : tiles); t += BLOCK) {   // whole blocks: the last may run into the slack
                for (int xi = 0; xi < 16; xi++) {
                    for (int group = 0; group < groups; group++) {
                        const float *filters = packed_filters + ((long)group * 16 + xi) * in_channels * GROUP;
                        register_block(v + xi * v_xi_stride + t, g.tile_stride, in_channels, 0, 0, filters, 0,
                                       m + xi * m_xi_stride + (long)group * GROUP * g.tile_stride + t, g.tile_stride,
                                       1, VECTORS_PER_BLOCK, 1);
                    }
                }
            }
            for (int channel = 0; channel < out_channels; channel++) {
                const long offset = channel * out_channel_stride + b * out_image_stride;
                (wide && width >= VECTOR512 ? transform_output512 : transform_output)(
                    m, m_xi_stride, channel, &g, first_row, end_row, height, width, rows, output + offset,
                    epilogue.residual ? epilogue.residual + offset : 0, &epilogue, channel);
            }
        }
    }
}


__attribute__((target("avx2,fma")))
static void winograd_avx2(CONVOLUTION_PARAMETERS) {
    winograd_run(input, in_channel_stride, in_image_stride, in_channels, image_count, height, width, packed_weight,
                 out_channels, output, out_channel_stride, out_image_stride, epilogue, scratch, 0);
}

__attribute__((target("avx2,fma")))
static void winograd_avx512(CONVOLUTION_PARAMETERS) {
    winograd_run(input, in_channel_stride, in_image_stride, in_channels, image_count, height, width, packed_weight,
                 out_channels, output, out_channel_stride, out_image_stride, epilogue, scratch, 1);
}

#endif

CONVOLUTION_DISPATCH(winograd_convolution_3x3, winograd_avx2, winograd_avx512)
