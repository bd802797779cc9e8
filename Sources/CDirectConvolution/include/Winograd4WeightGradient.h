#ifndef WINOGRAD4_WEIGHT_GRADIENT_H
#define WINOGRAD4_WEIGHT_GRADIENT_H

// The weight gradient of a 3x3 / stride 1 / padding 1 convolution by Winograd F(4x4, 3x3), for
// training (LandscapeEngine's TrainingKernels), the F(2x2) path's (WinogradWeightGradient.h) bigger
// sibling. The forward pass of one 4x4 output tile is
//   Y = A^T [ U ⊙ V ] A,   U = G g G^T (6x6),   V = B^T d B (d: the 6x6 input window at stride 4)
// with Winograd4Convolution.c's B^T, G and A^T (points 0, 1, -1, 2, -2, infinity). Its adjoint, dY the
// tile's 4x4 output gradient:
//   dM = A dY A^T  (6x6),   dU[o][c] = Σ_tiles dM[o] ⊙ V[c],   dg[o][c] = G^T dU[o][c] G  (3x3)
// So for each of the 36 points ξ = 6i + j, dU[ξ] (O x C) is one product of dM[ξ] (O x tiles) by
// V[ξ]^T (tiles x C): 36·O·C multiplies per 16 outputs where F(2x2) takes 64 (16 per 4) and
// im2col + GEMM 144. Tiles past a ragged plane's edge read zeros and carry a zero output gradient,
// so they add nothing.
//
// A chunk of images is transformed into rows of tiles, then dU += the 36 products (the register
// kernel F(2x2) uses, WeightGradientShared.h), chunk by chunk; G^T dU G at the end, in float64.
// The transforms only add, subtract and scale by powers of two: the same bits on every ISA.

#ifdef __cplusplus
extern "C" {
#endif

/// Images per chunk for this geometry (fixed by the geometry alone), so a chunk's transformed
/// tiles (36·(C + O) floats per tile) take about `target_floats`.
int winograd4_weight_gradient_chunk_images(int in_channels, int out_channels, int height, int width, long target_floats);

/// Tiles of one image: ceil(height / 4) x ceil(width / 4).
int winograd4_weight_gradient_tiles(int height, int width);

/// Floats per row of transformed tiles of `image_count` images: their tile count rounded up to 8.
long winograd4_weight_gradient_row_floats(int image_count, int height, int width);

/// Scratch floats `winograd4_weight_gradient_transform` needs besides its outputs (one zero-bordered
/// plane, the 24 row-class planes of its horizontal pass and a table of tile offsets).
long winograd4_weight_gradient_transform_scratch_floats(int height, int width);

/// Transforms `image_count` images (rows of T = `winograd4_weight_gradient_row_floats` floats, tile
/// t = image · tiles + ty · tiles_x + tx, zeros past the last tile):
///   v[(c·36 + ξ)·T + t] = (B^T d B)[ξ] of input channel c's tile t (input: c·in_channel_stride + b·in_image_stride),
///   m[(o·36 + ξ)·T + t] = (A dY A^T)[ξ] of output-gradient channel o's tile t (likewise with the out strides).
/// `scratch` holds `winograd4_weight_gradient_transform_scratch_floats`.
void winograd4_weight_gradient_transform(const float *input, long in_channel_stride, long in_image_stride, int in_channels,
                                         const float *grad_output, long out_channel_stride, long out_image_stride,
                                         int out_channels, int image_count, int height, int width,
                                         float *v, float *m, float *scratch);

/// du[(ξ·O + o)·C + c] += Σ_t m[(o·36 + ξ)·T + t] · v[(c·36 + ξ)·T + t], T = row_floats (a multiple of 8):
/// the F(2x2) path's register kernel (AVX2 4x3 / AVX-512VL 4x6 blocks, the same bits on both), portable elsewhere.
void winograd4_weight_gradient_accumulate(const float *m, const float *v, int out_channels, int in_channels,
                                          long row_floats, float *du);

/// grad_weight[o][c][3][3] += G^T dU[o][c] G, dU[o][c][ξ] = du[(ξ·O + o)·C + c], in float64, rounded once.
void winograd4_weight_gradient_finish(const float *du, int out_channels, int in_channels, float *grad_weight);

#ifdef __cplusplus
}
#endif

#endif
