#include "WinogradWeightGradient.h"
#include "DirectConvolution.h"

#include <string.h>

// See WinogradWeightGradient.h for the algebra. Both transforms run on a zero-padded copy of one
// plane, so every tile reads a full 4x4 (or 2x2) block without bounds checks; the loop over a
// tile row's tiles writes each point's row of tiles contiguously (stride-2 loads, which the
// compiler vectorizes), and compiles twice: AVX2 where the CPU has it, portable otherwise.
// Only additions and subtractions: no contraction question, the same bits on either path.

// Whether the AVX2 forms run, read once: CPUID behind `direct_convolution_available` can cost
// microseconds (a VM exit under a hypervisor), too much per chunk.
static int use_avx2(void) {
    static int cached = -1;
    int value = __atomic_load_n(&cached, __ATOMIC_RELAXED);
    if (value < 0) {
        value = direct_convolution_available();
        __atomic_store_n(&cached, value, __ATOMIC_RELAXED);
    }
    return value;
}

int winograd_weight_gradient_tiles(int height, int width) { return ((height + 1) / 2) * ((width + 1) / 2); }

long winograd_weight_gradient_row_floats(int image_count, int height, int width) {
    const long rounded = ((long)image_count * winograd_weight_gradient_tiles(height, width) + 7) / 8 * 8;
    // A channel's 16 rows are written side by side: rows a multiple of 4 KiB apart would share L1 sets.
    return rounded % 1024 == 0 ? rounded + 16 : rounded;
}

int winograd_weight_gradient_chunk_images(int in_channels, int out_channels, int height, int width, long target_floats) {
    const long per_image = 16L * (in_channels + out_channels) * winograd_weight_gradient_tiles(height, width);
    const long n = target_floats / per_image;
    return n < 1 ? 1 : (int)n;
}

// Padded input plane: rows 2·ty .. 2·ty + 3 and columns 2·tx .. 2·tx + 3 of tile (ty, tx), input
// (y, x) at (y + 1, x + 1): (2·tiles_y + 2) x (2·tiles_x + 2). The gradient plane: 2·tiles_y x 2·tiles_x.
// Rows are as long as whole groups of 8 tiles need (the AVX2 transform reads 8 tiles at a time).
static int group_tiles(int width) { return ((width + 1) / 2 + 7) / 8 * 8; }
static int padded_input_width(int width) { return 2 * group_tiles(width) + 2; }
static int padded_gradient_width(int width) { return 2 * group_tiles(width); }

static long padded_input_floats(int height, int width) {
    return (long)(2 * ((height + 1) / 2) + 2) * padded_input_width(width);
}

long winograd_weight_gradient_transform_scratch_floats(int height, int width) {
    return padded_input_floats(height, width) + (long)(2 * ((height + 1) / 2)) * padded_gradient_width(width);
}

// One tile row, tile by tile (the portable form).
static inline void input_row_scalar(const float *r0, const float *r1, const float *r2, const float *r3, float *restrict o,
                                    long point, int tiles_x, long room) {
    (void)room;
    for (int tx = 0; tx < tiles_x; tx++) {
        const int x = 2 * tx;
        /* Rows: B^T d (r0 - r2, r1 + r2, r2 - r1, r1 - r3), column by column. */
        float t[4][4];
        for (int j = 0; j < 4; j++) {
            const float d0 = r0[x + j], d1 = r1[x + j], d2 = r2[x + j], d3 = r3[x + j];
            t[0][j] = d0 - d2; t[1][j] = d1 + d2; t[2][j] = d2 - d1; t[3][j] = d1 - d3;
        }
        /* Columns: (B^T d) B, the same combination along each row. */
        for (int i = 0; i < 4; i++) {
            o[(4 * i + 0) * point + tx] = t[i][0] - t[i][2];
            o[(4 * i + 1) * point + tx] = t[i][1] + t[i][2];
            o[(4 * i + 2) * point + tx] = t[i][2] - t[i][1];
            o[(4 * i + 3) * point + tx] = t[i][1] - t[i][3];
        }
    }
}

