#include "Winograd4WeightGradient.h"
#include "WeightGradientShared.h"

// See Winograd4WeightGradient.h for the algebra. Each transform is separable (B^T d B, A dY A^T) and
// runs in two passes per plane over a zero-bordered copy of it, as F(2x2)'s does (WinogradWeightGradient.c):
//   horizontal  each padded row r → the row combination of B (input: 6 columns 4tx .. 4tx + 5) or A^T
//               (gradient: 4 columns 4tx .. 4tx + 3) per tile, 6 values, into 24 small "row-class
//               planes" (value j, class r mod 4), row r / 4 of tiles_x floats. Padded row r of class k
//               and tile tx is "slot" (r / 4)·tiles_x + tx of class k, and one flat loop runs over a
//               class's slots, 8 at a time (AVX2: each slot's columns read as 128-bit loads and
//               transposed), whatever the plane's width: no lanes wasted on the 2 and 4 tiles a row of
//               7x7 and 14x14 planes has.
//   vertical    the column combination over the plane's tiles in storage order t = ty·tiles_x + tx:
//               tile row ty reads padded rows 4ty .. 4ty + 5 (input) or 4ty .. 4ty + 3 (gradient), i.e.
//               classes 0..3 at t and classes 0, 1 at t + tiles_x, so one flat loop over the plane's
//               tiles writes its 36 output rows contiguously.
// Only additions, subtractions and multiplications by 2 and 4 (exact: a contracted multiply-add rounds
// as the separate operations do), so every path gives the same bits.

enum { POINTS = 36 };

int winograd4_weight_gradient_tiles(int height, int width) { return ((height + 3) / 4) * ((width + 3) / 4); }

long winograd4_weight_gradient_row_floats(int image_count, int height, int width) {
    const long rounded = ((long)image_count * winograd4_weight_gradient_tiles(height, width) + 7) / 8 * 8;
    // A channel's 36 rows are written side by side: rows a multiple of 4 KiB apart would share L1 sets.
    return rounded % 1024 == 0 ? rounded + 16 : rounded;
}

int winograd4_weight_gradient_chunk_images(int in_channels, int out_channels, int height, int width, long target_floats) {
    const long per_image = (long)POINTS * (in_channels + out_channels) * winograd4_weight_gradient_tiles(height, width);
    const long n = target_floats / per_image;
    return n < 1 ? 1 : (int)n;
}

// The padded plane: input (y, x) at (y + 1, x + 1), 4·tiles_y + 2 rows read, 4 more zero rows for the
// last 8-slot group's unused slots (whose table offsets may point one tile row past the plane) and
// pitch 4·tiles_x + 4 (the AVX2 pass reads 8 columns per slot: 4tx .. 4tx + 7). The gradient plane,
// in the same buffer after the input planes are done: dY (y, x) at (y, x), same pitch. Row-class
// planes: tiles_y + 1 rows of tiles_x, and 8 floats of room for the last group's store. The slot
// table: (tiles_y + 1)·tiles_x offsets 4q·pitch + 4tx rounded up to 8 entries (0 past the end).
static int pitch4(int width) { return 4 * ((width + 3) / 4) + 4; }
static long padded_floats(int height, int width) { return (long)(4 * ((height + 3) / 4) + 6) * pitch4(width); }
static long class_plane_floats(int height, int width) { return (long)((height + 3) / 4 + 1) * ((width + 3) / 4) + 8; }
static long slot_entries(int height, int width) { return (((height + 3) / 4 + 1) * (long)((width + 3) / 4) + 7) / 8 * 8; }

long winograd4_weight_gradient_transform_scratch_floats(int height, int width) {
    return padded_floats(height, width) + 24 * class_plane_floats(height, width) + slot_entries(height, width);
}

// Row class plane (value j, class k): h + (4j + k)·P.
#define CLASS_PLANE(j, k) (h + (long)(4 * (j) + (k)) * P)

