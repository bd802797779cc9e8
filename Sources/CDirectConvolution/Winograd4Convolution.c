#include "Winograd4Convolution.h"

#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#include "Avx512Kernels.h"
#include "KernelVariants.h"
#include "Winograd4Kernels.h"

// Winograd F(4x4, 3x3) (Lavin & Gray 2016, interpolation points 0, 1, -1, 2, -2 and infinity):
//   Y = A^T [ (G g G^T) .* (B^T d B) ] A   for each 6x6 input tile d (stride 4) and 4x4 output tile Y.
//
//   B^T = [ 4  0 -5  0  1  0 ]     G = [  1/4     0     0  ]     A^T = [ 1  1  1  1  1  0 ]
//         [ 0 -4 -4  1  1  0 ]         [ -1/6  -1/6  -1/6  ]           [ 0  1 -1  2 -2  0 ]
//         [ 0  4 -4 -1  1  0 ]         [ -1/6   1/6  -1/6  ]           [ 0  1  1  4  4  0 ]
//         [ 0 -2 -1  2  1  0 ]         [ 1/24  1/12   1/6  ]           [ 0  1 -1  8 -8  1 ]
//         [ 0  2 -1 -2  1  0 ]         [ 1/24 -1/12   1/6  ]
//         [ 0  4  0 -5  0  1 ]         [   0     0     1   ]
//
// 36 multiplies per (input, output) channel pair and output tile where direct takes 144. The element-wise
// stage is 36 matrix products M[xi][o][t] = sum_c U[xi][o][c] V[xi][c][t], by the direct kernel's register
// block (AVX2: 4 channels x 16 tiles; AVX-512: 8 x up to 48).
//
// Tiles are small (a 32x32 plane has 8x8 of them, an 8x8 plane 2x2), so the tiles of the whole call are
// numbered across images: global tile row R = image * tile_rows + tile row, and a chunk is a run of global
// tile rows holding at least CHUNK4_TILES tiles (several images' worth on small planes), its tiles numbered
// t = (R - first R) * lane_columns + tile column. The transforms (Winograd4Template.h, written once for 8
// and 16 lanes) run 8 or 16 consecutive tiles a vector whatever row or image they come from, so no lane is
// wasted on 8x8 or 7x7 planes: each tile's 6x6 input read as 128-bit rows and transposed from a copy of its
// image in a zero-bordered plane (4 tile_rows + 2 by 4 tile_columns + 2: ragged planes padded to whole tiles;
// a chunk may span several images, so `slots` padded images are kept in a ring), or, where the tiles of a tile
// row are numbered in multiples of 4 (contiguous: see reads_contiguous), 4-tile groups read with full-width
// loads straight from the input, the window's positions outside the plane masked off (no copy; their lanes
// permuted, undone by the output transform). Per chunk: V (36 x C x tiles) and M (36 x O x tiles) stay in L2
// between the stages. The output transform applies the epilogue (bias, residual, activation: epilogue_row's
// operations, so the same bits) and stores straight into the output rows, the positions past a ragged plane's
// bottom row skipped and past its right edge masked off.

// Tiles per chunk wanted. 48 on AVX-512: whole blocks of 8 channels x 48 tiles (24 accumulators) where 32 runs
// 2-vector blocks (16). Measured on Zen 4 (loaded; binaries alternated, 5 rounds, medians): whole ResNet-20
// forward, 1 thread, 1,700 img/CPU-s with 48 against 1,497 with 32; 32->32 16x16 layer 23.9 against 29.0 us
// an image. AVX2 (4 x 16 blocks), 1 thread: 16: 1,424, 32: 1,432, 48: 1,295 img/CPU-s (medians of 3).
// With 64 channels a 48-tile chunk's V and M take 2 x 442 KiB (L2: 1 MiB a core).
// 16 on AVX2: on Zen 3 (AMD EPYC family 25 model 1, 512 KiB L2 a core; a 16-channel chunk's V and M then take
// 2 x 37 KiB, near L1, where 32 tiles took 2 x 74 KiB), the whole ResNet-20 forward (`auto`, ReLU, micro-batch
// 8), the chunk switched call by call inside one process, 20-30 paired rounds in each of 4 runs: 16 against 32
// tiles 1.023-1.049x at 1 thread, 1.008-1.037x at 2 (ahead in 14-20 of 20-30 pairs each); 24, 48, 64 and 16
// only below 32 or 64 channels no better. The same bits (tiles are lanes: each one's sums are the same
// operations in the same order).
#ifndef CHUNK4_TILES
#define CHUNK4_TILES 16
#endif
#ifndef CHUNK4_TILES_AVX512
#define CHUNK4_TILES_AVX512 48
#endif
enum { XI = 36, TILE_LANES = 16 };   // products run over whole multiples of 16 tiles

