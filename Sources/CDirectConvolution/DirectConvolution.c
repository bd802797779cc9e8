#include "DirectConvolution.h"

#include <immintrin.h>
#include <string.h>

// Positions are indexed in the zero-bordered plane ((height + 2) x (width + 2) per channel).
// Output (y, x) sits at padded index (y + 1) * (width + 2) + x + 1; the kernel computes the
// contiguous run from (0, 0) to (height - 1, width - 1), including the two border columns
// between rows (their values are computed and dropped), so every load is a plain
// unaligned vector load with no masking.

// 4 channels x 2 vectors = 8 accumulators, 2 input vectors and 1 broadcast in registers. Measured
// on Zen 3 against 2x4, 2x5, 2x6, 4x3 and 8x1 (those spill registers or load more per FMA): best or tied.
enum { VECTOR = 8, VECTORS_PER_BLOCK = 2, BLOCK = VECTOR * VECTORS_PER_BLOCK, GROUP = DIRECT_CONVOLUTION_CHANNEL_GROUP };

// Reads of the last block may run up to BLOCK - 1 floats past the last plane.
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

// acc[o][v] += w[c][tap][o] * in[c][position + tap shift + 8v] for one block of positions.
// `vectors` is a constant at every call site, so each instantiation is fully unrolled.
__attribute__((target("avx2,fma"), always_inline))
static inline void block(const float *padded, long plane, int in_channels, int padded_width,
                         const float *weights, float *tile, long tile_stride, const int vectors) {
    __m256 acc[GROUP][VECTORS_PER_BLOCK];
    for (int o = 0; o < GROUP; o++)
        for (int v = 0; v < VECTORS_PER_BLOCK; v++) acc[o][v] = _mm256_setzero_ps();
    for (int c = 0; c < in_channels; c++) {
        const float *channel = padded + c * plane;
        const float *w = weights + c * 9 * GROUP;
        for (int dy = 0; dy < 3; dy++) {
            for (int dx = 0; dx < 3; dx++) {
                const float *p = channel + dy * padded_width + dx;
                __m256 x[VECTORS_PER_BLOCK];
                for (int v = 0; v < vectors; v++) x[v] = _mm256_loadu_ps(p + v * VECTOR);
                for (int o = 0; o < GROUP; o++) {
                    __m256 wo = _mm256_broadcast_ss(w + o);
                    for (int v = 0; v < vectors; v++) acc[o][v] = _mm256_fmadd_ps(wo, x[v], acc[o][v]);
                }
                w += GROUP;
            }
        }
    }
    for (int o = 0; o < GROUP; o++)
        for (int v = 0; v < vectors; v++) _mm256_storeu_ps(tile + o * tile_stride + v * VECTOR, acc[o][v]);
}

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
        // Zero-bordered copy of image b.
        for (int c = 0; c < in_channels; c++) {
            const float *source = input + c * in_channel_stride + b * in_image_stride;
            float *target = padded + c * plane;
            memset(target, 0, padded_width * sizeof(float));
            for (int y = 0; y < height; y++) {
                float *row = target + (y + 1) * padded_width;
                row[0] = 0;
                memcpy(row + 1, source + y * width, width * sizeof(float));
                row[width + 1] = 0;
            }
            memset(target + (height + 1) * padded_width, 0, padded_width * sizeof(float));
        }
        for (int group = 0; group < out_channels / GROUP; group++) {
            const float *weights = packed_weight + (long)group * in_channels * 9 * GROUP;
            // Output position i of the run reads padded index i + dy * padded_width + dx.
            long i = 0;
            for (; i + BLOCK <= run; i += BLOCK)
                block(padded + i, plane, in_channels, padded_width, weights, tile + i, tile_stride, VECTORS_PER_BLOCK);
            // The rest one vector at a time (the run may end inside the last one).
            for (; i < run; i += VECTOR)
                block(padded + i, plane, in_channels, padded_width, weights, tile + i, tile_stride, 1);
            // The run's interior columns, through the epilogue, onto the output rows.
            for (int o = 0; o < GROUP; o++) {
                const int channel = group * GROUP + o;
                const float *sums = tile + o * tile_stride;
                const long offset = channel * out_channel_stride + b * out_image_stride;
                float *target = output + offset;
                if (!epilogue.bias) {
                    for (int y = 0; y < height; y++) {
                        const float *from = sums + (long)y * padded_width;
                        float *to = target + (long)y * width;
                        for (int x = 0; x < width; x++) to[x] += from[x];
                    }
                    continue;
                }
                const float bias = epilogue.bias[channel];
                const float *residual = epilogue.residual ? epilogue.residual + offset : 0;
                for (int y = 0; y < height; y++) {
                    const float *from = sums + (long)y * padded_width;
                    float *to = target + (long)y * width;
                    if (residual) {
                        const float *add = residual + (long)y * width;
                        for (int x = 0; x < width; x++) to[x] = from[x] + bias + add[x];
                    } else {
                        for (int x = 0; x < width; x++) to[x] = from[x] + bias;
                    }
                    if (epilogue.relu)
                        for (int x = 0; x < width; x++) to[x] = to[x] > 0 ? to[x] : 0;
                }
            }
        }
    }
}

#endif

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