// B's row combination of d0..d5 (B^T applied to the window's row or column), into r0..r5:
//   4d0 - 5d2 + d4, -4d1 - 4d2 + d3 + d4, 4d1 - 4d2 - d3 + d4, -2d1 - d2 + 2d3 + d4, 2d1 - d2 - 2d3 + d4, 4d1 - 5d3 + d5
// written with multiplications by 2 and 4 only. TYPE: float or __m256 (clang's vector operators).
#define INPUT_COMBINATION(TYPE, d0, d1, d2, d3, d4, d5, r0, r1, r2, r3, r4, r5)                                 \
    {                                                                                                           \
        const TYPE e_ = (d4) - (d2), f_ = (d3) - (d1);                                                          \
        r0 = 4.0f * ((d0) - (d2)) + e_;                                                                         \
        r1 = ((d3) + (d4)) - 4.0f * ((d1) + (d2));                                                              \
        r2 = ((d4) - (d3)) + 4.0f * ((d1) - (d2));                                                              \
        r3 = e_ + 2.0f * f_;                                                                                    \
        r4 = e_ - 2.0f * f_;                                                                                    \
        r5 = ((d5) - (d3)) - 4.0f * f_;                                                                         \
    }

// A's combination of y0..y3 (rows of A = (1 0 0 0; 1 1 1 1; 1 -1 1 -1; 1 2 4 8; 1 -2 4 -8; 0 0 0 1)).
#define GRADIENT_COMBINATION(TYPE, y0, y1, y2, y3, r0, r1, r2, r3, r4, r5)                                      \
    {                                                                                                           \
        const TYPE s_ = (y0) + (y2), t_ = (y1) + (y3);                                                          \
        const TYPE a_ = (y0) + 4.0f * (y2), b_ = (y1) + 4.0f * (y3);                                            \
        r0 = (y0); r1 = s_ + t_; r2 = s_ - t_; r3 = a_ + 2.0f * b_; r4 = a_ - 2.0f * b_; r5 = (y3);             \
    }

// Value j's four class planes q0..q3 and its six output rows o0..o5 (combination i's row at out + (6i + j)·T).
#define VERTICAL_POINTERS(j)                                                                                    \
        const float *restrict q0 = CLASS_PLANE(j, 0), *restrict q1 = CLASS_PLANE(j, 1);                         \
        const float *restrict q2 = CLASS_PLANE(j, 2), *restrict q3 = CLASS_PLANE(j, 3);                         \
        float *restrict o0 = out + (long)(0 + j) * T, *restrict o1 = out + (long)(6 + j) * T;                   \
        float *restrict o2 = out + (long)(12 + j) * T, *restrict o3 = out + (long)(18 + j) * T;                 \
        float *restrict o4 = out + (long)(24 + j) * T, *restrict o5 = out + (long)(30 + j) * T;

// A vertical pass: out[(6i + j)·T + t] = combination i of value j's classes at t (COMBINE, a statement of
// q0..q3, t, tiles_x writing o0[t]..o5[t]).
#define VERTICAL_BODY(COMBINE)                                                                                  \
    for (int j = 0; j < 6; j++) {                                                                               \
        VERTICAL_POINTERS(j)                                                                                    \
        for (int t = 0; t < tiles; t++) COMBINE                                                                 \
    }

// The vertical pass of an input plane: B^T's combination of classes 0..3 at t and 0, 1 at t + tiles_x
// (padded rows 4ty .. 4ty + 5).
#define INPUT_VERTICAL_BODY                                                                                     \
    VERTICAL_BODY(INPUT_COMBINATION(float, q0[t], q1[t], q2[t], q3[t], q0[t + tiles_x], q1[t + tiles_x],        \
                                    o0[t], o1[t], o2[t], o3[t], o4[t], o5[t]))

// The vertical pass of a gradient plane: A's combination of classes 0..3 at t.
#define GRADIENT_VERTICAL_BODY                                                                                  \
    VERTICAL_BODY(GRADIENT_COMBINATION(float, q0[t], q1[t], q2[t], q3[t], o0[t], o1[t], o2[t], o3[t], o4[t], o5[t]))

#define VERTICAL_PARAMETERS const float *restrict h, long P, int tiles, int tiles_x, float *restrict out, long T
// slots: class k's slot count; the table's offsets, plane + k·pitch the class's first row.
#define HORIZONTAL_PARAMETERS const float *restrict plane, const int *restrict offsets, int slots, float *restrict h, long P, int k

