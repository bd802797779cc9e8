#include "DirectConvolution.h"

#include <immintrin.h>
#include <string.h>

#include "SharedKernels.h"
#include "KernelVariants.h"

// Positions are indexed in the zero-bordered plane ((height + 2) x (width + 1) per channel): one
// zero column serves as the right border of each row and the left border of the next, so the
// kernel wastes 1 column in width + 1 rather than 2 in width + 2 (8x8 planes: 11 % rather than 20 %).
// Output (y, x) sits at padded index (y + 1) * (width + 1) + x + 1; the kernel computes the
// contiguous run from (0, 0) to (height - 1, width - 1), including the zero column between rows
// (its values are computed and dropped), so every load is a plain unaligned vector load with no masking.

// The last block of a run reads up to 16 floats past the last plane (index (H + 2)(W + 1) + 15 at most).
enum { GUARD = 32 };

#ifndef CHUNK_BLOCKS
#define CHUNK_BLOCKS 4
#endif
enum { CHUNK = CHUNK_BLOCKS * BLOCK };

int direct_convolution_available(void) { return convolution_isa_supported(CONVOLUTION_ISA_AVX2); }

void direct_convolution_pack_weights(const float *weight, int out_channels, int in_channels, float *packed) {
    for (int group = 0; group < out_channels / GROUP; group++)
        for (int c = 0; c < in_channels; c++)
            for (int tap = 0; tap < 9; tap++)
                for (int o = 0; o < GROUP; o++)
                    *packed++ = weight[((long)(group * GROUP + o) * in_channels + c) * 9 + tap];
}

static long run_length(int height, int width) { return (long)(height - 1) * (width + 1) + width; }

static long rounded_run(int height, int width) { return round_up(run_length(height, width), BLOCK); }

long direct_convolution_scratch_floats(int in_channels, int out_channels, int height, int width) {
    long plane = (long)(height + 2) * (width + 1);
    return in_channels * plane + GUARD + out_channels * rounded_run(height, width);
}

#if defined(__x86_64__) || defined(__i386__)

__attribute__((target("avx2,fma")))
static void convolve_avx2(const float *input, long in_channel_stride, long in_image_stride,
                          int in_channels, int image_count, int height, int width,
                          const float *packed_weight, int out_channels,
                          float *output, long out_channel_stride, long out_image_stride,
                          direct_convolution_epilogue epilogue, float *scratch) {
    const int padded_width = width + 1;
    const long plane = (long)(height + 2) * padded_width;
    const long run = run_length(height, width);
    const long tile_stride = rounded_run(height, width);
    float *padded = scratch;
    float *tile = scratch + in_channels * plane + GUARD;
    memset(padded + in_channels * plane, 0, GUARD * sizeof(float));
    for (int b = 0; b < image_count; b++) {
        pad_image(input + b * in_image_stride, in_channel_stride, in_channels, height, width,
                  padded, height + 2, padded_width);
        // Chunks of the run outermost, channel groups inside: a chunk's input rows (every channel)
        // stay in L1 for all groups, where a 32x32 image of 16 channels (70 KB) would not.
        // Whole blocks only: the last one runs past the run into the tile's rounding and the input
        // guard (a one-vector tail block would have half the accumulators and run latency-bound).
        for (long start = 0; start < run; start += CHUNK) {
            const long end = start + CHUNK < run ? start + CHUNK : run;
            for (int group = 0; group < out_channels / GROUP; group++) {
                const float *weights = packed_weight + (long)group * in_channels * 9 * GROUP;
                // Output position i of the run reads padded index i + dy * padded_width + dx.
                for (long i = start; i < end; i += BLOCK)
                    register_block(padded + i, plane, in_channels, padded_width, 0, weights, 0,
                                   tile + (long)group * GROUP * tile_stride + i, tile_stride, 1, VECTORS_PER_BLOCK, 9);
            }
        }
        // The run's interior columns, through the epilogue, onto the output rows.
        for (int channel = 0; channel < out_channels; channel++) {
            const long offset = channel * out_channel_stride + b * out_image_stride;
            epilogue_plane(output + offset, tile + channel * tile_stride, padded_width, height, width, &epilogue,
                           channel, epilogue.residual ? epilogue.residual + offset : 0);
        }
    }
}

#endif

#if defined(__x86_64__) || defined(__i386__)
__attribute__((target("avx2,fma")))
static void activate_avx2(float *data, long count, int activation) {
    long i = 0;
    const int has_exp = activation == DIRECT_CONVOLUTION_SWISH || activation == DIRECT_CONVOLUTION_MISH;
    for (; has_exp && i + 32 <= count; i += 32) {   // 4 vectors' exps together (activate4: the same bits)
        __m256 value[4];
        for (int k = 0; k < 4; k++) value[k] = _mm256_loadu_ps(data + i + 8 * k);
        activate4(value, activation);
        for (int k = 0; k < 4; k++) _mm256_storeu_ps(data + i + 8 * k, value[k]);
    }
    for (; i + 8 <= count; i += 8) _mm256_storeu_ps(data + i, activate(_mm256_loadu_ps(data + i), activation));
    if (i < count) {
        float buffer[8] = {0};
        for (long k = 0; i + k < count; k++) buffer[k] = data[i + k];
        _mm256_storeu_ps(buffer, activate(_mm256_loadu_ps(buffer), activation));
        for (long k = 0; i + k < count; k++) data[i + k] = buffer[k];
    }
}
#endif

