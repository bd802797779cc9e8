#ifndef WINOGRAD_WEIGHT_GRADIENT_H
#define WINOGRAD_WEIGHT_GRADIENT_H

// The weight gradient of a 3x3 / stride 1 / padding 1 convolution by Winograd F(2x2, 3x3), for
// training (LandscapeEngine's TrainingKernels). The forward pass of one 2x2 output tile is
//   Y = A^T [ U ⊙ V ] A,   U = G g G^T (4x4, the filter g's transform),  V = B^T d B (d: 4x4 input tile)
// summed over input channels. Its adjoint, with dY the tile's 2x2 output gradient:
//   dM = A dY A^T  (4x4),   dU[o][c] = Σ_tiles dM[o] ⊙ V[c],   dg[o][c] = G^T dU[o][c] G  (3x3)
// with B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1], G = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1],
// A^T = [1 1 1 0; 0 1 -1 -1]. So for each of the 16 points ξ, dU[ξ] (O x C) is one GEMM of
// dM[ξ] (O x tiles) by V[ξ]^T (tiles x C): 16·O·C multiplies per tile where im2col + GEMM does
// 36·O·C per tile (4 positions x 9C), and no unfolded copy. Tiles past an odd plane's edge read
// zeros and carry a zero output gradient, so they add nothing.
//
// A chunk of images is transformed into rows of tiles, then dU += the 16 products (by the
// register kernel `winograd_weight_gradient_accumulate`), chunk by chunk; G^T dU G at the end.

#ifdef __cplusplus
extern "C" {
#endif

/// Images per chunk for this geometry (fixed by the geometry alone), so a chunk's transformed
/// tiles (16·(C + O) floats per tile) take about `target_floats`.
int winograd_weight_gradient_chunk_images(int in_channels, int out_channels, int height, int width, long target_floats);

/// Tiles of one image: ceil(height / 2) x ceil(width / 2).
int winograd_weight_gradient_tiles(int height, int width);

/// Floats per row of transformed tiles of `image_count` images: their tile count rounded up to 8.
long winograd_weight_gradient_row_floats(int image_count, int height, int width);

/// Scratch floats `winograd_weight_gradient_transform` needs besides its outputs (one zero-padded
/// plane and the 8 half planes of its two passes, all small enough for L1 on the planes met).
long winograd_weight_gradient_transform_scratch_floats(int height, int width);

/// Transforms `image_count` images (rows of T = `winograd_weight_gradient_row_floats` floats, tile
/// t = image · tiles + ty · tiles_x + tx, zeros past the last tile):
///   v[(c·16 + ξ)·T + t] = (B^T d B)[ξ] of input channel c's tile t (input: c·in_channel_stride + b·in_image_stride),
///   m[(o·16 + ξ)·T + t] = (A dY A^T)[ξ] of output-gradient channel o's tile t (likewise with the out strides).
/// `scratch` holds `winograd_weight_gradient_transform_scratch_floats`.
void winograd_weight_gradient_transform(const float *input, long in_channel_stride, long in_image_stride, int in_channels,
                                        const float *grad_output, long out_channel_stride, long out_image_stride,
                                        int out_channels, int image_count, int height, int width,
                                        float *v, float *m, float *scratch);

/// du[(ξ·O + o)·C + c] += Σ_t m[(o·16 + ξ)·T + t] · v[(c·16 + ξ)·T + t], T = row_floats (a multiple of 8):
/// AVX2 + FMA where available, 8 partial sums per (ξ, o, c) reduced in a fixed order.
void winograd_weight_gradient_accumulate(const float *m, const float *v, int out_channels, int in_channels,
                                         long row_floats, float *du);

/// grad_weight[o][c][3][3] += G^T dU[o][c] G, dU[o][c][ξ] = du[(ξ·O + o)·C + c], in float64, rounded once.
void winograd_weight_gradient_finish(const float *du, int out_channels, int in_channels, float *grad_weight);

#ifdef __cplusplus
}
#endif

#endif