// The horizontal passes, slot by slot (the portable form): COMBINE reads the slot's values at d and
// writes h0[s]..h5[s].
#define HORIZONTAL_PORTABLE_BODY(COMBINE)                                                                       \
    float *restrict h0 = CLASS_PLANE(0, k), *restrict h1 = CLASS_PLANE(1, k), *restrict h2 = CLASS_PLANE(2, k); \
    float *restrict h3 = CLASS_PLANE(3, k), *restrict h4 = CLASS_PLANE(4, k), *restrict h5 = CLASS_PLANE(5, k); \
    for (int s = 0; s < slots; s++) {                                                                           \
        const float *d = plane + offsets[s];                                                                    \
        COMBINE                                                                                                 \
    }

static void input_horizontal_portable(HORIZONTAL_PARAMETERS) {
    HORIZONTAL_PORTABLE_BODY(INPUT_COMBINATION(float, d[0], d[1], d[2], d[3], d[4], d[5], h0[s], h1[s], h2[s], h3[s],
                                               h4[s], h5[s]))
}

static void gradient_horizontal_portable(HORIZONTAL_PARAMETERS) {
    HORIZONTAL_PORTABLE_BODY(GRADIENT_COMBINATION(float, d[0], d[1], d[2], d[3], h0[s], h1[s], h2[s], h3[s], h4[s], h5[s]))
}

static void input_vertical_portable(VERTICAL_PARAMETERS) { INPUT_VERTICAL_BODY }
static void gradient_vertical_portable(VERTICAL_PARAMETERS) { GRADIENT_VERTICAL_BODY }

#if defined(__x86_64__)
// Columns 4tx + c .. of 8 slots, one vector per c: each slot's 4 floats from `offset` loaded as one
// 128-bit row (slots s and s + 4 sharing a 256-bit register), then a 4x4 transpose within the 128-bit
// lanes; lane l is slot l.
__attribute__((target("avx2,fma"), always_inline))
static inline void columns8(const float *base, const int *o, __m256 c[4]) {
    const __m256 p = _mm256_insertf128_ps(_mm256_castps128_ps256(_mm_loadu_ps(base + o[0])), _mm_loadu_ps(base + o[4]), 1);
    const __m256 q = _mm256_insertf128_ps(_mm256_castps128_ps256(_mm_loadu_ps(base + o[1])), _mm_loadu_ps(base + o[5]), 1);
    const __m256 r = _mm256_insertf128_ps(_mm256_castps128_ps256(_mm_loadu_ps(base + o[2])), _mm_loadu_ps(base + o[6]), 1);
    const __m256 s = _mm256_insertf128_ps(_mm256_castps128_ps256(_mm_loadu_ps(base + o[3])), _mm_loadu_ps(base + o[7]), 1);
    const __m256 t0 = _mm256_unpacklo_ps(p, q), t1 = _mm256_unpackhi_ps(p, q);  // p0 q0 p1 q1 | p2 q2 p3 q3
    const __m256 t2 = _mm256_unpacklo_ps(r, s), t3 = _mm256_unpackhi_ps(r, s);
    c[0] = _mm256_shuffle_ps(t0, t2, 0x44);
    c[1] = _mm256_shuffle_ps(t0, t2, 0xEE);
    c[2] = _mm256_shuffle_ps(t1, t3, 0x44);
    c[3] = _mm256_shuffle_ps(t1, t3, 0xEE);
}

