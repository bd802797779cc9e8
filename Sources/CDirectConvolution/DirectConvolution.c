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
// on the run of output positions (again with one dropped column per row).
long direct_convolution_stride2_scratch_floats(int in_channels, int height, int width) {
    const phase_layout l = measure_phases(height, width);
    // The tile holds 4 channels' sums (AVX2) or 8 (AVX-512).
    return in_channels * l.plane + GUARD + 2 * GROUP * l.tile_stride;
}

#if defined(__x86_64__) || defined(__i386__)
__attribute__((target("avx2,fma")))
static void stride2_avx2(const float *input, long in_channel_stride, long in_image_stride,
                         int in_channels, int image_count, int height, int width,
                         const float *packed_weight, int out_channels,
                         float *output, long out_channel_stride, long out_image_stride,
                         direct_convolution_epilogue epilogue, float *scratch) {
    const phase_layout l = measure_phases(height, width);
    float *phases = scratch;
    float *tile = scratch + in_channels * l.plane + GUARD;
    memset(phases + in_channels * l.plane, 0, GUARD * sizeof(float));
    long offsets[9];
    phase_tap_offsets(offsets, l.phase, l.phase_width);
    for (int b = 0; b < image_count; b++) {
        for (int c = 0; c < in_channels; c++)
            split_phases(input + c * in_channel_stride + b * in_image_stride, height, width, l.out_height, l.phase_width,
                         l.phase, phases + c * l.plane);
        for (int group = 0; group < out_channels / GROUP; group++) {
            const float *weights = packed_weight + (long)group * in_channels * 9 * GROUP;
            for (long i = 0; i < l.run; i += BLOCK)
                register_block(phases + i, l.plane, in_channels, 0, offsets, weights, 0, tile + i, l.tile_stride,
                               1, VECTORS_PER_BLOCK, 9);
            for (int o = 0; o < GROUP; o++) {
                const int channel = group * GROUP + o;
                const long offset = channel * out_channel_stride + b * out_image_stride;
                epilogue_plane(output + offset, tile + o * l.tile_stride, l.phase_width, l.out_height, l.out_width, &epilogue,
                               channel, epilogue.residual ? epilogue.residual + offset : 0);
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
