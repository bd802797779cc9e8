#ifndef LANDSCAPE_TRAINING_PASSES_H
#define LANDSCAPE_TRAINING_PASSES_H

// The training step's element-wise BatchNorm and activation passes on 256-bit vectors (AVX2),
// giving the same bits as the portable Swift loops in BatchNormTraining and TrainingForward /
// TrainingBackward: the same float32 operations in the same order per element (no contraction
// into FMAs), and the float64 sums in four lanes, lane j taking elements j, j + 4, ... in order,
// the lanes added 0 + 1 + 2 + 3, then the tail element by element.
//
// `slope` selects the activation: 0 for ReLU (x < 0 ? 0 : x, f'(x) = x > 0 ? 1 : 0), the leaky
// slope for LeakyReLU (x < 0 ? slope·x : x, f'(x) = x > 0 ? 1 : slope).

/// 1 when the CPU and OS run the AVX2 passes (read once).
int landscape_training_passes_available(void);

/// (Σ x, Σ x²) of each of `images` contiguous planes of `plane` floats into partials[b·stride], [b·stride + 1].
void landscape_plane_sums_and_squares(const float *x, long plane, long images, double *partials, long stride);

/// target[i] = f((z[i] − mean)·scale + shift (+ residual[i])), f ReLU or LeakyReLU; residual may be NULL.
void landscape_normalize_rectify(const float *z, long n, float mean, float scale, float shift,
                                 const float *residual, float slope, float *target);

/// Over `images` planes of `plane` floats each (contiguous): g[i] ← g[i]·f'(a[i]) in place, with f' read
/// from the output a = f(y) (ReLU / LeakyReLU), then per plane b the moments (Σ g, Σ g·z) into
/// partials[b·stride], partials[b·stride + 1].
void landscape_rectify_backward_moments(float *g, const float *a, const float *z, long plane, long images,
                                        float slope, double *partials, long stride);

/// g[i] ← kdy·g[i] + kz·(z[i] − mean) + k0 in place (BatchNorm's input gradient).
void landscape_batch_norm_input_gradient(float *g, const float *z, long n, float kdy, float kz, float mean, float k0);

/// Swish and Mish, `kind` LANDSCAPE_SMOOTH_SWISH or LANDSCAPE_SMOOTH_MISH: the operations of the Swift
/// kernels (FloatKernels, SIMDKernels: e^−|x| by Cody–Waite and a degree-6 polynomial, then the
/// sign's choices, each operation rounded, no contraction) on 8 lanes, the same bits element by element.
enum { LANDSCAPE_SMOOTH_SWISH = 1, LANDSCAPE_SMOOTH_MISH = 2 };

/// target[i] = f(source[i]); source and target may be the same memory.
void landscape_smooth_activation(const float *source, float *target, long n, int kind);

/// downstream[i] = upstream[i]·f'(x[i]); downstream may be upstream's memory.
void landscape_smooth_activation_backward(const float *x, const float *upstream, float *downstream, long n, int kind);

/// y[i] = (z[i] − mean)·scale + shift (+ residual[i]) and a[i] = f(y[i]) in one pass; residual may be NULL.
void landscape_normalize_smooth(const float *z, long n, float mean, float scale, float shift, const float *residual,
                                int kind, float *y, float *a);

/// Over `images` planes of `plane` floats each (contiguous): g[i] ← g[i]·f'(y[i]) in place, then per plane b
/// the moments (Σ g, Σ g·z) into partials[b·stride], partials[b·stride + 1].
void landscape_smooth_backward_moments(float *g, const float *y, const float *z, long plane, long images, int kind,
                                       double *partials, long stride);

#endif