static inline void gradient_row_scalar(const float *g0, const float *g1, float *restrict o, long point, int tiles_x,
                                       long room) {
    (void)room;
    for (int tx = 0; tx < tiles_x; tx++) {
        const int x = 2 * tx;
        /* Rows: A dY = (y0, y0 + y1, y0 - y1, -y1) per column; then columns the same way. */
        const float a0 = g0[x], a1 = g0[x + 1], b0 = g1[x], b1 = g1[x + 1];
        const float t[4][2] = {{a0, a1}, {a0 + b0, a1 + b1}, {a0 - b0, a1 - b1}, {-b0, -b1}};
        for (int i = 0; i < 4; i++) {
            o[(4 * i + 0) * point + tx] = t[i][0];
            o[(4 * i + 1) * point + tx] = t[i][0] + t[i][1];
            o[(4 * i + 2) * point + tx] = t[i][0] - t[i][1];
            o[(4 * i + 3) * point + tx] = -t[i][1];
        }
    }
}

#if defined(__x86_64__)
#include <immintrin.h>

// Columns j, j + 2, ..., j + 14 of 16 floats from `row` (j = 0: evens, 1: odds): 8 tiles' column j.
__attribute__((target("avx2,fma"), always_inline))
static inline __m256 columns(const float *row, int odd) {
    const __m256 a = _mm256_loadu_ps(row), b = _mm256_loadu_ps(row + 8);
    const __m256 mixed = odd ? _mm256_shuffle_ps(a, b, 0xDD) : _mm256_shuffle_ps(a, b, 0x88);
    return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(mixed), 0xD8));
}

// Stores a group's lanes. A group past the tile row's end stores all 8 lanes when at least 8 tiles
// of the chunk's row remain from its start (the extra lanes land on tiles written later: masked
// stores are slow on some CPUs); otherwise exactly its `lanes`.
__attribute__((target("avx2,fma"), always_inline))
static inline void store(float *target, __m256 value, int lanes, int exact) {
    if (!exact) {
        _mm256_storeu_ps(target, value);
    } else {
        float lane[8];
        _mm256_storeu_ps(lane, value);
        for (int i = 0; i < lanes; i++) target[i] = lane[i];
    }
}

// One tile row, 8 tiles at a time: the same additions as the scalar form, in vector lanes.
__attribute__((target("avx2,fma"), always_inline))
static inline void input_row_avx2(const float *r0, const float *r1, const float *r2, const float *r3, float *restrict o,
                                  long point, int tiles_x, long room) {
    for (int tx = 0; tx < tiles_x; tx += 8) {
        const int lanes = tiles_x - tx;
        const int mask = lanes < 8 && room - tx < 8;
        const float *rows[4] = {r0 + 2 * tx, r1 + 2 * tx, r2 + 2 * tx, r3 + 2 * tx};
        __m256 t[4][4];
        for (int j = 0; j < 4; j++) {
            const __m256 d0 = columns(rows[0] + (j & 2), j & 1), d1 = columns(rows[1] + (j & 2), j & 1);
            const __m256 d2 = columns(rows[2] + (j & 2), j & 1), d3 = columns(rows[3] + (j & 2), j & 1);
            t[0][j] = _mm256_sub_ps(d0, d2);
            t[1][j] = _mm256_add_ps(d1, d2);
            t[2][j] = _mm256_sub_ps(d2, d1);
            t[3][j] = _mm256_sub_ps(d1, d3);
        }
        for (int i = 0; i < 4; i++) {
            store(o + (4 * i + 0) * point + tx, _mm256_sub_ps(t[i][0], t[i][2]), lanes, mask);
            store(o + (4 * i + 1) * point + tx, _mm256_add_ps(t[i][1], t[i][2]), lanes, mask);
            store(o + (4 * i + 2) * point + tx, _mm256_sub_ps(t[i][2], t[i][1]), lanes, mask);
            store(o + (4 * i + 3) * point + tx, _mm256_sub_ps(t[i][1], t[i][3]), lanes, mask);
        }
    }
}

