#include "WinogradWeightGradient.h"
#include "DirectConvolution.h"

#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

// See WinogradWeightGradient.h for the algebra. Each transform is separable (B^T d B, A dY A^T) and
// runs in two passes per plane over a zero-padded copy of it (so every tile reads full blocks
// without bounds checks):
//   horizontal  each padded row → the row combination of B (input) or A^T (gradient) per tile, 4
//               values, into 4 small "half planes" per row parity (even rows, odd rows), tiles_x
//               floats per row; AVX2: 8 tiles at a time, even/odd columns split by shuffles;
//   vertical    the column combination over the plane's tiles in storage order t = ty·tiles_x + tx:
//               tile row ty reads padded rows 2ty .. 2ty + 3 (input) or 2ty, 2ty + 1 (gradient),
//               i.e. the even and odd half planes at t and t + tiles_x, so one flat loop over all
//               the plane's tiles writes its 16 output rows contiguously, whatever the plane's width
//               (no lanes wasted on 7-wide planes, no per-tile-row work or register spills).
// The padded plane and the 8 half planes stay in L1. Only additions and subtractions (no
// contraction question): the same bits on every path.

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
// (y, x) at (y + 1, x + 1): (2·tiles_y + 2) x (2·group_tiles + 2), group_tiles = tiles_x rounded up
// to 8 (the AVX2 pass reads 8 tiles at a time). The gradient plane, in the same buffer after the
// input planes are done: 2·tiles_y x 2·group_tiles. Half planes: tiles_y + 1 rows of tiles_x, and 8
// floats of room for the AVX2 pass's last 8-tile store.
static int group_tiles(int width) { return ((width + 1) / 2 + 7) / 8 * 8; }
static int padded_input_width(int width) { return 2 * group_tiles(width) + 2; }
static int padded_gradient_width(int width) { return 2 * group_tiles(width); }
static long padded_input_floats(int height, int width) {
    return (long)(2 * ((height + 1) / 2) + 2) * padded_input_width(width);
}
static long half_plane_floats(int height, int width) { return (long)((height + 1) / 2 + 1) * ((width + 1) / 2) + 8; }

long winograd_weight_gradient_transform_scratch_floats(int height, int width) {
    return padded_input_floats(height, width) + 8 * half_plane_floats(height, width);
}

// Half plane (j, parity) of the 8: h + (2·j + parity)·P; padded row r goes to its row r / 2.
#define HALF(j, r) (h + (2 * (j) + ((r) & 1)) * P + (long)((r) / 2) * tiles_x)

// The vertical pass of an input plane: out[(4i + j)·T + t] = (B^T column combination i) of the
// half planes j at t, t + tiles_x (even, odd, even, odd padded rows 2ty .. 2ty + 3).
#define INPUT_VERTICAL_BODY                                                                                     \
    for (int j = 0; j < 4; j++) {                                                                               \
        const float *restrict e = h + (2 * j) * P, *restrict o = h + (2 * j + 1) * P;                           \
        float *restrict o0 = out + (long)(0 + j) * T, *restrict o1 = out + (long)(4 + j) * T;                   \
        float *restrict o2 = out + (long)(8 + j) * T, *restrict o3 = out + (long)(12 + j) * T;                  \
        for (int t = 0; t < tiles; t++) {                                                                       \
            const float d0 = e[t], d1 = o[t], d2 = e[t + tiles_x], d3 = o[t + tiles_x];                         \
            o0[t] = d0 - d2; o1[t] = d1 + d2; o2[t] = d2 - d1; o3[t] = d1 - d3;                                 \
        }                                                                                                       \
    }

// The vertical pass of a gradient plane: A's combination (y0, y0 + y1, y0 - y1, -y1) of rows 2ty, 2ty + 1.
#define GRADIENT_VERTICAL_BODY                                                                                  \
    for (int j = 0; j < 4; j++) {                                                                               \
        const float *restrict e = h + (2 * j) * P, *restrict o = h + (2 * j + 1) * P;                           \
        float *restrict o0 = out + (long)(0 + j) * T, *restrict o1 = out + (long)(4 + j) * T;                   \
        float *restrict o2 = out + (long)(8 + j) * T, *restrict o3 = out + (long)(12 + j) * T;                  \
        for (int t = 0; t < tiles; t++) {                                                                       \
            const float a = e[t], b = o[t];                                                                     \
            o0[t] = a; o1[t] = a + b; o2[t] = a - b; o3[t] = -b;                                                \
        }                                                                                                       \
    }

