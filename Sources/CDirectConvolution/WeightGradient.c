#include "WeightGradient.h"

#include <string.h>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

// Layout (see WeightGradient.h): per image, a padded input plane of R = height + 2 rows of
// PW = width + 1 floats, input (y, x) at row y + 1, column x + 1, column 0 and rows 0 and R - 1
// zero; images of a chunk follow each other (S = R * PW floats apart). The output gradient uses
// the same S and PW: (y, x) at y * PW + x, column `width` and the last two rows zero. Position
// i = j * S + y * PW + x of output (y, x) of image j reads tap (dy, dx) at input index
// i + dy * PW + dx: the zero columns and rows give the padding, and positions whose gradient is a
// zero column or row add nothing.

// Floats of padded planes a chunk aims at: a few hundred KB stay in L2 while the passes run.
enum { TARGET_FLOATS = 64 * 1024, STEP = 16 };

static long round_up16(long n) { return (n + STEP - 1) / STEP * STEP; }

static int chunk_images(int in_channels, int out_channels, int height, int width) {
    const long per_image = (long)(in_channels + out_channels) * (height + 2) * (width + 1);
    const long n = TARGET_FLOATS / per_image;
    return n < 1 ? 1 : (int)n;
}

// Zero floats every input plane keeps after the chunk: the last step's loads reach up to
// STEP - 1 positions past the run plus the largest tap offset 2 * PW + 2.
static long tail_floats(int width) { return STEP + 2 * (long)(width + 1) + 2; }

static long input_stride(int n, int height, int width) {
    return (long)n * (height + 2) * (width + 1) + tail_floats(width);
}

static long gradient_stride(int n, int height, int width) { return round_up16((long)n * (height + 2) * (width + 1)); }

long convolution_weight_gradient_scratch_floats(int in_channels, int out_channels, int height, int width) {
    const int n = chunk_images(in_channels, out_channels, height, width);
    return in_channels * input_stride(n, height, width) + out_channels * gradient_stride(n, height, width);
}

// Copies `count` images into the chunk planes; returns the run length count * S.
static long fill_chunk(const float *input, long in_channel_stride, long in_image_stride, int in_channels,
                       const float *grad_output, long out_channel_stride, long out_image_stride, int out_channels,
                       int count, int height, int width, float *x_planes, long x_stride,
                       float *z_planes, long z_stride) {
    const int pw = width + 1;
    const long s = (long)(height + 2) * pw;
    const long run = count * s;
    for (int c = 0; c < in_channels; c++) {
        float *plane = x_planes + c * x_stride;
        for (int j = 0; j < count; j++) {
            const float *source = input + c * in_channel_stride + j * in_image_stride;
            float *image = plane + j * s;
            memset(image, 0, pw * sizeof(float));
            for (int y = 0; y < height; y++) {
                float *row = image + (long)(y + 1) * pw;
                row[0] = 0;
                memcpy(row + 1, source + (long)y * width, width * sizeof(float));
            }
            memset(image + (long)(height + 1) * pw, 0, pw * sizeof(float));
        }
        memset(plane + run, 0, tail_floats(width) * sizeof(float));
    }
    for (int o = 0; o < out_channels; o++) {
        float *plane = z_planes + o * z_stride;
        for (int j = 0; j < count; j++) {
            const float *source = grad_output + o * out_channel_stride + j * out_image_stride;
            float *image = plane + j * s;
            for (int y = 0; y < height; y++) {
                float *row = image + (long)y * pw;
                memcpy(row, source + (long)y * width, width * sizeof(float));
                row[width] = 0;
            }
            memset(image + (long)height * pw, 0, 2 * pw * sizeof(float));
        }
        memset(plane + run, 0, (round_up16(run) - run) * sizeof(float));
    }
    return run;
}

#if defined(__x86_64__) || defined(__i386__)

// Sum of 16 lanes held as two 8-lane halves, in one fixed order: halves, then 4, 2, 1.
__attribute__((target("avx2,fma"), always_inline))
static inline float reduce16(__m256 low, __m256 high) {
    const __m256 v = _mm256_add_ps(low, high);
    __m128 q = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    q = _mm_add_ps(q, _mm_movehl_ps(q, q));
    q = _mm_add_ss(q, _mm_movehdup_ps(q));
    return _mm_cvtss_f32(q);
}