__attribute__((target("avx2,fma"), always_inline))
static inline void gradient_row_avx2(const float *g0, const float *g1, float *restrict o, long point, int tiles_x,
                                     long room) {
    const __m256 sign = _mm256_set1_ps(-0.0f);  // negation by the sign bit, like the scalar form's -x
    for (int tx = 0; tx < tiles_x; tx += 8) {
        const int lanes = tiles_x - tx;
        const int mask = lanes < 8 && room - tx < 8;
        const __m256 a0 = columns(g0 + 2 * tx, 0), a1 = columns(g0 + 2 * tx, 1);
        const __m256 b0 = columns(g1 + 2 * tx, 0), b1 = columns(g1 + 2 * tx, 1);
        const __m256 t[4][2] = {{a0, a1}, {_mm256_add_ps(a0, b0), _mm256_add_ps(a1, b1)},
                                {_mm256_sub_ps(a0, b0), _mm256_sub_ps(a1, b1)},
                                {_mm256_xor_ps(b0, sign), _mm256_xor_ps(b1, sign)}};
        for (int i = 0; i < 4; i++) {
            store(o + (4 * i + 0) * point + tx, t[i][0], lanes, mask);
            store(o + (4 * i + 1) * point + tx, _mm256_add_ps(t[i][0], t[i][1]), lanes, mask);
            store(o + (4 * i + 2) * point + tx, _mm256_sub_ps(t[i][0], t[i][1]), lanes, mask);
            store(o + (4 * i + 3) * point + tx, _mm256_xor_ps(t[i][1], sign), lanes, mask);
        }
    }
}
#endif

// Channel by channel, image by image within it: a channel's 16 rows of tiles (16·T floats) are
// filled front to back while they stay in L1, and its images' planes are read in storage order.
#define TRANSFORM_BODY(INPUT_ROW, GRADIENT_ROW)                                                                  \
    const int tiles_y = (height + 1) / 2, tiles_x = (width + 1) / 2;                                          \
    const int tiles = tiles_y * tiles_x;                                                                        \
    const long T = winograd_weight_gradient_row_floats(image_count, height, width);                            \
    const long used = (long)image_count * tiles;                                                                \
    /* Rows run T = tiles rounded up to 8 floats; the tail is zero, so it adds nothing. */                     \
    for (long r = 0; r < 16L * (in_channels + out_channels); r++) {                                            \
        float *row = (r < 16L * in_channels ? v + r * T : m + (r - 16L * in_channels) * T);                    \
        for (long t = used; t < T; t++) row[t] = 0;                                                             \
    }                                                                                                           \
    const int pw = padded_input_width(width), gw = padded_gradient_width(width);                                \
    float *restrict p = scratch;                                                                                \
    float *restrict q = scratch + padded_input_floats(height, width);                                          \
    /* Borders and the rows/columns past an odd plane stay zero: only the interior is rewritten. */            \
    memset(p, 0, padded_input_floats(height, width) * sizeof(float));                                          \
    memset(q, 0, (long)(2 * tiles_y) * gw * sizeof(float));                                                     \
    for (int c = 0; c < in_channels; c++) {                                                                     \
        for (int b = 0; b < image_count; b++) {                                                                 \
            const float *source = input + c * in_channel_stride + b * in_image_stride;                          \
            for (int y = 0; y < height; y++) memcpy(p + (long)(y + 1) * pw + 1, source + (long)y * width, width * sizeof(float)); \
            float *restrict out = v + (long)c * 16 * T + (long)b * tiles;                                       \
            for (int ty = 0; ty < tiles_y; ty++) {                                                              \
                const float *r0 = p + (long)(2 * ty) * pw;                                                      \
                INPUT_ROW(r0, r0 + pw, r0 + 2 * pw, r0 + 3 * pw, out + ty * tiles_x, T, tiles_x,             \
                          used - ((long)b * tiles + ty * tiles_x));             \
            }                                                                                                   \
        }                                                                                                       \
    }                                                                                                           \
    for (int oc = 0; oc < out_channels; oc++) {                                                                 \
        for (int b = 0; b < image_count; b++) {                                                                 \
            const float *source = grad_output + oc * out_channel_stride + b * out_image_stride;                 \
            for (int y = 0; y < height; y++) memcpy(q + (long)y * gw, source + (long)y * width, width * sizeof(float)); \
            float *restrict out = m + (long)oc * 16 * T + (long)b * tiles;                                      \
            for (int ty = 0; ty < tiles_y; ty++) {                                                              \
                const float *g0 = q + (long)(2 * ty) * gw;                                                      \
                GRADIENT_ROW(g0, g0 + gw, out + ty * tiles_x, T, tiles_x, used - ((long)b * tiles + ty * tiles_x)); \
                                                   \
            }                                                                                                   \
        }                                                                                                       \
    }

#define TRANSFORM_PARAMETERS                                                                                    \
    const float *input, long in_channel_stride, long in_image_stride, int in_channels,                          \
    const float *grad_output, long out_channel_stride, long out_image_stride, int out_channels,                 \
    int image_count, int height, int width, float *restrict v, float *restrict m, float *restrict scratch