// 8 slots at a time; the last group's unused slots read offset 0 (or a zero row past the plane) and
// store into the class plane's room.
__attribute__((target("avx2,fma")))
static void input_horizontal_avx2(HORIZONTAL_PARAMETERS) {
    float *restrict h0 = CLASS_PLANE(0, k), *restrict h1 = CLASS_PLANE(1, k), *restrict h2 = CLASS_PLANE(2, k);
    float *restrict h3 = CLASS_PLANE(3, k), *restrict h4 = CLASS_PLANE(4, k), *restrict h5 = CLASS_PLANE(5, k);
    for (int s = 0; s < slots; s += 8) {
        __m256 lo[4], hi[4];
        columns8(plane, offsets + s, lo);
        columns8(plane + 4, offsets + s, hi);
        __m256 r0, r1, r2, r3, r4, r5;
        INPUT_COMBINATION(__m256, lo[0], lo[1], lo[2], lo[3], hi[0], hi[1], r0, r1, r2, r3, r4, r5)
        _mm256_storeu_ps(h0 + s, r0);
        _mm256_storeu_ps(h1 + s, r1);
        _mm256_storeu_ps(h2 + s, r2);
        _mm256_storeu_ps(h3 + s, r3);
        _mm256_storeu_ps(h4 + s, r4);
        _mm256_storeu_ps(h5 + s, r5);
    }
}

__attribute__((target("avx2,fma")))
static void gradient_horizontal_avx2(HORIZONTAL_PARAMETERS) {
    float *restrict h0 = CLASS_PLANE(0, k), *restrict h1 = CLASS_PLANE(1, k), *restrict h2 = CLASS_PLANE(2, k);
    float *restrict h3 = CLASS_PLANE(3, k), *restrict h4 = CLASS_PLANE(4, k), *restrict h5 = CLASS_PLANE(5, k);
    for (int s = 0; s < slots; s += 8) {
        __m256 y[4];
        columns8(plane, offsets + s, y);
        __m256 r0, r1, r2, r3, r4, r5;
        GRADIENT_COMBINATION(__m256, y[0], y[1], y[2], y[3], r0, r1, r2, r3, r4, r5)
        _mm256_storeu_ps(h0 + s, r0);
        _mm256_storeu_ps(h1 + s, r1);
        _mm256_storeu_ps(h2 + s, r2);
        _mm256_storeu_ps(h3 + s, r3);
        _mm256_storeu_ps(h4 + s, r4);
        _mm256_storeu_ps(h5 + s, r5);
    }
}

// The vertical passes on AVX2: 8 tiles at a time, the plane's last tiles by one more group of 8 (or 4)
// ending at its last tile, overlapping the group before it (it recomputes those tiles' values, the same
// bits), below 4 tiles one at a time. The compiler's form of VERTICAL_BODY ran the tail one tile at a
// time: all 4 tiles of a 7x7 plane and 1 of a 28x28 one's 49. Measured (winograd_weight_gradient_bench.c
// -DTILES4, best of 60, alternated, 3 rounds, AMD EPYC family 25 model 1 (Zen 3), loaded, 2026-12-07):
// the 64-channel 7x7 layer's transforms 0.99 / 1.69 / 1.01 -> 0.57 / 1.11 / 0.55 ms per 64 images, the
// other layers within the noise. STEP(TYPE, LOAD, STORE, t) combines the tiles from t into o0..o5.
#define VERTICAL_AVX2_BODY(STEP)                                                                                \
    for (int j = 0; j < 6; j++) {                                                                               \
        VERTICAL_POINTERS(j)                                                                                    \
        if (tiles >= 8) {                                                                                       \
            for (int t = 0; t + 8 <= tiles; t += 8) STEP(__m256, _mm256_loadu_ps, _mm256_storeu_ps, t)          \
            if (tiles % 8) STEP(__m256, _mm256_loadu_ps, _mm256_storeu_ps, tiles - 8)                           \
        } else if (tiles >= 4) {                                                                                \
            STEP(__m128, _mm_loadu_ps, _mm_storeu_ps, 0)                                                        \
            if (tiles % 4) STEP(__m128, _mm_loadu_ps, _mm_storeu_ps, tiles - 4)                                 \
        } else {                                                                                                \
            for (int t = 0; t < tiles; t++) STEP(float, SCALAR_LOAD, SCALAR_STORE, t)                           \
        }                                                                                                       \
    }
#define SCALAR_LOAD(p) (*(p))
#define SCALAR_STORE(p, x) (*(p) = (x))