// Two output channels x two taps (input offsets a, b) over the run: 8 accumulators, 16 positions per step.
__attribute__((target("avx2,fma")))
static void two_taps(const float *z0, const float *z1, const float *x, long a, long b, long run, float sums[4]) {
    __m256 s00l = _mm256_setzero_ps(), s00h = s00l, s01l = s00l, s01h = s00l;
    __m256 s10l = s00l, s10h = s00l, s11l = s00l, s11h = s00l;
    for (long i = 0; i < run; i += STEP) {
        const __m256 g0l = _mm256_loadu_ps(z0 + i), g0h = _mm256_loadu_ps(z0 + i + 8);
        const __m256 g1l = _mm256_loadu_ps(z1 + i), g1h = _mm256_loadu_ps(z1 + i + 8);
        __m256 v = _mm256_loadu_ps(x + i + a);
        s00l = _mm256_fmadd_ps(g0l, v, s00l);
        s10l = _mm256_fmadd_ps(g1l, v, s10l);
        v = _mm256_loadu_ps(x + i + a + 8);
        s00h = _mm256_fmadd_ps(g0h, v, s00h);
        s10h = _mm256_fmadd_ps(g1h, v, s10h);
        v = _mm256_loadu_ps(x + i + b);
        s01l = _mm256_fmadd_ps(g0l, v, s01l);
        s11l = _mm256_fmadd_ps(g1l, v, s11l);
        v = _mm256_loadu_ps(x + i + b + 8);
        s01h = _mm256_fmadd_ps(g0h, v, s01h);
        s11h = _mm256_fmadd_ps(g1h, v, s11h);
    }
    sums[0] = reduce16(s00l, s00h);
    sums[1] = reduce16(s01l, s01h);
    sums[2] = reduce16(s10l, s10h);
    sums[3] = reduce16(s11l, s11h);
}

// Two output channels x one tap: 4 accumulators.
__attribute__((target("avx2,fma")))
static void one_tap(const float *z0, const float *z1, const float *x, long a, long run, float sums[2]) {
    __m256 s0l = _mm256_setzero_ps(), s0h = s0l, s1l = s0l, s1h = s0l;
    for (long i = 0; i < run; i += STEP) {
        const __m256 vl = _mm256_loadu_ps(x + i + a), vh = _mm256_loadu_ps(x + i + a + 8);
        s0l = _mm256_fmadd_ps(_mm256_loadu_ps(z0 + i), vl, s0l);
        s0h = _mm256_fmadd_ps(_mm256_loadu_ps(z0 + i + 8), vh, s0h);
        s1l = _mm256_fmadd_ps(_mm256_loadu_ps(z1 + i), vl, s1l);
        s1h = _mm256_fmadd_ps(_mm256_loadu_ps(z1 + i + 8), vh, s1h);
    }
    sums[0] = reduce16(s0l, s0h);
    sums[1] = reduce16(s1l, s1h);
}

#else

static void two_taps(const float *z0, const float *z1, const float *x, long a, long b, long run, float sums[4]) {
    float s[4] = {0, 0, 0, 0};
    for (long i = 0; i < run; i++) {
        s[0] += z0[i] * x[i + a];
        s[1] += z0[i] * x[i + b];
        s[2] += z1[i] * x[i + a];
        s[3] += z1[i] * x[i + b];
    }
    for (int k = 0; k < 4; k++) sums[k] = s[k];
}

static void one_tap(const float *z0, const float *z1, const float *x, long a, long run, float sums[2]) {
    float s0 = 0, s1 = 0;
    for (long i = 0; i < run; i++) {
        s0 += z0[i] * x[i + a];
        s1 += z1[i] * x[i + a];
    }
    sums[0] = s0;
    sums[1] = s1;
}

#endif

void convolution_weight_gradient_3x3(const float *input, long in_channel_stride, long in_image_stride,
                                     int in_channels, const float *grad_output, long out_channel_stride,
                                     long out_image_stride, int out_channels, int image_count, int height, int width,
                                     float *grad_weight, float *scratch) {
    const int n = chunk_images(in_channels, out_channels, height, width);
    const long x_stride = input_stride(n, height, width), z_stride = gradient_stride(n, height, width);
    float *x_planes = scratch, *z_planes = scratch + in_channels * x_stride;
    const long pw = width + 1;
    long offsets[9];
    for (int t = 0; t < 9; t++) offsets[t] = (t / 3) * pw + t % 3;
    for (int first = 0; first < image_count; first += n) {
        const int count = image_count - first < n ? image_count - first : n;
        const long run = round_up16(fill_chunk(input + first * in_image_stride, in_channel_stride, in_image_stride,
                                               in_channels, grad_output + first * out_image_stride, out_channel_stride,
                                               out_image_stride, out_channels, count, height, width,
                                               x_planes, x_stride, z_planes, z_stride));
        for (int o = 0; o + 1 < out_channels; o += 2) {
            const float *z0 = z_planes + o * z_stride, *z1 = z0 + z_stride;
            for (int c = 0; c < in_channels; c++) {
                const float *x = x_planes + c * x_stride;
                float *w0 = grad_weight + ((long)o * in_channels + c) * 9;
                float *w1 = grad_weight + ((long)(o + 1) * in_channels + c) * 9;
                float sums[4];
                for (int t = 0; t + 1 < 9; t += 2) {
                    two_taps(z0, z1, x, offsets[t], offsets[t + 1], run, sums);
                    w0[t] += sums[0];
                    w0[t + 1] += sums[1];
                    w1[t] += sums[2];
                    w1[t + 1] += sums[3];
                }
                one_tap(z0, z1, x, offsets[8], run, sums);
                w0[8] += sums[0];
                w1[8] += sums[1];
            }
        }
    }
}