#if defined(__x86_64__)
__attribute__((target("avx2,fma")))
static void transform_avx2(TRANSFORM_PARAMETERS) { TRANSFORM_BODY(input_row_avx2, gradient_row_avx2) }
#endif

static void transform_portable(TRANSFORM_PARAMETERS) { TRANSFORM_BODY(input_row_scalar, gradient_row_scalar) }

void winograd_weight_gradient_transform(const float *input, long in_channel_stride, long in_image_stride, int in_channels,
                                        const float *grad_output, long out_channel_stride, long out_image_stride,
                                        int out_channels, int image_count, int height, int width,
                                        float *v, float *m, float *scratch) {
#if defined(__x86_64__)
    if (use_avx2()) {
        transform_avx2(input, in_channel_stride, in_image_stride, in_channels, grad_output, out_channel_stride,
                       out_image_stride, out_channels, image_count, height, width, v, m, scratch);
        return;
    }
#endif
    transform_portable(input, in_channel_stride, in_image_stride, in_channels, grad_output, out_channel_stride,
                       out_image_stride, out_channels, image_count, height, width, v, m, scratch);
}

// dU[ξ][o][c] += Σ_t m[ξ][o][t] · v[ξ][c][t]: per point, blocks of 4 output x 3 input channels (AVX2's
// 16 registers) or 4 x 6 (AVX-512VL's 32, still 8-float vectors), one accumulator of 8 tiles per (o, c)
// (dot products along the tile rows, so any channel count works, the stem's single input channel
// too), reduced in one fixed order at the end of the rows. Each (o, c) sums the same products in the
// same order whatever the block shape, so both ISAs give the same bits.
#if defined(__x86_64__)
__attribute__((target("avx2,fma"), always_inline))
static inline void accumulate_block(const float *m, const float *v, long T, int ob, int cb, int in_channels, float *du) {
    __m256 acc[4][6];
    for (int o = 0; o < 4; o++)
        for (int c = 0; c < 6; c++) acc[o][c] = _mm256_setzero_ps();
    for (long t = 0; t < T; t += 8) {
        __m256 b[6];
        for (int c = 0; c < 6; c++)
            if (c < cb) b[c] = _mm256_loadu_ps(v + c * 16 * T + t);
        for (int o = 0; o < 4; o++) {
            if (o >= ob) break;
            const __m256 a = _mm256_loadu_ps(m + o * 16 * T + t);
            for (int c = 0; c < 6; c++)
                if (c < cb) acc[o][c] = _mm256_fmadd_ps(a, b[c], acc[o][c]);
        }
    }
    for (int o = 0; o < ob; o++)
        for (int c = 0; c < cb; c++) {
            const __m128 low = _mm256_castps256_ps128(acc[o][c]), high = _mm256_extractf128_ps(acc[o][c], 1);
            __m128 sum = _mm_add_ps(low, high);                       // lanes (0+4, 1+5, 2+6, 3+7)
            sum = _mm_add_ps(sum, _mm_movehl_ps(sum, sum));           // (0+2, 1+3)
            sum = _mm_add_ss(sum, _mm_shuffle_ps(sum, sum, 1));       // 0+1
            du[o * in_channels + c] += _mm_cvtss_f32(sum);
        }
}