#define VERTICAL_PARAMETERS const float *restrict h, long P, int tiles, int tiles_x, float *restrict out, long T

// The horizontal passes, tile by tile (the portable form): padded row r → half planes (j, r & 1).
static void input_horizontal_scalar(const float *restrict plane, int pw, int rows, int tiles_x, float *restrict h, long P) {
    for (int r = 0; r < rows; r++) {
        const float *row = plane + (long)r * pw;
        float *restrict h0 = HALF(0, r), *restrict h1 = HALF(1, r), *restrict h2 = HALF(2, r), *restrict h3 = HALF(3, r);
        /* Row combination of B: (d0 - d2, d1 + d2, d2 - d1, d1 - d3) of columns 2tx .. 2tx + 3. */
        for (int tx = 0; tx < tiles_x; tx++) {
            const float d0 = row[2 * tx], d1 = row[2 * tx + 1], d2 = row[2 * tx + 2], d3 = row[2 * tx + 3];
            h0[tx] = d0 - d2; h1[tx] = d1 + d2; h2[tx] = d2 - d1; h3[tx] = d1 - d3;
        }
    }
}

static void gradient_horizontal_scalar(const float *restrict plane, int gw, int rows, int tiles_x, float *restrict h, long P) {
    for (int r = 0; r < rows; r++) {
        const float *row = plane + (long)r * gw;
        float *restrict h0 = HALF(0, r), *restrict h1 = HALF(1, r), *restrict h2 = HALF(2, r), *restrict h3 = HALF(3, r);
        /* Row combination of A^T: (y0, y0 + y1, y0 - y1, -y1) of columns 2tx, 2tx + 1. */
        for (int tx = 0; tx < tiles_x; tx++) {
            const float a = row[2 * tx], b = row[2 * tx + 1];
            h0[tx] = a; h1[tx] = a + b; h2[tx] = a - b; h3[tx] = -b;
        }
    }
}

// Copies a height x width plane into rows `pitch` apart (the padded buffer's interior).
static void copy_plane_portable(float *restrict target, int pitch, const float *restrict source, int height, int width,
                                const float *next) {
    (void)next;
    for (int y = 0; y < height; y++) memcpy(target + (long)y * pitch, source + (long)y * width, width * sizeof(float));
}

static void input_vertical_portable(VERTICAL_PARAMETERS) { INPUT_VERTICAL_BODY }
static void gradient_vertical_portable(VERTICAL_PARAMETERS) { GRADIENT_VERTICAL_BODY }

#if defined(__x86_64__)
// Lanes 0, 2, ..., 14 (even) or 1, 3, ..., 15 (odd) of the 16 floats a, b.
__attribute__((target("avx2,fma"), always_inline))
static inline __m256 evens(__m256 a, __m256 b) {
    return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(a, b, 0x88)), 0xD8));
}
__attribute__((target("avx2,fma"), always_inline))
static inline __m256 odds(__m256 a, __m256 b) {
    return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(a, b, 0xDD)), 0xD8));
}

