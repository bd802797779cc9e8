#include "DirectConvolution.h"

#include <immintrin.h>
#include <string.h>

#include "SharedKernels.h"

// Positions are indexed in the zero-bordered plane ((height + 2) x (width + 2) per channel).
// Output (y, x) sits at padded index (y + 1) * (width + 2) + x + 1; the kernel computes the
// contiguous run from (0, 0) to (height - 1, width - 1), including the two border columns
// between rows (their values are computed and dropped), so every load is a plain
// unaligned vector load with no masking.

// The last block of a run reads up to 15 floats past the last plane ((H + 1)(W + 2) + W + 16 at most).
enum { GUARD = 32 };

int direct_convolution_available(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return 0;
#endif
}

void direct_convolution_pack_weights(const float *weight, int out_channels, int in_channels, float *packed) {
    for (int group = 0; group < out_channels / GROUP; group++)
        for (int c = 0; c < in_channels; c++)
            for (int tap = 0; tap < 9; tap++)
                for (int o = 0; o < GROUP; o++)
                    *packed++ = weight[((long)(group * GROUP + o) * in_channels + c) * 9 + tap];
}

static long run_length(int height, int width) { return (long)(height - 1) * (width + 2) + width; }

static long rounded_run(int height, int width) {
    long run = run_length(height, width);
    return (run + BLOCK - 1) / BLOCK * BLOCK;
}

long direct_convolution_scratch_floats(int in_channels, int height, int width) {
    long plane = (long)(height + 2) * (width + 2);
    return in_channels * plane + GUARD + GROUP * rounded_run(height, width);
}

#if defined(__x86_64__) || defined(__i386__)

__attribute__((target("avx2,fma")))
static void convolve_avx2(const float *input, long in_channel_stride, long in_image_stride,
                          int in_channels, int image_count, int height, int width,
                          const float *packed_weight, int out_channels,
                          float *output, long out_channel_stride, long out_image_stride,
                          direct_convolution_epilogue epilogue, float *scratch) {
    const int padded_width = width + 2;
    const long plane = (long)(height + 2) * padded_width;
    const long run = run_length(height, width);
    const long tile_stride = rounded_run(height, width);
    float *padded = scratch;
    float *tile = scratch + in_channels * plane + GUARD;
    memset(padded + in_channels * plane, 0, GUARD * sizeof(float));
    for (int b = 0; b < image_count; b++) {
        pad_image(input + b * in_image_stride, in_channel_stride, in_channels, height, width,
                  padded, height + 2, padded_width);
        for (int group = 0; group < out_channels / GROUP; group++) {
            const float *weights = packed_weight + (long)group * in_channels * 9 * GROUP;
            // Output position i of the run reads padded index i + dy * padded_width + dx.
            // Whole blocks only: the last one runs past the run into the tile's rounding and the input
            // guard (a one-vector tail block would have half the accumulators and run latency-bound).
            for (long i = 0; i < run; i += BLOCK)
                register_block(padded + i, plane, in_channels, padded_width, weights, tile + i, tile_stride,
                               VECTORS_PER_BLOCK, 9);
            // The run's interior columns, through the epilogue, onto the output rows.
            for (int o = 0; o < GROUP; o++) {
                const int channel = group * GROUP + o;
                const long offset = channel * out_channel_stride + b * out_image_stride;
                for (int y = 0; y < height; y++)
                    epilogue_row(output + offset + (long)y * width, tile + o * tile_stride + (long)y * padded_width,
                                 width, &epilogue, channel,
                                 epilogue.residual ? epilogue.residual + offset + (long)y * width : 0);
            }
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

void direct_convolution_activate(float *data, long count, int activation) {
#if defined(__x86_64__) || defined(__i386__)
    activate_avx2(data, count, activation);
#else
    (void)data; (void)count; (void)activation;
#endif
}

void direct_convolution_3x3(const float *input, long in_channel_stride, long in_image_stride,
                            int in_channels, int image_count, int height, int width,
                            const float *packed_weight, int out_channels,
                            float *output, long out_channel_stride, long out_image_stride,
                            direct_convolution_epilogue epilogue, float *scratch) {
#if defined(__x86_64__) || defined(__i386__)
    convolve_avx2(input, in_channel_stride, in_image_stride, in_channels, image_count, height, width,
                  packed_weight, out_channels, output, out_channel_stride, out_image_stride, epilogue, scratch);
#else
    (void)input; (void)in_channel_stride; (void)in_image_stride; (void)in_channels; (void)image_count;
    (void)height; (void)width; (void)packed_weight; (void)out_channels; (void)output;
    (void)out_channel_stride; (void)out_image_stride; (void)epilogue; (void)scratch;
#endif
}