// Stride 2 by phases: with P the zero-bordered input (P(r, s) = input(r - 1, s - 1)), output (y, x)
// reads P(2y + dy, 2x + dx). Split P into four phase planes Q_ab(i, j) = P(2i + a, 2j + b) of
// (out_height + 1) x (out_width + 1); then tap (dy, dx) reads Q_{dy&1, dx&1}(y + dy/2, x + dx/2): a
// fixed offset from position y * (out_width + 1) + x, so the stride-1 register block runs unchanged
// on the run of output positions (again with one dropped column per row). That is the AVX-512 kernel's
// layout (DirectConvolution512.c); the AVX2 kernel below uses dense planes instead.
//
// Dense planes (AVX2): the dx = 2 taps read Q_{a0} one column on, which is what needs the extra column;
// a third plane per row phase, Q'_{a0}(i, j) = Q_{a0}(i, j + 1), takes it instead. Six planes of
// (out_height + 1) x out_width a channel, in the order Q_00, Q_01, Q'_00, Q_10, Q_11, Q'_10 (tap
// (dy, dx) reads plane 3 (dy & 1) + dx at row y + dy/2), and tap (dy, dx) reads a fixed offset from
// position y * out_width + x: the run of output positions is the output plane itself, with no dropped
// column. On ResNet-20's stride-2 layers the old run computed 272, 80, 224 and 64 positions a channel for
// out planes of 16x16, 8x8, 14x14 and 7x7 (256, 64, 196 and 49 kept); this one computes 256, 64, 200 and 56.
typedef struct { int out_height, out_width; long plane, channel, positions, tile_stride; } dense_phase_layout;

static dense_phase_layout measure_dense_phases(int height, int width) {
    dense_phase_layout l;
    l.out_height = (height + 1) / 2;
    l.out_width = (width + 1) / 2;
    l.plane = (long)(l.out_height + 1) * l.out_width;
    l.channel = 6 * l.plane;
    l.positions = (long)l.out_height * l.out_width;
    l.tile_stride = round_up(l.positions, BLOCK);
    return l;
}

long direct_convolution_stride2_scratch_floats(int in_channels, int height, int width) {
    const phase_layout l = measure_phases(height, width);
    const dense_phase_layout dense = measure_dense_phases(height, width);
    // The tile holds 4 channels' sums (AVX2) or 8 (AVX-512); either layout fits.
    const long avx512 = in_channels * l.plane + GUARD + 2 * GROUP * l.tile_stride;
    const long avx2 = in_channels * dense.channel + GUARD + GROUP * dense.tile_stride;
    return avx512 > avx2 ? avx512 : avx2;
}

#if defined(__x86_64__) || defined(__i386__)
// The first `count` lanes (0 to 8) of a mask for maskload / maskstore: lane_masks + 8 - count.
static const int lane_masks[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};

// The first `count` floats of v to `to`, where `room` floats from `to` on are the plane's: a plain store
// when the vector fits (what it writes past `count` is the next row's, written after), else a masked one
// (slow on Zen 3, so only on a plane's last row).
__attribute__((target("avx2,fma"), always_inline))
static inline void store_first(float *to, __m256 v, long count, long room) {
    if (count >= VECTOR || (count > 0 && room >= VECTOR)) _mm256_storeu_ps(to, v);
    else if (count > 0) _mm256_maskstore_ps(to, _mm256_loadu_si256((const __m256i *)(lane_masks + VECTOR - count)), v);
}

// One image row r (of `width` floats) into row i of its row phase's dense planes (a = (r + 1) & 1):
// Q_a1(i, j) = row[2j], Q'_a0(i, j) = row[2j + 1] (0 past the row), Q_a0(i, j) = row[2j - 1] (0 at j = 0).
// 16 floats at a time, split into evens and odds by shuffles; the last 16 by masked loads. `room`: floats
// from the row's start to its planes' end. Rows go in order, so each row's spills are overwritten later.
// Before: one scalar copy a float, with bound checks (20 % of the kernel's time, 32x32 -> 16x16, AMD EPYC
// family 25 model 1, Zen 3).
__attribute__((target("avx2,fma"), always_inline))
static inline void split_dense_row(const float *row, int width, int out_width, long room, float *left, float *odd,
                                   float *shifted) {
    left[0] = 0;
    for (int k = 0; k < width; k += 2 * VECTOR) {
        __m256 low, high;
        if (k + 2 * VECTOR <= width) {
            low = _mm256_loadu_ps(row + k);
            high = _mm256_loadu_ps(row + k + VECTOR);
        } else {
            const long rest = width - k;
            low = _mm256_maskload_ps(row + k, _mm256_loadu_si256((const __m256i *)(lane_masks + VECTOR - (rest < VECTOR ? rest : VECTOR))));
            high = _mm256_maskload_ps(row + k + VECTOR,
                                      _mm256_loadu_si256((const __m256i *)(lane_masks + VECTOR - (rest > VECTOR ? rest - VECTOR : 0))));
        }
        // shuffle_ps picks within 128-bit lanes; the 64-bit permute puts the halves back in order.
        const __m256 evens = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(low, high, 0x88)), 0xD8));
        const __m256 odds = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(_mm256_shuffle_ps(low, high, 0xDD)), 0xD8));
        const int j = k / 2;
        store_first(odd + j, evens, out_width - j, room - j);
        store_first(shifted + j, odds, out_width - j, room - j);
        store_first(left + 1 + j, odds, out_width - 1 - j, room - 1 - j);
    }
}