// The block shapes as constants, so the loops above unroll into registers: WIDE input channels per
// block while 4 output channels and WIDE input channels remain, then blocks of at most 4 x 3.
#define BLOCK(OB, CB) accumulate_block(m, v, T, OB, CB, in_channels, du)
#define ACCUMULATE_BODY(WIDE)                                                                                   \
    const long pair = (long)out_channels * in_channels;                                                         \
    for (int xi = 0; xi < 16; xi++) {                                                                           \
        const float *mp = m + (long)xi * T, *vp = v + (long)xi * T;                                             \
        float *dp = du + xi * pair;                                                                             \
        for (int o = 0; o < out_channels; o += 4) {                                                             \
            const int ob = out_channels - o < 4 ? out_channels - o : 4;                                         \
            int c = 0;                                                                                          \
            while (c < in_channels) {                                                                           \
                const float *m = mp + o * 16 * T, *v = vp + c * 16 * T;                                         \
                float *du = dp + (long)o * in_channels + c;                                                     \
                if (ob == 4 && in_channels - c >= WIDE) {                                                       \
                    BLOCK(4, WIDE);                                                                             \
                    c += WIDE;                                                                                  \
                    continue;                                                                                   \
                }                                                                                               \
                const int cb = in_channels - c < 3 ? in_channels - c : 3;                                       \
                switch (ob * 4 + cb) {                                                                          \
                case 4 * 4 + 3: BLOCK(4, 3); break;                                                             \
                case 4 * 4 + 2: BLOCK(4, 2); break;                                                             \
                case 4 * 4 + 1: BLOCK(4, 1); break;                                                             \
                case 3 * 4 + 3: BLOCK(3, 3); break;                                                             \
                case 3 * 4 + 2: BLOCK(3, 2); break;                                                             \
                case 3 * 4 + 1: BLOCK(3, 1); break;                                                             \
                case 2 * 4 + 3: BLOCK(2, 3); break;                                                             \
                case 2 * 4 + 2: BLOCK(2, 2); break;                                                             \
                case 2 * 4 + 1: BLOCK(2, 1); break;                                                             \
                case 1 * 4 + 3: BLOCK(1, 3); break;                                                             \
                case 1 * 4 + 2: BLOCK(1, 2); break;                                                             \
                default: BLOCK(1, 1); break;                                                                    \
                }                                                                                               \
                c += cb;                                                                                        \
            }                                                                                                   \
        }                                                                                                       \
    }

__attribute__((target("avx2,fma")))
static void accumulate_avx2(const float *m, const float *v, int out_channels, int in_channels, long T, float *du) {
    ACCUMULATE_BODY(3)
}

__attribute__((target("avx512f,avx512vl,avx2,fma")))
static void accumulate_avx512(const float *m, const float *v, int out_channels, int in_channels, long T, float *du) {
    ACCUMULATE_BODY(6)
}
#undef BLOCK
#endif

static void accumulate_portable(const float *m, const float *v, int out_channels, int in_channels, long T, float *du) {
    const long pair = (long)out_channels * in_channels;
    for (int xi = 0; xi < 16; xi++)
        for (int o = 0; o < out_channels; o++)
            for (int c = 0; c < in_channels; c++) {
                const float *a = m + ((long)o * 16 + xi) * T, *b = v + ((long)c * 16 + xi) * T;
                float sum = 0;
                for (long t = 0; t < T; t++) sum += a[t] * b[t];
                du[xi * pair + (long)o * in_channels + c] += sum;
            }
}

void winograd_weight_gradient_accumulate(const float *m, const float *v, int out_channels, int in_channels,
                                         long row_floats, float *du) {
#if defined(__x86_64__)
    if (use_avx2()) {
        if (convolution_isa() == CONVOLUTION_ISA_AVX512) accumulate_avx512(m, v, out_channels, in_channels, row_floats, du);
        else accumulate_avx2(m, v, out_channels, in_channels, row_floats, du);
        return;
    }
#endif
    accumulate_portable(m, v, out_channels, in_channels, row_floats, du);
}

void winograd_weight_gradient_finish(const float *du, int out_channels, int in_channels, float *grad_weight) {
    // G^T = [1 1/2 1/2 0; 0 1/2 -1/2 0; 0 1/2 1/2 1].
    static const double gt[3][4] = {{1, 0.5, 0.5, 0}, {0, 0.5, -0.5, 0}, {0, 0.5, 0.5, 1}};
    const long pair = (long)out_channels * in_channels;
    for (int o = 0; o < out_channels; o++) {
        for (int c = 0; c < in_channels; c++) {
            double u[4][4];
            for (int xi = 0; xi < 16; xi++) u[xi / 4][xi % 4] = du[xi * pair + (long)o * in_channels + c];
            double h[3][4];
            for (int i = 0; i < 3; i++)
                for (int j = 0; j < 4; j++) h[i][j] = gt[i][0] * u[0][j] + gt[i][1] * u[1][j] + gt[i][2] * u[2][j] + gt[i][3] * u[3][j];
            float *target = grad_weight + ((long)o * in_channels + c) * 9;
            for (int i = 0; i < 3; i++)
                for (int j = 0; j < 3; j++)
                    target[3 * i + j] = (float)((double)target[3 * i + j]
                                                + h[i][0] * gt[j][0] + h[i][1] * gt[j][1] + h[i][2] * gt[j][2] + h[i][3] * gt[j][3]);
        }
    }
}