// Whether a plane's tiles are read straight from the input as contiguous 4-tile groups, each tile row's tiles
// numbered in a multiple of 4 (tile_columns rounded up: the tiles past the row cost their share of the
// element-wise stage and are never stored), rather than gathered from padded copies of its images. Always
// where tile_columns is a multiple of 4; elsewhere where the rounding adds at most 1/7 of the tiles. Measured
// on Zen 4, AVX-512, 1 thread (Benchmarks/winograd4_ragged_bench.c, loaded; alternated, medians of 3 to 5; us
// an image, residual-block epilogue, gathered -> rounded up): 7 columns 28x28 C=16 29.7 -> 19.4 to 24.2,
// C=32 99.9 -> 76.4, C=64 301 -> 235; 11 columns 44x44 C=16 87.5 -> 66.9; but 2 columns (7x7, 8x8, C=64)
// 16.1 -> 27.0 and 15.0 -> 26.1, 3 columns 12x12 C=32 10.8 -> 12.5, 5 columns 20x20 C=32 35.9 -> 46.4, 6 columns
// 24x24 C=32 56.8 -> 57.4.
static int reads_contiguous(int tile_columns) {
    const int rounded = (int)round_up(tile_columns, 4);
    return rounded == tile_columns || 7 * rounded <= 8 * tile_columns;
}

static geometry4 measure4(int in_channels, int height, int width, int chunk_tiles_wanted) {
    geometry4 g;
    g.height = height;
    g.width = width;
    g.whole = height % 4 == 0 && width % 4 == 0;
    g.tile_rows = (height + 3) / 4;
    g.tile_columns = (width + 3) / 4;
    g.contiguous = reads_contiguous(g.tile_columns);
    g.lane_columns = g.contiguous ? (int)round_up(g.tile_columns, 4) : g.tile_columns;
    // The fewest rows with at least the wanted tiles, or the first row count after it (within twice as many)
    // whose tiles fill whole 16-tile blocks.
    const int least = (chunk_tiles_wanted + g.lane_columns - 1) / g.lane_columns;
    g.chunk_rows = least;
    for (int rows = least; rows <= 2 * least; rows++)
        if ((long)rows * g.lane_columns % TILE_LANES == 0) { g.chunk_rows = rows; break; }
    // A chunk's rows touch at most (chunk_rows - 1) / tile_rows + 2 images.
    g.slots = (g.chunk_rows - 1) / g.tile_rows + 2;
    g.padded_rows = 4 * g.tile_rows + 2;
    g.padded_width = 4 * g.tile_columns + 2;
    g.plane = (long)g.padded_rows * g.padded_width;
    g.image = in_channels * g.plane;
    g.tile_stride = round_up((long)g.chunk_rows * g.lane_columns, TILE_LANES);
    return g;
}

// Floats between the V (or M) rows of consecutive transformed positions xi: the channels' rows of a chunk,
// rounded up to an odd number of 64-byte lines. The transforms touch the 36 rows of one channel together;
// at C x tile_stride floats they were 3, 6 and 12 KiB apart on the 32x32, 16x16 and 8x8 layers, so all 36
// fell into 4, 2 or 1 of the L1's 64 sets (8 ways each). An odd line count spreads them over 36 sets.
static long xi_stride(int channels, const geometry4 *g) {
    return ((long)channels * g->tile_stride / 16 | 1) * 16;   // tile_stride is a multiple of 16
}

// Scratch layout: padded images | tile offsets, output corners, window rows and columns (tile_stride longs
// each) | V | M. Padded images are kept only where the input transform gathers tiles.
static long padded_floats(const geometry4 *g) {
    return g->contiguous ? 0 : round_up(g->slots * g->image, 16);
}