// One channel's six dense planes (the layout above) from its image plane.
__attribute__((target("avx2,fma"), always_inline))
static inline void split_dense_phases(const float *image, int height, int width, const dense_phase_layout *l, float *planes) {
    for (int i = 0; i <= l->out_height; i++) {
        for (int a = 0; a < 2; a++) {
            float *target = planes + 3 * a * l->plane + (long)i * l->out_width;
            const int r = 2 * i + a - 1;
            if (r < 0 || r >= height)
                for (int k = 0; k < 3; k++) zero_floats(target + k * l->plane, l->out_width);
            else
                split_dense_row(image + (long)r * width, width, l->out_width, l->plane - (long)i * l->out_width, target,
                                target + l->plane, target + 2 * l->plane);
        }
    }
}

__attribute__((target("avx2,fma")))
static void stride2_avx2(const float *input, long in_channel_stride, long in_image_stride,
                         int in_channels, int image_count, int height, int width,
                         const float *packed_weight, int out_channels,
                         float *output, long out_channel_stride, long out_image_stride,
                         direct_convolution_epilogue epilogue, float *scratch) {
    const dense_phase_layout l = measure_dense_phases(height, width);
    float *planes = scratch;
    float *tile = scratch + in_channels * l.channel + GUARD;
    // The last vectors read past the positions, into the next plane or channel and, after the last, this guard.
    memset(planes + in_channels * l.channel, 0, GUARD * sizeof(float));
    long offsets[9];
    for (int dy = 0; dy < 3; dy++)
        for (int dx = 0; dx < 3; dx++) offsets[dy * 3 + dx] = (3 * (dy & 1) + dx) * l.plane + (dy / 2) * l.out_width;
    const long whole_blocks = l.positions / BLOCK * BLOCK, rest = l.positions - whole_blocks;
    for (int b = 0; b < image_count; b++) {
        for (int c = 0; c < in_channels; c++)
            split_dense_phases(input + c * in_channel_stride + b * in_image_stride, height, width, &l, planes + c * l.channel);
        for (int group = 0; group < out_channels / GROUP; group++) {
            const float *weights = packed_weight + (long)group * in_channels * 9 * GROUP;
            for (long i = 0; i < whole_blocks; i += BLOCK)
                register_block(planes + i, l.channel, in_channels, 0, offsets, weights, 0, tile + i, l.tile_stride,
                               1, VECTORS_PER_BLOCK, 9);
            // A last single vector runs latency-bound (4 accumulators), at about the cost of a whole block; 8
            // channels x 1 vector (two groups) was no faster: clang spilled its accumulators (7x7, AMD EPYC family 25
            // model 1, Zen 3).
            if (rest > VECTOR)
                register_block(planes + whole_blocks, l.channel, in_channels, 0, offsets, weights, 0, tile + whole_blocks,
                               l.tile_stride, 1, VECTORS_PER_BLOCK, 9);
            else if (rest > 0)
                register_block(planes + whole_blocks, l.channel, in_channels, 0, offsets, weights, 0, tile + whole_blocks,
                               l.tile_stride, 1, 1, 9);
            // The tile's rows are output planes: one run each through the epilogue.
            for (int o = 0; o < GROUP; o++) {
                const int channel = group * GROUP + o;
                const long offset = channel * out_channel_stride + b * out_image_stride;
                epilogue_row(output + offset, tile + o * l.tile_stride, (int)l.positions, &epilogue, channel,
                             epilogue.residual ? epilogue.residual + offset : 0);
            }
        }
    }
}
#endif

CONVOLUTION_DISPATCH(direct_convolution_3x3_stride2, stride2_avx2, direct_convolution_3x3_stride2_avx512)

void direct_convolution_activate(float *data, long count, int activation) {
#if defined(__x86_64__) || defined(__i386__)
    if (convolution_isa() == CONVOLUTION_ISA_AVX512) direct_convolution_activate_avx512(data, count, activation);
    else activate_avx2(data, count, activation);
#else
    (void)data; (void)count; (void)activation;
#endif
}

CONVOLUTION_DISPATCH(direct_convolution_3x3, convolve_avx2, direct_convolution_3x3_avx512)