// The same combinations, 8 tiles at a time: each row's last group stores 8 lanes, the ones past
// tiles_x landing on the next row of the same half plane, written after it (or on its 8 floats of room).
__attribute__((target("avx2,fma")))
static void input_horizontal_avx2(const float *restrict plane, int pw, int rows, int tiles_x, float *restrict h, long P) {
    for (int r = 0; r < rows; r++) {
        const float *row = plane + (long)r * pw;
        float *restrict h0 = HALF(0, r), *restrict h1 = HALF(1, r), *restrict h2 = HALF(2, r), *restrict h3 = HALF(3, r);
        for (int tx = 0; tx < tiles_x; tx += 8) {
            const float *d = row + 2 * tx;
            // Lane 2k of e: d0 - d2 of tile tx + k, lane 2k + 1: d1 - d3; lane 2k of f: d1 + d2, of g: d2 - d1.
            const __m256 a0 = _mm256_loadu_ps(d), a1 = _mm256_loadu_ps(d + 1), a2 = _mm256_loadu_ps(d + 2);
            const __m256 b0 = _mm256_loadu_ps(d + 8), b1 = _mm256_loadu_ps(d + 9), b2 = _mm256_loadu_ps(d + 10);
            const __m256 ea = _mm256_sub_ps(a0, a2), eb = _mm256_sub_ps(b0, b2);
            _mm256_storeu_ps(h0 + tx, evens(ea, eb));
            _mm256_storeu_ps(h1 + tx, evens(_mm256_add_ps(a1, a2), _mm256_add_ps(b1, b2)));
            _mm256_storeu_ps(h2 + tx, evens(_mm256_sub_ps(a2, a1), _mm256_sub_ps(b2, b1)));
            _mm256_storeu_ps(h3 + tx, odds(ea, eb));
        }
    }
}

__attribute__((target("avx2,fma")))
static void gradient_horizontal_avx2(const float *restrict plane, int gw, int rows, int tiles_x, float *restrict h, long P) {
    const __m256 sign = _mm256_set1_ps(-0.0f);  // negation by the sign bit, like the scalar form's -x
    for (int r = 0; r < rows; r++) {
        const float *row = plane + (long)r * gw;
        float *restrict h0 = HALF(0, r), *restrict h1 = HALF(1, r), *restrict h2 = HALF(2, r), *restrict h3 = HALF(3, r);
        for (int tx = 0; tx < tiles_x; tx += 8) {
            const __m256 lo = _mm256_loadu_ps(row + 2 * tx), hi = _mm256_loadu_ps(row + 2 * tx + 8);
            const __m256 a = evens(lo, hi), b = odds(lo, hi);
            _mm256_storeu_ps(h0 + tx, a);
            _mm256_storeu_ps(h1 + tx, _mm256_add_ps(a, b));
            _mm256_storeu_ps(h2 + tx, _mm256_sub_ps(a, b));
            _mm256_storeu_ps(h3 + tx, _mm256_xor_ps(b, sign));
        }
    }
}

// The same copy inline (a libc call per 7..32-float row cost as much as the transform's arithmetic;
// `no_builtin` keeps the compiler from turning the loop back into one): 8 floats at a time, the
// tail by one more 8 (or 4) floats ending at the row's end, overlapping what was copied; nothing
// read or written past the row (no fault past the tensor's end, the padded borders stay zero).
// Masked loads and stores are slow on AMD cores.
__attribute__((target("avx2,fma"), no_builtin("memcpy")))
static void copy_plane_avx2(float *restrict target, int pitch, const float *restrict source, int height, int width,
                            const float *next) {
    // The planes come from L3 or memory, and the next one is often a channel away (CNHW): the
    // hardware prefetcher would start on it only after its first misses, so its lines are asked for now.
    if (next)
        for (long i = 0; i < (long)height * width; i += 16) _mm_prefetch((const char *)(next + i), _MM_HINT_T0);
    for (int y = 0; y < height; y++) {
        const float *in = source + (long)y * width;
        float *out = target + (long)y * pitch;
        if (width >= 8) {
            int x = 0;
            for (; x + 8 <= width; x += 8) _mm256_storeu_ps(out + x, _mm256_loadu_ps(in + x));
            if (x < width) _mm256_storeu_ps(out + width - 8, _mm256_loadu_ps(in + width - 8));
        } else if (width >= 4) {
            _mm_storeu_ps(out, _mm_loadu_ps(in));
            _mm_storeu_ps(out + width - 4, _mm_loadu_ps(in + width - 4));
        } else {
            for (int x = 0; x < width; x++) out[x] = in[x];
        }
    }
}