static long scratch_floats(const geometry4 *g, int in_channels, int out_channels) {
    return padded_floats(g)                                // padded images (64-byte aligned: see winograd4_run)
         + 8 * g->tile_stride                              // four longs per tile
         + (long)XI * xi_stride(in_channels, g)            // V of one chunk
         + (long)XI * xi_stride(out_channels, g)           // M of one chunk
         + 16;                                             // to align the start to 64 bytes
}

long winograd4_convolution_scratch_floats(int in_channels, int out_channels, int height, int width) {
    geometry4 a = measure4(in_channels, height, width, CHUNK4_TILES);
    geometry4 b = measure4(in_channels, height, width, CHUNK4_TILES_AVX512);
    const long x = scratch_floats(&a, in_channels, out_channels), y = scratch_floats(&b, in_channels, out_channels);
    return x > y ? x : y;   // either ISA: the selection may change after sizing
}

long winograd4_convolution_packed_floats(int out_channels, int in_channels) {
    return (long)XI * out_channels * in_channels;
}

// U = G g G^T, each sum in the matrix product's order from 0, in float64 without contraction, rounded once.
void winograd4_convolution_pack_filters(const float *weight, int out_channels, int in_channels, float *packed) {
#pragma clang fp contract(off)
    static const double G[6][3] = {
        {1.0 / 4, 0, 0}, {-1.0 / 6, -1.0 / 6, -1.0 / 6}, {-1.0 / 6, 1.0 / 6, -1.0 / 6},
        {1.0 / 24, 1.0 / 12, 1.0 / 6}, {1.0 / 24, -1.0 / 12, 1.0 / 6}, {0, 0, 1}};
    for (int o = 0; o < out_channels; o++) {
        const int group = o / GROUP, lane = o % GROUP;
        for (int c = 0; c < in_channels; c++) {
            const float *w = weight + ((long)o * in_channels + c) * 9;
            double gw[6][3];   // G w
            for (int i = 0; i < 6; i++)
                for (int j = 0; j < 3; j++)
                    gw[i][j] = ((0.0 + G[i][0] * (double)w[j]) + G[i][1] * (double)w[3 + j]) + G[i][2] * (double)w[6 + j];
            for (int i = 0; i < 6; i++)
                for (int j = 0; j < 6; j++) {   // (G w) G^T
                    const double u = ((0.0 + gw[i][0] * G[j][0]) + gw[i][1] * G[j][1]) + gw[i][2] * G[j][2];
                    packed[(((long)group * XI + i * 6 + j) * in_channels + c) * GROUP + lane] = (float)u;
                }
        }
    }
}

#if defined(__x86_64__) || defined(__i386__)

