#ifndef DIRECT_CONVOLUTION_H
#define DIRECT_CONVOLUTION_H

// 3x3 / stride 1 / padding 1 convolutions for the inference forward pass
// (LandscapeEngine only), direct and Winograd F(2x2, 3x3). No im2col copy and
// no GEMM packing: each image is copied once into a zero-bordered scratch plane
// per channel, and a register kernel accumulates output channels x positions
// (or Winograd tiles) in registers: AVX2+FMA (4 channels x 16 positions) or
// AVX-512 (8 channels x up to 48), chosen at run time (convolution_isa). Both
// take every sum in the same order and give the same bits.

#ifdef __cplusplus
extern "C" {
#endif

/// 1 when this CPU can run the kernel (AVX2 and FMA), 0 otherwise.
int direct_convolution_available(void);

/// The instruction sets the kernels come in.
enum {
    CONVOLUTION_ISA_NONE = 0,     // neither: the engine convolves by im2col and BLAS
    CONVOLUTION_ISA_AVX2 = 1,     // AVX2 + FMA, XCR0 bits 1-2
    CONVOLUTION_ISA_AVX512 = 2,   // AVX-512 F/BW/DQ/VL besides, XCR0 bits 5-7 (opmask, ZMM state)
};

/// 1 when CPUID and XCR0 allow `isa`, 0 otherwise.
int convolution_isa_supported(int isa);

/// The ISA every entry point below runs: the best supported one unless `convolution_select_isa` chose another.
int convolution_isa(void);

/// Runs the kernels on `isa` from now on (AVX2 or AVX-512): 0, or -1 (nothing changed) when the CPU or
/// OS does not support it. Not while a convolution runs on another thread. CONVOLUTION_ISA_NONE tells the
/// engine to pack no weights for these kernels (it convolves by im2col); entry points called anyway run AVX2.
int convolution_select_isa(int isa);

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

/// Activations the epilogue applies. Swish and Mish: one e^x (a degree-5 polynomial in FMAs, 2^k by an
/// integer add) and one division each (ActivationTemplate.h), within 4 ulp of float64, the same bits on
/// either ISA.
enum {
    DIRECT_CONVOLUTION_IDENTITY = 0,
    DIRECT_CONVOLUTION_RELU = 1,
    DIRECT_CONVOLUTION_SWISH = 2,
    DIRECT_CONVOLUTION_MISH = 3,
};

/// data[i] = activation(data[i]) with the epilogue's arithmetic (the selected ISA; call only when available).
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