__attribute__((target("avx2,fma"))) static void input_vertical_avx2(VERTICAL_PARAMETERS) { INPUT_VERTICAL_BODY }
__attribute__((target("avx2,fma"))) static void gradient_vertical_avx2(VERTICAL_PARAMETERS) { GRADIENT_VERTICAL_BODY }
__attribute__((target("avx512f,avx512vl,avx2,fma"))) static void input_vertical_avx512(VERTICAL_PARAMETERS) { INPUT_VERTICAL_BODY }
__attribute__((target("avx512f,avx512vl,avx2,fma"))) static void gradient_vertical_avx512(VERTICAL_PARAMETERS) { GRADIENT_VERTICAL_BODY }
#endif

typedef void (*horizontal_pass)(const float *restrict, int, int, int, float *restrict, long);
typedef void (*vertical_pass)(VERTICAL_PARAMETERS);
typedef void (*plane_copy)(float *restrict, int, const float *restrict, int, int, const float *);

// Channel by channel, image by image within it: each plane is copied into the padded buffer (whose
// borders stay zero: only the interior is rewritten), passed horizontally into the half planes, and
// vertically into the channel's 16 output rows at the image's tiles.
static void transform(const float *input, long in_channel_stride, long in_image_stride, int in_channels,
                      const float *grad_output, long out_channel_stride, long out_image_stride, int out_channels,
                      int image_count, int height, int width, float *restrict v, float *restrict m, float *restrict scratch,
                      horizontal_pass input_horizontal, vertical_pass input_vertical,
                      horizontal_pass gradient_horizontal, vertical_pass gradient_vertical, plane_copy copy_plane) {
    const int tiles_y = (height + 1) / 2, tiles_x = (width + 1) / 2, tiles = tiles_y * tiles_x;
    const long T = winograd_weight_gradient_row_floats(image_count, height, width);
    const long used = (long)image_count * tiles;
    /* Rows run T = tiles rounded up to 8 floats; the tail is zero, so it adds nothing. */
    for (long r = 0; r < 16L * (in_channels + out_channels); r++) {
        float *row = (r < 16L * in_channels ? v + r * T : m + (r - 16L * in_channels) * T);
        for (long t = used; t < T; t++) row[t] = 0;
    }
    const int pw = padded_input_width(width), gw = padded_gradient_width(width);
    const long P = half_plane_floats(height, width);
    float *restrict plane = scratch;
    float *restrict h = scratch + padded_input_floats(height, width);
    memset(plane, 0, padded_input_floats(height, width) * sizeof(float));
    for (int c = 0; c < in_channels; c++) {
        for (int b = 0; b < image_count; b++) {
            const float *source = input + c * in_channel_stride + b * in_image_stride;
            /* The plane after this one: the next image, the next channel's first, or the first gradient plane. */
            const float *next = b + 1 < image_count ? source + in_image_stride
                              : c + 1 < in_channels ? input + (c + 1) * in_channel_stride : grad_output;
            copy_plane(plane + pw + 1, pw, source, height, width, next);
            input_horizontal(plane, pw, 2 * tiles_y + 2, tiles_x, h, P);
            input_vertical(h, P, tiles, tiles_x, v + (long)c * 16 * T + (long)b * tiles, T);
        }
    }
    memset(plane, 0, (long)(2 * tiles_y) * gw * sizeof(float));
    for (int oc = 0; oc < out_channels; oc++) {
        for (int b = 0; b < image_count; b++) {
            const float *source = grad_output + oc * out_channel_stride + b * out_image_stride;
            const float *next = b + 1 < image_count ? source + out_image_stride
                              : oc + 1 < out_channels ? grad_output + (oc + 1) * out_channel_stride : NULL;
            copy_plane(plane, gw, source, height, width, next);
            gradient_horizontal(plane, gw, 2 * tiles_y, tiles_x, h, P);
            gradient_vertical(h, P, tiles, tiles_x, m + (long)oc * 16 * T + (long)b * tiles, T);
        }
    }
}

