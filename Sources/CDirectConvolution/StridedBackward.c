#include "StridedBackward.h"

#include <string.h>

#include "SharedKernels.h"
#include "StridedBackwardLayout.h"

// StridedBackward.h's kernels: the packing, the sizes, the AVX2 variants (StridedBackwardTemplate.h on 8
// lanes: one group of 4 channels x 2 vectors a register block; 2 output channels x 3 taps of 16-lane sums
// held as two 8-lane halves) and the entry points, which run the AVX-512 variants (StridedBackward512.c)
// when convolution_isa() chose them.

long stride2_input_gradient_packed_floats(int out_channels, int in_channels) { return 9L * out_channels * in_channels; }

// Phase p's filters, [C/4][O][taps][4] (the register block's reading order), at stride2_phase_start[p] * O * C.
void stride2_input_gradient_pack(const float *weight, int out_channels, int in_channels, float *packed) {
    for (int p = 0; p < 4; p++) {
        int row_taps[2], row_shifts[2], column_taps[2], column_shifts[2];
        const int rows = stride2_taps_of(p >> 1, row_taps, row_shifts);
        const int columns = stride2_taps_of(p & 1, column_taps, column_shifts);
        float *target = packed + (long)stride2_phase_start[p] * out_channels * in_channels;
        for (int group = 0; group < in_channels / GROUP; group++)
            for (int o = 0; o < out_channels; o++)
                for (int u = 0; u < rows; u++)
                    for (int v = 0; v < columns; v++)
                        for (int k = 0; k < GROUP; k++)
                            *target++ = weight[((long)o * in_channels + group * GROUP + k) * 9
                                               + row_taps[u] * 3 + column_taps[v]];
    }
}

long stride2_input_gradient_scratch_floats(int out_channels, int height, int width) {
    return stride2_input_scratch(out_channels, height, width);
}

long stride2_weight_gradient_scratch_floats(int in_channels, int out_channels, int height, int width) {
    return stride2_weight_scratch(in_channels, out_channels, height, width);
}

#if defined(__x86_64__) || defined(__i386__)

typedef struct { __m256 low, high; } p16x2;

__attribute__((target("avx2,fma"), always_inline)) static inline p16x2 p16x2_load(const float *p) {
    return (p16x2){_mm256_loadu_ps(p), _mm256_loadu_ps(p + 8)};
}
__attribute__((target("avx2,fma"), always_inline)) static inline void p16x2_store(float *p, p16x2 v) {
    _mm256_storeu_ps(p, v.low);
    _mm256_storeu_ps(p + 8, v.high);
}
__attribute__((target("avx2,fma"), always_inline)) static inline p16x2 p16x2_fma(p16x2 a, p16x2 b, p16x2 c) {
    return (p16x2){_mm256_fmadd_ps(a.low, b.low, c.low), _mm256_fmadd_ps(a.high, b.high, c.high)};
}

#define SB_NAME(name) name##_avx2
#define SB_ENTRY __attribute__((target("avx2,fma")))
#define SB_INLINE __attribute__((target("avx2,fma"), always_inline)) static inline
#define SB_PAIRS 0
#define SB_BLOCK_RUN(in, channel_stride, channels, offsets, weights, group_stride, tile, tile_stride, groups, \
                     remaining, taps) \
    (register_block(in, channel_stride, channels, 0, offsets, weights, group_stride, tile, tile_stride, groups, \
                    VECTORS_PER_BLOCK, taps), (long)BLOCK)
#define SB_P16 p16x2
#define SB_P16_LOAD p16x2_load
#define SB_P16_STORE p16x2_store
#define SB_P16_FMA p16x2_fma
#define SB_OUT_BLOCK 2
#define SB_MAX_TAPS 3
#include "StridedBackwardTemplate.h"

void stride2_input_gradient_avx512(const float *grad_output, long out_channel_stride, long out_image_stride,
                                   int out_channels, int image_count, int height, int width,
                                   const float *packed, int in_channels,
                                   float *grad_input, long in_channel_stride, long in_image_stride, float *scratch);
void stride2_weight_sums_avx512(const float *input, long in_channel_stride, long in_image_stride, int in_channels,
                                const float *grad_output, long out_channel_stride, long out_image_stride,
                                int out_channels, int image_count, int height, int width, float *scratch);
#endif

void stride2_input_gradient_3x3(const float *grad_output, long out_channel_stride, long out_image_stride,
                                int out_channels, int image_count, int height, int width,
                                const float *packed, int in_channels,
                                float *grad_input, long in_channel_stride, long in_image_stride, float *scratch) {
#if defined(__x86_64__) || defined(__i386__)
    if (convolution_isa() == CONVOLUTION_ISA_AVX512)
        stride2_input_gradient_avx512(grad_output, out_channel_stride, out_image_stride, out_channels, image_count,
                                      height, width, packed, in_channels, grad_input, in_channel_stride,
                                      in_image_stride, scratch);
    else
        stride2_input_gradient_avx2(grad_output, out_channel_stride, out_image_stride, out_channels, image_count,
                                    height, width, packed, in_channels, grad_input, in_channel_stride,
                                    in_image_stride, scratch);
#endif
}

// Sum of 16 partial sums in one fixed order: lanes k and k + 8, then k and k + 4, k and k + 2, the last two.
static float reduce16(const float *v) {
    float a[8];
    for (int k = 0; k < 8; k++) a[k] = v[k] + v[k + 8];
    for (int k = 0; k < 4; k++) a[k] = a[k] + a[k + 4];
    for (int k = 0; k < 2; k++) a[k] = a[k] + a[k + 2];
    return a[0] + a[1];
}

void stride2_weight_gradient_3x3(const float *input, long in_channel_stride, long in_image_stride, int in_channels,
                                 const float *grad_output, long out_channel_stride, long out_image_stride,
                                 int out_channels, int image_count, int height, int width,
                                 float *grad_weight, float *scratch) {
#if defined(__x86_64__) || defined(__i386__)
    if (convolution_isa() == CONVOLUTION_ISA_AVX512)
        stride2_weight_sums_avx512(input, in_channel_stride, in_image_stride, in_channels, grad_output,
                                   out_channel_stride, out_image_stride, out_channels, image_count, height, width,
                                   scratch);
    else
        stride2_weight_sums_avx2(input, in_channel_stride, in_image_stride, in_channels, grad_output,
                                 out_channel_stride, out_image_stride, out_channels, image_count, height, width,
                                 scratch);
    const long count = 9L * out_channels * in_channels;
    for (long i = 0; i < count; i++) grad_weight[i] += reduce16(scratch + i * STRIDE2_LANES);
#endif
}