#define INPUT_VERTICAL_STEP(TYPE, LOAD, STORE, t)                                                               \
    {                                                                                                           \
        const TYPE d0 = LOAD(q0 + (t)), d1 = LOAD(q1 + (t)), d2 = LOAD(q2 + (t)), d3 = LOAD(q3 + (t));          \
        const TYPE d4 = LOAD(q0 + (t) + tiles_x), d5 = LOAD(q1 + (t) + tiles_x);                                \
        TYPE r0, r1, r2, r3, r4, r5;                                                                            \
        INPUT_COMBINATION(TYPE, d0, d1, d2, d3, d4, d5, r0, r1, r2, r3, r4, r5)                                 \
        STORE(o0 + (t), r0); STORE(o1 + (t), r1); STORE(o2 + (t), r2);                                          \
        STORE(o3 + (t), r3); STORE(o4 + (t), r4); STORE(o5 + (t), r5);                                          \
    }

#define GRADIENT_VERTICAL_STEP(TYPE, LOAD, STORE, t)                                                            \
    {                                                                                                           \
        const TYPE y0 = LOAD(q0 + (t)), y1 = LOAD(q1 + (t)), y2 = LOAD(q2 + (t)), y3 = LOAD(q3 + (t));          \
        TYPE r0, r1, r2, r3, r4, r5;                                                                            \
        GRADIENT_COMBINATION(TYPE, y0, y1, y2, y3, r0, r1, r2, r3, r4, r5)                                      \
        STORE(o0 + (t), r0); STORE(o1 + (t), r1); STORE(o2 + (t), r2);                                          \
        STORE(o3 + (t), r3); STORE(o4 + (t), r4); STORE(o5 + (t), r5);                                          \
    }

__attribute__((target("avx2,fma"))) static void input_vertical_avx2(VERTICAL_PARAMETERS) { VERTICAL_AVX2_BODY(INPUT_VERTICAL_STEP) }
__attribute__((target("avx2,fma"))) static void gradient_vertical_avx2(VERTICAL_PARAMETERS) { VERTICAL_AVX2_BODY(GRADIENT_VERTICAL_STEP) }
#undef VERTICAL_AVX2_BODY
#undef INPUT_VERTICAL_STEP
#undef GRADIENT_VERTICAL_STEP
#undef SCALAR_LOAD
#undef SCALAR_STORE
__attribute__((target("avx512f,avx512vl,avx2,fma"))) static void input_vertical_avx512(VERTICAL_PARAMETERS) { INPUT_VERTICAL_BODY }
__attribute__((target("avx512f,avx512vl,avx2,fma"))) static void gradient_vertical_avx512(VERTICAL_PARAMETERS) { GRADIENT_VERTICAL_BODY }
#endif

typedef void (*horizontal_pass)(HORIZONTAL_PARAMETERS);
typedef void (*vertical_pass)(VERTICAL_PARAMETERS);
typedef void (*plane_copy)(float *restrict, int, const float *restrict, int, int, const float *);