// The transforms on 8 lanes: Winograd4Template.h (Winograd4Convolution512.c has the 16-lane ones).
// Masked loads and stores for the direct input path and the planes' ragged edges (vmaskmovps: masked-off lanes are zero and never read).
__attribute__((target("avx2,fma"), always_inline))
static inline __m256i w4_column_mask(int column, int width) {
    const __m256i at = _mm256_add_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), _mm256_set1_epi32(column));
    return _mm256_and_si256(_mm256_cmpgt_epi32(at, _mm256_set1_epi32(-1)), _mm256_cmpgt_epi32(_mm256_set1_epi32(width), at));
}
#define W4_LOAD_MASK __m256i
#define W4_NO_LANES _mm256_setzero_si256()
#define W4_COLUMN_MASK(column, width) w4_column_mask(column, width)
#define W4_MASKED_LOAD(p, mask) _mm256_maskload_ps(p, mask)
// Masked stores (vmaskmovps) take many micro-ops on AMD cores: whole 128-bit pieces are stored plainly, and the
// first n < 4 floats of one as a 64-bit and a 32-bit store (the same values, so the same bits). Measured on AMD
// EPYC family 25 model 1 (Zen 3), cycles of the output transform per image, 14x14 planes, 32 channels: 15.9 ->
// 11.9 with these stores, against 10.2 for 16x16 planes with as many tiles (docs/performance-log.md,
// 2026-12-07, thirteenth session).
__attribute__((target("avx2,fma"), always_inline))
static inline void w4_store_quarter(float *p, __m128 v, int n) {
    switch (n) {
    case 4: _mm_storeu_ps(p, v); break;
    case 3: _mm_storel_pi((__m64 *)p, v); _mm_store_ss(p + 2, _mm_movehl_ps(v, v)); break;
    case 2: _mm_storel_pi((__m64 *)p, v); break;
    case 1: _mm_store_ss(p, v); break;
    default: break;
    }
}
// The first n (0..8) floats of v.
__attribute__((target("avx2,fma"), always_inline))
static inline void w4_store_first(float *p, __m256 v, int n) {
    if (n >= 4) {
        _mm_storeu_ps(p, _mm256_castps256_ps128(v));
        w4_store_quarter(p + 4, _mm256_extractf128_ps(v, 1), n - 4);
    } else {
        w4_store_quarter(p, _mm256_castps256_ps128(v), n);
    }
}
#define W4_STORE_FIRST(p, v, n, mask) w4_store_first(p, v, n)
// The first n (0..4) floats of a 128-bit piece.
__attribute__((target("avx2,fma"), always_inline))
static inline __m128i w4_quarter_mask(int n) {
    return _mm_cmpgt_epi32(_mm_set1_epi32(n), _mm_setr_epi32(0, 1, 2, 3));
}
#define W4_LOAD_QUARTERS_MASKED(p, k, n) \
    _mm256_insertf128_ps(_mm256_castps128_ps256(_mm_maskload_ps((p)[k], w4_quarter_mask((n)[k]))), \
                         _mm_maskload_ps((p)[(k) + 4], w4_quarter_mask((n)[(k) + 4])), 1)
#define W4_STORE_QUARTERS_MASKED(p, k, v, n) do { \
        w4_store_quarter((p)[k], _mm256_castps256_ps128(v), (n)[k]); \
        w4_store_quarter((p)[(k) + 4], _mm256_extractf128_ps(v, 1), (n)[(k) + 4]); \
    } while (0)
#define W4_ENTRY __attribute__((target("avx2,fma"))) static
#include "VectorLanes8.h"
#include "Winograd4Template.h"
#undef W4_ENTRY
#undef W4_LOAD_MASK
#undef W4_NO_LANES
#undef W4_COLUMN_MASK
#undef W4_MASKED_LOAD
#undef W4_STORE_FIRST
#undef W4_LOAD_QUARTERS_MASKED
#undef W4_STORE_QUARTERS_MASKED

