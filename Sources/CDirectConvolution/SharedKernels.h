#ifndef SHARED_KERNELS_H
#define SHARED_KERNELS_H

// What the direct and Winograd convolutions share (internal to this target).

#include <immintrin.h>
#include <string.h>

#include "DirectConvolution.h"

// 4 channels x 2 vectors = 8 accumulators, 2 input vectors and 1 broadcast in registers. Measured
// on Zen 3 against 2x4, 2x5, 2x6, 4x3 and 8x1 (those spill registers or load more per FMA): best or tied.
enum { VECTOR = 8, VECTORS_PER_BLOCK = 2, BLOCK = VECTOR * VECTORS_PER_BLOCK, GROUP = DIRECT_CONVOLUTION_CHANNEL_GROUP };

// n rounded up to a whole number of `multiple`s (blocks, vectors).
static inline long round_up(long n, long multiple) { return (n + multiple - 1) / multiple * multiple; }

// The four-phase stride-2 geometry (DirectConvolution.c; the AVX-512 forward kernel and the strided backward
// kernels; the AVX2 forward kernel has dense planes): output out_height x out_width; four phase planes
// per input channel, each (out_height + 1) x phase_width (= out_width + 1) = `phase` floats, `plane` = 4
// phases a channel; the run of output positions (one dropped column a row) and its tile rows' stride.
typedef struct { int out_height, out_width, phase_width; long phase, plane, run, tile_stride; } phase_layout;

static inline phase_layout measure_phases(int height, int width) {
    phase_layout l;
    l.out_height = (height + 1) / 2;
    l.out_width = (width + 1) / 2;
    l.phase_width = l.out_width + 1;
    l.phase = (long)(l.out_height + 1) * l.phase_width;
    l.plane = 4 * l.phase;
    l.run = (long)(l.out_height - 1) * l.phase_width + l.out_width;
    l.tile_stride = round_up(l.run, BLOCK);
    return l;
}

// The public 3x3 kernels (DirectConvolution.h) share one parameter list; each runs its AVX2
// implementation. Without x86 they are never called (direct_convolution_available() is 0).
#define CONVOLUTION_PARAMETERS const float *input, long in_channel_stride, long in_image_stride, \
    int in_channels, int image_count, int height, int width, const float *packed_weight, int out_channels, \
    float *output, long out_channel_stride, long out_image_stride, direct_convolution_epilogue epilogue, float *scratch
#if defined(__x86_64__) || defined(__i386__)
#define CONVOLUTION_ENTRY_POINT(name, implementation) \
    void name(CONVOLUTION_PARAMETERS) { \
        implementation(input, in_channel_stride, in_image_stride, in_channels, image_count, height, width, \
                       packed_weight, out_channels, output, out_channel_stride, out_image_stride, epilogue, scratch); \
    }
#else
#define CONVOLUTION_ENTRY_POINT(name, implementation) void name(CONVOLUTION_PARAMETERS) {}
#endif

#if defined(__x86_64__) || defined(__i386__)

// KernelTemplate.h on 8 lanes: register_block, exp_clamped and activate.
#include "VectorLanes8.h"
#include "KernelTemplate.h"

// Short rows (7 to 35 floats) copied and zeroed with unaligned vector stores: whole vectors, then one
// last vector flush with the row's end (overlapping what is already written). Plain loops here became
// memcpy/memset calls, which cost more than the work on rows this short (3-4 % of a surface's time).
__attribute__((target("avx2,fma"), always_inline))
static inline void zero_floats(float *to, long count) {
    if (count < VECTOR) {   // a fixed-length loop: one over `count` would become a memset call again
        for (int i = 0; i < VECTOR; i++)
            if (i < count) to[i] = 0;
        return;
    }
    __m256 zero = _mm256_setzero_ps();
    __asm__("" : "+x"(zero));   // hides the constant: a loop storing known zeros would become a memset call
    for (long i = 0; i + VECTOR < count; i += VECTOR) _mm256_storeu_ps(to + i, zero);
    _mm256_storeu_ps(to + count - VECTOR, zero);
}

__attribute__((target("avx2,fma"), always_inline))
static inline void copy_floats(float *to, const float *from, long count) {
    if (count < VECTOR) {
        for (int i = 0; i < VECTOR; i++)
            if (i < count) to[i] = from[i];
        return;
    }
    for (long i = 0; i + VECTOR < count; i += VECTOR) _mm256_storeu_ps(to + i, _mm256_loadu_ps(from + i));
    _mm256_storeu_ps(to + count - VECTOR, _mm256_loadu_ps(from + count - VECTOR));
}

// Image planes copied into zero-bordered planes of padded_rows x padded_width: image row y goes to
// padded row y + 1 from column 1; everything else is zero. Out of line: once per image, and inlined
// into the kernels its loops changed their register allocation (-9 % measured on the Winograd kernel).
__attribute__((target("avx2,fma"), noinline, unused))   // unused: not every file that includes this pads images
static void pad_image(const float *image, long channel_stride, int channels, int height, int width,
                             float *padded, int padded_rows, int padded_width) {
    const long plane = (long)padded_rows * padded_width;
    for (int c = 0; c < channels; c++) {
        const float *source = image + c * channel_stride;
        float *target = padded + c * plane;
        zero_floats(target, padded_width);
        for (int y = 0; y < height; y++) {
            float *row = target + (long)(y + 1) * padded_width;
            row[0] = 0;
            copy_floats(row + 1, source + (long)y * width, width);
            zero_floats(row + width + 1, padded_width - width - 1);
        }
        zero_floats(target + (long)(height + 1) * padded_width, (long)(padded_rows - height - 1) * padded_width);
    }
}