// Channel by channel, image by image within it: each plane is copied into the padded buffer (whose
// borders stay zero: only the interior is rewritten), passed horizontally class by class into the
// row-class planes, and vertically into the channel's 36 output rows at the image's tiles.
static void transform(const float *input, long in_channel_stride, long in_image_stride, int in_channels,
                      const float *grad_output, long out_channel_stride, long out_image_stride, int out_channels,
                      int image_count, int height, int width, float *restrict v, float *restrict m, float *restrict scratch,
                      horizontal_pass input_horizontal, vertical_pass input_vertical,
                      horizontal_pass gradient_horizontal, vertical_pass gradient_vertical, plane_copy copy_plane) {
    const int tiles_y = (height + 3) / 4, tiles_x = (width + 3) / 4, tiles = tiles_y * tiles_x;
    const long T = winograd4_weight_gradient_row_floats(image_count, height, width);
    const long used = (long)image_count * tiles;
    /* Rows run T = tiles rounded up to 8 floats; the tail is zero, so it adds nothing. */
    for (long r = 0; r < (long)POINTS * (in_channels + out_channels); r++) {
        float *row = (r < (long)POINTS * in_channels ? v + r * T : m + (r - (long)POINTS * in_channels) * T);
        for (long t = used; t < T; t++) row[t] = 0;
    }
    const int pitch = pitch4(width);
    const long P = class_plane_floats(height, width);
    float *restrict plane = scratch;
    float *restrict h = scratch + padded_floats(height, width);
    int *restrict offsets = (int *)(h + 24 * P);
    const long entries = slot_entries(height, width);
    for (long s = 0; s < entries; s++)
        offsets[s] = s < (long)(tiles_y + 1) * tiles_x ? (int)(4 * (s / tiles_x) * pitch + 4 * (s % tiles_x)) : 0;
    memset(plane, 0, padded_floats(height, width) * sizeof(float));
    for (int c = 0; c < in_channels; c++) {
        for (int b = 0; b < image_count; b++) {
            const float *source = input + c * in_channel_stride + b * in_image_stride;
            /* The plane after this one: the next image, the next channel's first, or the first gradient plane. */
            const float *next = b + 1 < image_count ? source + in_image_stride
                              : c + 1 < in_channels ? input + (c + 1) * in_channel_stride : grad_output;
            copy_plane(plane + pitch + 1, pitch, source, height, width, next);
            /* Classes 0 and 1 have tiles_y + 1 rows of slots (the last tile row's rows 4, 5), 2 and 3 tiles_y. */
            for (int k = 0; k < 4; k++)
                input_horizontal(plane + k * pitch, offsets, (tiles_y + (k < 2)) * tiles_x, h, P, k);
            input_vertical(h, P, tiles, tiles_x, v + (long)c * POINTS * T + (long)b * tiles, T);
        }
    }
    memset(plane, 0, padded_floats(height, width) * sizeof(float));
    for (int oc = 0; oc < out_channels; oc++) {
        for (int b = 0; b < image_count; b++) {
            const float *source = grad_output + oc * out_channel_stride + b * out_image_stride;
            const float *next = b + 1 < image_count ? source + out_image_stride
                              : oc + 1 < out_channels ? grad_output + (oc + 1) * out_channel_stride : NULL;
            copy_plane(plane, pitch, source, height, width, next);
            for (int k = 0; k < 4; k++) gradient_horizontal(plane + k * pitch, offsets, tiles_y * tiles_x, h, P, k);
            gradient_vertical(h, P, tiles, tiles_x, m + (long)oc * POINTS * T + (long)b * tiles, T);
        }
    }
}

