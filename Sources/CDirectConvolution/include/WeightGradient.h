#ifndef WEIGHT_GRADIENT_H
#define WEIGHT_GRADIENT_H

// The weight gradient of a 3x3 / stride 1 / padding 1 convolution for training (LandscapeEngine's
// TrainingKernels), without an unfolded copy or a GEMM:
//   grad_weight[o][c][dy][dx] += sum over b, y, x of grad_output[o][b](y, x) * input[c][b](y + dy - 1, x + dx - 1)
// (zero outside the image). A chunk of images is copied once into zero-bordered planes of the
// forward kernels' shape ((height + 2) x (width + 1): one zero column borders both sides of a row),
// stacked image under image, and the output gradient into planes of the same row length, so every
// tap is one run of vector loads at a fixed offset over the whole chunk. AVX2 + FMA; 16 positions
// per step in two 8-lane halves, reduced in one fixed order, so the sums do not depend on anything
// but the images and their order.

#ifdef __cplusplus
extern "C" {
#endif

/// Output channels are taken in pairs: out_channels must be even.
enum { WEIGHT_GRADIENT_CHANNEL_GROUP = 2 };

/// Scratch floats `convolution_weight_gradient_3x3` needs for these planes.
long convolution_weight_gradient_scratch_floats(int in_channels, int out_channels, int height, int width);

/// Adds the weight gradient of `image_count` images onto grad_weight[O][C][3][3] (PyTorch's OIHW).
/// input: C planes of height x width at input + c * in_channel_stride + b * in_image_stride;
/// grad_output: O planes of the same size at grad_output + o * out_channel_stride + b * out_image_stride.
/// The images are taken in chunks of a fixed size for the geometry (in order); each chunk's sums are
/// added onto grad_weight. Call only when the register kernels are available (AVX2 and FMA).
void convolution_weight_gradient_3x3(const float *input, long in_channel_stride, long in_image_stride,
                                     int in_channels, const float *grad_output, long out_channel_stride,
                                     long out_image_stride, int out_channels, int image_count, int height, int width,
                                     float *grad_weight, float *scratch);

#ifdef __cplusplus
}
#endif

#endif
