#ifndef WINOGRAD4_CONVOLUTION_H
#define WINOGRAD4_CONVOLUTION_H

#include "DirectConvolution.h"

// Winograd F(4x4, 3x3) (Lavin & Gray 2016): the convolution and epilogue of `direct_convolution_3x3`
// (stride 1, padding 1; CNHW planes; bias, residual, activation codes) with 36 multiplies per
// (input, output) channel pair and 4x4 output tile instead of 144: 4x fewer than direct, 1.78x fewer
// than F(2x2, 3x3), with larger transforms and rounding errors (the transform constants reach 8 and
// 1/24). AVX2+FMA or AVX-512 (the element-wise stage and the epilogue) as `convolution_isa()` selects.

#ifdef __cplusplus
extern "C" {
#endif

/// Scratch floats `winograd4_convolution_3x3` needs for planes of height x width (any image count).
long winograd4_convolution_scratch_floats(int in_channels, int out_channels, int height, int width);

/// Floats `winograd4_convolution_pack_filters` writes: 36 x out_channels x in_channels.
long winograd4_convolution_packed_floats(int out_channels, int in_channels);

/// U = G g G^T of a [O][C][3][3] filter bank, computed in float64 and rounded once, in the kernel's
/// order [O/4][36][C][4]. out_channels must be a multiple of DIRECT_CONVOLUTION_CHANNEL_GROUP.
void winograd4_convolution_pack_filters(const float *weight, int out_channels, int in_channels, float *packed);

/// The convolution of `direct_convolution_3x3` by F(4x4, 3x3); filters from
/// `winograd4_convolution_pack_filters`. Results do not depend on the image count.
void winograd4_convolution_3x3(const float *input, long in_channel_stride, long in_image_stride,
                               int in_channels, int image_count, int height, int width,
                               const float *packed_filters, int out_channels,
                               float *output, long out_channel_stride, long out_image_stride,
                               direct_convolution_epilogue epilogue, float *scratch);

#ifdef __cplusplus
}
#endif

#endif
