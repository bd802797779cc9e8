#ifndef DIRECT_CONVOLUTION_H
#define DIRECT_CONVOLUTION_H

// 3x3 / stride 1 / padding 1 convolutions for the inference forward pass
// (LandscapeEngine only), direct and Winograd F(2x2, 3x3). No im2col copy and
// no GEMM packing: each image is copied once into a zero-bordered scratch plane
// per channel, and an AVX2+FMA kernel accumulates 4 output channels x 16
// positions (or Winograd tiles) in registers.

#ifdef __cplusplus
extern "C" {
#endif

/// 1 when this CPU can run the kernel (AVX2 and FMA), 0 otherwise.
int direct_convolution_available(void);

/// Output channels are computed in groups of this many.
enum { DIRECT_CONVOLUTION_CHANNEL_GROUP = 4 };

/// Reorders weights W[O][C][3][3] into [O/4][C][9][4] (the kernel's reading order).
/// out_channels must be a multiple of DIRECT_CONVOLUTION_CHANNEL_GROUP.
void direct_convolution_pack_weights(const float *weight, int out_channels, int in_channels, float *packed);

/// Scratch floats `direct_convolution_3x3` needs for planes of height x width.
long direct_convolution_scratch_floats(int in_channels, int out_channels, int height, int width);

/// What happens to the convolution sums s[o][b][y][x] on the way to `output`.
typedef struct {
    /// NULL: output += s (the caller seeded it). Otherwise output = s + bias[o] (+ residual) (then ReLU).
    const float *bias;
    /// Added with the bias when not NULL; laid out like the output.
    const float *residual;
    /// A DIRECT_CONVOLUTION_* activation applied after the bias and residual (only with a bias).
    int activation;
} direct_convolution_epilogue;

/// Activations the epilogue applies. Swish and Mish use the arithmetic of the engine's Swift
/// kernels (FloatKernels: the same exp polynomial and operation order), 8 lanes at a time, so
/// they give the same bits.
enum {
    DIRECT_CONVOLUTION_IDENTITY = 0,
    DIRECT_CONVOLUTION_RELU = 1,
    DIRECT_CONVOLUTION_SWISH = 2,
    DIRECT_CONVOLUTION_MISH = 3,
};

/// data[i] = activation(data[i]) with the epilogue's arithmetic (AVX2; call only when available).
void direct_convolution_activate(float *data, long count, int activation);

/// Sums s[o][b][y][x] = sum over c, dy, dx of
/// w[o][c][dy][dx] * input[c*in_channel_stride + b*in_image_stride + (y+dy-1)*width + (x+dx-1)]
/// (zero outside the image), for b < image_count, written through `epilogue` to
/// output[o*out_channel_stride + b*out_image_stride + y*width + x]. Each sum is taken in the same order
/// (c, then dy, then dx) whatever the image count or position, so results do not depend on batching.
void direct_convolution_3x3(const float *input, long in_channel_stride, long in_image_stride,
                            int in_channels, int image_count, int height, int width,
                            const float *packed_weight, int out_channels,
                            float *output, long out_channel_stride, long out_image_stride,
                            direct_convolution_epilogue epilogue, float *scratch);

/// Scratch floats `direct_convolution_3x3_stride2` needs for input planes of height x width.
long direct_convolution_stride2_scratch_floats(int in_channels, int height, int width);

/// The stride-2 form (output ((height + 1) / 2) x ((width + 1) / 2), out_image_stride its plane size):
/// output(y, x) sums w[o][c][dy][dx] * input(2y + dy - 1, 2x + dx - 1), zero outside, through the epilogue.
/// Weights packed by `direct_convolution_pack_weights`.
void direct_convolution_3x3_stride2(const float *input, long in_channel_stride, long in_image_stride,
                                    int in_channels, int image_count, int height, int width,
                                    const float *packed_weight, int out_channels,
                                    float *output, long out_channel_stride, long out_image_stride,
                                    direct_convolution_epilogue epilogue, float *scratch);

/// Scratch floats `winograd_convolution_3x3` needs for planes of height x width.
long winograd_convolution_scratch_floats(int in_channels, int out_channels, int height, int width);

/// Winograd-domain filters U = G g G^T of a [O][C][3][3] filter bank, computed in float64 and
/// rounded once, in the kernel's order [O/4][16][C][4]. G = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1].
void winograd_convolution_pack_filters(const float *weight, int out_channels, int in_channels, float *packed);

/// The same convolution and epilogue as `direct_convolution_3x3`, by Winograd F(2x2, 3x3):
/// 2.25x fewer multiplies, with transform additions and a different rounding (the sums are
/// taken in the transformed domain). Results do not depend on the image count either.
void winograd_convolution_3x3(const float *input, long in_channel_stride, long in_image_stride,
                              int in_channels, int image_count, int height, int width,
                              const float *packed_filters, int out_channels,
                              float *output, long out_channel_stride, long out_image_stride,
                              direct_convolution_epilogue epilogue, float *scratch);

#ifdef __cplusplus
}
#endif

#endif