// `wide`: the transforms (and the epilogue in the output transform) on 16 lanes and the element-wise stage by
// the AVX-512 block (the same operations on every lane: the same bits as AVX2).
__attribute__((target("avx2,fma")))
static void winograd4_run(const float *input, long in_channel_stride, long in_image_stride,
                          int in_channels, int image_count, int height, int width,
                          const float *packed_filters, int out_channels,
                          float *output, long out_channel_stride, long out_image_stride,
                          direct_convolution_epilogue epilogue, float *scratch, int wide) {
    const geometry4 g = measure4(in_channels, height, width, wide ? CHUNK4_TILES_AVX512 : CHUNK4_TILES);
    const long v_xi_stride = xi_stride(in_channels, &g), m_xi_stride = xi_stride(out_channels, &g);
    // 64-byte aligned (callers' buffers are malloc's 16): then every V and M row is, and the full-width loads
    // and stores of the transforms and the element-wise stage never split a cache line.
    float *padded = (float *)(((uintptr_t)scratch + 63) & ~(uintptr_t)63);
    long *offsets = (long *)(padded + padded_floats(&g));
    long *corners = offsets + g.tile_stride;
    long *rows = corners + g.tile_stride;
    long *columns = rows + g.tile_stride;
    float *v = (float *)(columns + g.tile_stride);
    float *m = v + XI * v_xi_stride;
    const long total_rows = (long)image_count * g.tile_rows;
    const int groups = out_channels / GROUP;
    long next_image = 0;   // the first image not yet padded
    for (long first_row = 0; first_row < total_rows; first_row += g.chunk_rows) {
        const long end_row = first_row + g.chunk_rows < total_rows ? first_row + g.chunk_rows : total_rows;
        const long last_image = (end_row - 1) / g.tile_rows;
        // Contiguous planes are read straight from the input (winograd4_transform_input_direct): no copy.
        for (; !g.contiguous && next_image <= last_image; next_image++)
            pad_image(input + next_image * in_image_stride, in_channel_stride, in_channels, height, width,
                      padded + (next_image % g.slots) * g.image, g.padded_rows, g.padded_width);
        const long tiles = (end_row - first_row) * g.lane_columns;
        const long lanes = round_up(tiles, TILE_LANES);
        for (long t = 0; t < lanes; t++) {
            if (t >= tiles) { offsets[t] = 0; corners[t] = 0; rows[t] = -8; columns[t] = 0; continue; }   // rows -8..-3: every lane masked off
            const long global = first_row + t / g.lane_columns;
            const long ty = global % g.tile_rows, tx = t % g.lane_columns;
            offsets[t] = g.contiguous ? global / g.tile_rows * in_image_stride + (4 * ty - 1) * width + 4 * tx - 1
                                      : (global / g.tile_rows % g.slots) * g.image + 4 * ty * g.padded_width + 4 * tx;
            rows[t] = 4 * ty - 1;
            columns[t] = 4 * tx;
            corners[t] = global / g.tile_rows * out_image_stride + 4 * ty * width + 4 * tx;
        }
        if (g.contiguous && wide)
            winograd4_transform_input_direct512(input, in_channel_stride, in_channels, &g, offsets, rows, columns,
                                                lanes, v, v_xi_stride);
        else if (g.contiguous)
            winograd4_transform_input_direct(input, in_channel_stride, in_channels, &g, offsets, rows, columns, lanes,
                                             v, v_xi_stride);
        else if (wide) winograd4_transform_input512(padded, in_channels, &g, offsets, lanes, v, v_xi_stride);
        else winograd4_transform_input(padded, in_channels, &g, offsets, lanes, v, v_xi_stride);
        if (wide) {
            winograd4_products_avx512(v, v_xi_stride, g.tile_stride, in_channels, packed_filters, out_channels,
                                      m, m_xi_stride, lanes);
        } else {
            // Channel groups innermost: the C rows of V[xi][.][t-block] stay in L1 for all of them.
            for (long t = 0; t < lanes; t += BLOCK)
                for (int xi = 0; xi < XI; xi++)
                    for (int group = 0; group < groups; group++) {
                        const float *filters = packed_filters + ((long)group * XI + xi) * in_channels * GROUP;
                        register_block(v + xi * v_xi_stride + t, g.tile_stride, in_channels, 0, 0, filters, 0,
                                       m + xi * m_xi_stride + (long)group * GROUP * g.tile_stride + t, g.tile_stride,
                                       1, VECTORS_PER_BLOCK, 1);
                    }
        }
        for (int channel = 0; channel < out_channels; channel++) {
            const long offset = channel * out_channel_stride;
            const winograd4_destination d = {output + offset, epilogue.bias,
                                             epilogue.residual ? epilogue.residual + offset : 0, channel,
                                             epilogue.activation};
            if (wide) winograd4_transform_output512(m, m_xi_stride, channel, &g, tiles, corners, rows, columns, &d);
            else winograd4_transform_output(m, m_xi_stride, channel, &g, tiles, corners, rows, columns, &d);
        }
    }
}

__attribute__((target("avx2,fma")))
static void winograd4_avx2(CONVOLUTION_PARAMETERS) {
    winograd4_run(input, in_channel_stride, in_image_stride, in_channels, image_count, height, width, packed_weight,
                  out_channels, output, out_channel_stride, out_image_stride, epilogue, scratch, 0);
}

__attribute__((target("avx2,fma")))
static void winograd4_avx512(CONVOLUTION_PARAMETERS) {
    winograd4_run(input, in_channel_stride, in_image_stride, in_channels, image_count, height, width, packed_weight,
                  out_channels, output, out_channel_stride, out_image_stride, epilogue, scratch, 1);
}

#endif

CONVOLUTION_DISPATCH(winograd4_convolution_3x3, winograd4_avx2, winograd4_avx512)
