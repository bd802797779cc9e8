#ifndef STRIDED_BACKWARD_H
#define STRIDED_BACKWARD_H

// The backward pass of a 3x3 / stride 2 / padding 1 convolution for training (LandscapeEngine's
// TrainingKernels), on the register kernels instead of im2col + GEMM + col2im. The forward convolution is
//   z[o][b](y, x) = sum over c, dy, dx of w[o][c][dy][dx] * x[c][b](2y + dy - 1, 2x + dx - 1)
// (zero outside), input height x width, output ((height + 1) / 2) x ((width + 1) / 2).
//
// Input gradient (a transposed stride-2 convolution) by phases: input row 2i takes tap row dy = 1 from
// output row i; row 2i + 1 takes dy = 0 from row i + 1 and dy = 2 from row i (columns alike). So each of
// the four phase planes of dx (row parity a, column parity b) is a stride-1 convolution of the output
// gradient (one zero row and column appended) with 1, 2, 2 or 4 taps at offsets 0, 1, row, row + 1: the
// forward kernels' register block runs on it unchanged; the phases are interleaved back onto dx.
//
// Weight gradient: a chunk of images is split into the forward kernel's phase planes (stacked image under
// image, one stack per phase) and the output gradient into planes of the same row length; tap (dy, dx) is
// then one fixed offset, and dw[o][c][tap] is a dot product over the chunk's positions, kept in 16-lane
// partial sums across chunks and reduced once at the end.
//
// AVX2 + FMA or AVX-512 (convolution_isa()); both take every sum in the same order and give the same bits.

#ifdef __cplusplus
extern "C" {
#endif

/// In and out channel counts must be multiples of this.
enum { STRIDE2_BACKWARD_CHANNEL_GROUP = 4 };

/// Floats of `stride2_input_gradient_pack`'s output: 9 * out_channels * in_channels.
long stride2_input_gradient_packed_floats(int out_channels, int in_channels);

/// The phase filters of the input gradient from weights w[O][C][3][3] (PyTorch's OIHW, not flipped).
void stride2_input_gradient_pack(const float *weight, int out_channels, int in_channels, float *packed);

/// Scratch floats `stride2_input_gradient_3x3` needs for input planes of height x width.
long stride2_input_gradient_scratch_floats(int out_channels, int height, int width);

/// grad_input[c][b](r, s) += sum over o, dy, dx with r = 2y + dy - 1, s = 2x + dx - 1 of
/// w[o][c][dy][dx] * grad_output[o][b](y, x), for b < image_count and the input plane height x width.
/// grad_output: O planes of the output size at grad_output + o * out_channel_stride + b * out_image_stride;
/// grad_input: C planes at grad_input + c * in_channel_stride + b * in_image_stride.
void stride2_input_gradient_3x3(const float *grad_output, long out_channel_stride, long out_image_stride,
                                int out_channels, int image_count, int height, int width,
                                const float *packed, int in_channels,
                                float *grad_input, long in_channel_stride, long in_image_stride, float *scratch);

/// Scratch floats `stride2_weight_gradient_3x3` needs.
long stride2_weight_gradient_scratch_floats(int in_channels, int out_channels, int height, int width);

/// grad_weight[o][c][dy][dx] += sum over b < image_count, y, x of
/// grad_output[o][b](y, x) * input[c][b](2y + dy - 1, 2x + dx - 1) (zero outside); input planes height x width.
/// The sums depend only on the images, their order and the geometry (chunks of a fixed size).
void stride2_weight_gradient_3x3(const float *input, long in_channel_stride, long in_image_stride, int in_channels,
                                 const float *grad_output, long out_channel_stride, long out_image_stride,
                                 int out_channels, int image_count, int height, int width,
                                 float *grad_weight, float *scratch);

#ifdef __cplusplus
}
#endif

#endif