void winograd4_weight_gradient_transform(const float *input, long in_channel_stride, long in_image_stride, int in_channels,
                                         const float *grad_output, long out_channel_stride, long out_image_stride,
                                         int out_channels, int image_count, int height, int width,
                                         float *v, float *m, float *scratch) {
    horizontal_pass input_horizontal = input_horizontal_portable, gradient_horizontal = gradient_horizontal_portable;
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

void winograd4_weight_gradient_accumulate(const float *m, const float *v, int out_channels, int in_channels,
                                          long row_floats, float *du) {
    weight_gradient_accumulate(POINTS, m, v, out_channels, in_channels, row_floats, du);
}

// G (6x6 → 3x3 per pair), Winograd4Convolution.c's.
static const double finish_g[6][3] = {
    {1.0 / 4, 0, 0}, {-1.0 / 6, -1.0 / 6, -1.0 / 6}, {-1.0 / 6, 1.0 / 6, -1.0 / 6},
    {1.0 / 24, 1.0 / 12, 1.0 / 6}, {1.0 / 24, -1.0 / 12, 1.0 / 6}, {0, 0, 1},
};

// G^T dU G of pairs p = o·C + c, dU[p][ξ] = du[ξ·pair + p], added onto grad_weight[p·9 ..]: each sum
// starts at 0 and adds its 6 products g·u in order (i, then j), every product rounded before its
// addition (no contraction: the portable build has no FMA, and the vector forms multiply and add by
// separate instructions), then the float is rounded once. The vector forms run the same operations on
// LANES consecutive pairs, so they give the portable form's bits on every ISA.
__attribute__((noinline))  // not inlined into the vector forms, whose targets would fuse its multiply-adds
static void finish_pairs_portable(const float *du, long pair, long first, long end, float *grad_weight) {
    const double (*g)[3] = finish_g;
    for (long p = first; p < end; p++) {
        double u[6][6];
        for (int xi = 0; xi < POINTS; xi++) u[xi / 6][xi % 6] = du[xi * pair + p];
        double w[3][6];  // G^T dU
        for (int r = 0; r < 3; r++)
            for (int j = 0; j < 6; j++) {
                double sum = 0;
                for (int i = 0; i < 6; i++) sum += g[i][r] * u[i][j];
                w[r][j] = sum;
            }
        float *target = grad_weight + p * 9;
        for (int r = 0; r < 3; r++)
            for (int q = 0; q < 3; q++) {
                double sum = 0;
                for (int j = 0; j < 6; j++) sum += w[r][j] * g[j][q];
                target[3 * r + q] = (float)((double)target[3 * r + q] + sum);
            }
    }
}

#if defined(__x86_64__)
// LANES pairs at a time: u loads contiguous in p, the 9 sums stored and added onto grad_weight's
// stride-9 layout by lane (72 scalar additions per group against 324 vector operations before them).
#define FINISH_BODY(VEC, LANES, LOAD, SET1, MUL, ADD, ZERO, STORE)                                          \
    const double (*g)[3] = finish_g;                                                                            \
    long p = 0;                                                                                                 \
    for (; p + LANES <= end; p += LANES) {                                                                      \
        VEC u[6][6];                                                                                            \
        for (int xi = 0; xi < POINTS; xi++) u[xi / 6][xi % 6] = LOAD(du + xi * pair + p);                     \
        VEC w[3][6];                                                                                            \
        for (int r = 0; r < 3; r++)                                                                             \
            for (int j = 0; j < 6; j++) {                                                                       \
                VEC sum = ZERO;                                                                                 \
                for (int i = 0; i < 6; i++) sum = ADD(sum, MUL(SET1(g[i][r]), u[i][j]));                        \
                w[r][j] = sum;                                                                                  \
            }                                                                                                   \
        double sums[9][LANES];                                                                                  \
        for (int r = 0; r < 3; r++)                                                                             \
            for (int q = 0; q < 3; q++) {                                                                       \
                VEC sum = ZERO;                                                                                 \
                for (int j = 0; j < 6; j++) sum = ADD(sum, MUL(w[r][j], SET1(g[j][q])));                        \
                STORE(sums[3 * r + q], sum);                                                                    \
            }                                                                                                   \
        float *target = grad_weight + p * 9;                                                                    \
        for (int l = 0; l < LANES; l++)                                                                         \
            for (int k = 0; k < 9; k++) target[9 * l + k] = (float)((double)target[9 * l + k] + sums[k][l]);   \
    }                                                                                                           \
    finish_pairs_portable(du, pair, p, end, grad_weight);

__attribute__((target("avx2,fma")))
static void finish_avx2(const float *du, long pair, long end, float *grad_weight) {
#define LOAD4(x) _mm256_cvtps_pd(_mm_loadu_ps(x))
    FINISH_BODY(__m256d, 4, LOAD4, _mm256_set1_pd, _mm256_mul_pd, _mm256_add_pd, _mm256_setzero_pd(), _mm256_storeu_pd)
#undef LOAD4
}

__attribute__((target("avx512f,avx512vl,avx2,fma")))
static void finish_avx512(const float *du, long pair, long end, float *grad_weight) {
#define LOAD8(x) _mm512_cvtps_pd(_mm256_loadu_ps(x))
    FINISH_BODY(__m512d, 8, LOAD8, _mm512_set1_pd, _mm512_mul_pd, _mm512_add_pd, _mm512_setzero_pd(), _mm512_storeu_pd)
#undef LOAD8
}
#undef FINISH_BODY
#endif

void winograd4_weight_gradient_finish(const float *du, int out_channels, int in_channels, float *grad_weight) {
    const long pair = (long)out_channels * in_channels;
#if defined(__x86_64__)
    if (use_avx2()) {
        if (convolution_isa() == CONVOLUTION_ISA_AVX512)
            finish_avx512(du, pair, pair, grad_weight);
        else
            finish_avx2(du, pair, pair, grad_weight);
        return;
    }
#endif
    finish_pairs_portable(du, pair, 0, pair, grad_weight);
}