void winograd_weight_gradient_transform(const float *input, long in_channel_stride, long in_image_stride, int in_channels,
                                        const float *grad_output, long out_channel_stride, long out_image_stride,
                                        int out_channels, int image_count, int height, int width,
                                        float *v, float *m, float *scratch) {
    horizontal_pass input_horizontal = input_horizontal_scalar, gradient_horizontal = gradient_horizontal_scalar;
    vertical_pass input_vertical = input_vertical_portable, gradient_vertical = gradient_vertical_portable;
    plane_copy copy_plane = copy_plane_portable;
#if defined(__x86_64__)
    if (use_avx2()) {
        copy_plane = copy_plane_avx2;
        input_horizontal = input_horizontal_avx2;
        gradient_horizontal = gradient_horizontal_avx2;
        const int wide = convolution_isa() == CONVOLUTION_ISA_AVX512;
        input_vertical = wide ? input_vertical_avx512 : input_vertical_avx2;
        gradient_vertical = wide ? gradient_vertical_avx512 : gradient_vertical_avx2;
    }
#endif
    transform(input, in_channel_stride, in_image_stride, in_channels, grad_output, out_channel_stride, out_image_stride,
              out_channels, image_count, height, width, v, m, scratch, input_horizontal, input_vertical,
              gradient_horizontal, gradient_vertical, copy_plane);
}

// dU[ξ][o][c] += Σ_t m[ξ][o][t] · v[ξ][c][t]: per point, blocks of 4 output x 3 input channels (AVX2's
// 16 registers) or 4 x 6 (AVX-512VL's 32, still 8-float vectors), one accumulator of 8 tiles per (o, c)
// (dot products along the tile rows, so any channel count works, the stem's single input channel
// too), reduced in one fixed order at the end of the rows. Each (o, c) sums the same products in the
// same order whatever the block shape, so both ISAs give the same bits.
#if defined(__x86_64__)
// The horizontal sums of 8 vectors a[0..7], in lanes (a0, a2, a4, a6, a1, a3, a5, a7), each summed as
// ((l0 + l4) + (l2 + l6)) + ((l1 + l5) + (l3 + l7)): 21 instructions where one vector at a time takes 48.
__attribute__((target("avx2,fma"), always_inline))
static inline __m256 reduce8(const __m256 *a) {
    __m256 x[4];  // x[i] = (a[2i] lanes 0..3 + 4..7 | a[2i+1] likewise): s0..s3 of two vectors
    for (int i = 0; i < 4; i++)
        x[i] = _mm256_add_ps(_mm256_permute2f128_ps(a[2 * i], a[2 * i + 1], 0x20),
                             _mm256_permute2f128_ps(a[2 * i], a[2 * i + 1], 0x31));
    // (s0 + s2, s1 + s3) of a[0], a[2] | a[1], a[3]; then of a[4], a[6] | a[5], a[7].
    const __m256 w1 = _mm256_add_ps(_mm256_shuffle_ps(x[0], x[1], 0x44), _mm256_shuffle_ps(x[0], x[1], 0xEE));
    const __m256 w2 = _mm256_add_ps(_mm256_shuffle_ps(x[2], x[3], 0x44), _mm256_shuffle_ps(x[2], x[3], 0xEE));
    // (s0 + s2) + (s1 + s3).
    return _mm256_add_ps(_mm256_shuffle_ps(w1, w2, 0x88), _mm256_shuffle_ps(w1, w2, 0xDD));
}

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
    // Eight accumulators reduced together (reduce8), in the same order as one at a time:
    // ((l0 + l4) + (l2 + l6)) + ((l1 + l5) + (l3 + l7)), then added onto du.
    const int n = ob * cb;
    for (int k = 0; k < n; k += 8) {
        __m256 a[8];
        for (int i = 0; i < 8; i++) a[i] = k + i < n ? acc[(k + i) / cb][(k + i) % cb] : _mm256_setzero_ps();
        float sums[8];
        _mm256_storeu_ps(sums, reduce8(a));
        static const int lane[8] = {0, 4, 1, 5, 2, 6, 3, 7};  // reduce8's lane of accumulator i
        for (int i = 0; i < 8 && k + i < n; i++) du[((k + i) / cb) * in_channels + (k + i) % cb] += sums[lane[i]];
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
