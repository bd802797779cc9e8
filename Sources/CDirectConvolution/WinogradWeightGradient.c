#include "WinogradWeightGradient.h"
#include "WeightGradientShared.h"

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
// contraction question): the same bits on every path. The plane copy, the ISA check and the products
// are WeightGradientShared.h's (shared with F(4x4)).

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

void winograd_weight_gradient_accumulate(const float *m, const float *v, int out_channels, int in_channels,
                                         long row_floats, float *du) {
    weight_gradient_accumulate(16, m, v, out_channels, in_channels, row_floats, du);
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