// Stride 2 by phases (DirectConvolution.c): the four phase planes Q_ab(i, j) = P(2i + a, 2j + b) of one
// channel's zero-bordered plane P (P(r, s) = image(r - 1, s - 1), zero outside), each (out_height + 1) x
// phase_width (= out_width + 1), Q_ab at phases + (2a + b) * phase. Used by the AVX-512 forward kernel
// (inlined; its own target is the AVX2 subset).
__attribute__((target("avx2,fma"), always_inline))
static inline void split_phases(const float *image, int height, int width, int out_height, int phase_width,
                                long phase, float *phases) {
    for (int a = 0; a < 2; a++) {
        for (int b = 0; b < 2; b++) {
            float *target = phases + (a * 2 + b) * phase;
            for (int i = 0; i <= out_height; i++) {
                const int r = 2 * i + a - 1;
                float *row = target + (long)i * phase_width;
                if (r < 0 || r >= height) {
                    zero_floats(row, phase_width);
                    continue;
                }
                const float *from = image + (long)r * width;
                for (int j = 0; j < phase_width; j++) {
                    const int s = 2 * j + b - 1;
                    row[j] = s >= 0 && s < width ? from[s] : 0;
                }
            }
        }
    }
}

// Where tap (dy, dx) reads in the phase planes, from output position y * phase_width + x:
// Q_{dy&1, dx&1}(y + dy/2, x + dx/2).
static inline void phase_tap_offsets(long offsets[9], long phase, int phase_width) {
    for (int dy = 0; dy < 3; dy++)
        for (int dx = 0; dx < 3; dx++)
            offsets[dy * 3 + dx] = ((dy & 1) * 2 + (dx & 1)) * phase + (dy / 2) * phase_width + dx / 2;
}

// activation(sums + bias (+ residual)) for 8 values.
__attribute__((target("avx2,fma"), always_inline))
static inline void epilogue_vector(float *to, const float *sums, __m256 bias8, const float *residual, int activation) {
    __m256 value = _mm256_add_ps(_mm256_loadu_ps(sums), bias8);
    if (residual) value = _mm256_add_ps(value, _mm256_loadu_ps(residual));
    _mm256_storeu_ps(to, activate(value, activation));
}

// One output row through the epilogue: += sums (no bias), or = activation(sums + bias (+ residual)).
// `to` never overlaps `sums` or `residual_row`.
__attribute__((target("avx2,fma"), always_inline))
static inline void epilogue_row(float *to, const float *sums, int count, const direct_convolution_epilogue *epilogue,
                                int channel, const float *residual_row) {
    if (!epilogue->bias) {
        for (int x = 0; x < count; x++) to[x] += sums[x];
        return;
    }
    const float bias = epilogue->bias[channel];
    const __m256 bias8 = _mm256_set1_ps(bias);
    const int activation = epilogue->activation;
    int x = 0;
    const int has_exp = activation == DIRECT_CONVOLUTION_SWISH || activation == DIRECT_CONVOLUTION_MISH;
    for (; has_exp && x + 32 <= count; x += 32) {   // 4 vectors' exps together (activate4: the same bits)
        __m256 value[4];
        for (int k = 0; k < 4; k++) {
            value[k] = _mm256_add_ps(_mm256_loadu_ps(sums + x + 8 * k), bias8);
            if (residual_row) value[k] = _mm256_add_ps(value[k], _mm256_loadu_ps(residual_row + x + 8 * k));
        }
        activate4(value, activation);
        for (int k = 0; k < 4; k++) _mm256_storeu_ps(to + x + 8 * k, value[k]);
    }
    for (; x + 8 <= count; x += 8)
        epilogue_vector(to + x, sums + x, bias8, residual_row ? residual_row + x : 0, activation);
    if (x == count) return;
    if (count >= 8) {
        // The last vector flush with the row's end, over values already written: same inputs, same bits.
        x = count - 8;
        epilogue_vector(to + x, sums + x, bias8, residual_row ? residual_row + x : 0, activation);
        return;
    }
    // Rows shorter than a vector go through the same vector code by way of a buffer. The copies are
    // fixed 8-lane loops: plain loops over `count` became memcpy calls, dearer than the work.
    float in[8], shortcut[8], out[8];
    for (int i = 0; i < 8; i++) in[i] = i < count ? sums[i] : 0;
    if (residual_row)
        for (int i = 0; i < 8; i++) shortcut[i] = i < count ? residual_row[i] : 0;
    epilogue_vector(out, in, bias8, residual_row ? shortcut : 0, activation);
    for (int i = 0; i < 8; i++)
        if (i < count) to[i] = out[i];
}

// A plane of sums (rows sums_row_stride apart) through the epilogue onto height x width output rows.
__attribute__((target("avx2,fma"), always_inline))
static inline void epilogue_plane(float *output, const float *sums, long sums_row_stride, int height, int width,
                                  const direct_convolution_epilogue *epilogue, int channel, const float *residual) {
    for (int y = 0; y < height; y++)
        epilogue_row(output + (long)y * width, sums + (long)y * sums_row_stride, width, epilogue, channel,
                     residual ? residual + (long)y * width : 0);
}

#endif

#endif
