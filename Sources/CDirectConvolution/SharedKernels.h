#ifndef SHARED_KERNELS_H
#define SHARED_KERNELS_H

// What the direct and Winograd convolutions share (internal to this target).

#include <immintrin.h>
#include <string.h>

#include "DirectConvolution.h"

// 4 channels x 2 vectors = 8 accumulators, 2 input vectors and 1 broadcast in registers. Measured
// on Zen 3 against 2x4, 2x5, 2x6, 4x3 and 8x1 (those spill registers or load more per FMA): best or tied.
enum { VECTOR = 8, VECTORS_PER_BLOCK = 2, BLOCK = VECTOR * VECTORS_PER_BLOCK, GROUP = DIRECT_CONVOLUTION_CHANNEL_GROUP };

#if defined(__x86_64__) || defined(__i386__)

// tile[o][8v + k] = sum over c and taps of w[c][tap][o] * in[c * channel_stride + shift(tap) + 8v + k],
// o < GROUP, v < vectors: with 9 taps, shift(dy * 3 + dx) = dy * row_stride + dx (a 3x3 convolution
// on a zero-bordered plane); with 1 tap, shift = 0 (a matrix product, Winograd's element-wise stage).
// `vectors` and `taps` are constants at every call site, so each instantiation is fully unrolled.
__attribute__((target("avx2,fma"), always_inline))
static inline void register_block(const float *in, long channel_stride, int in_channels, int row_stride,
                                  const float *weights, float *tile, long tile_stride, const int vectors,
                                  const int taps) {
    __m256 acc[GROUP][VECTORS_PER_BLOCK];
    for (int o = 0; o < GROUP; o++)
        for (int v = 0; v < VECTORS_PER_BLOCK; v++) acc[o][v] = _mm256_setzero_ps();
    const float *w = weights;
    for (int c = 0; c < in_channels; c++) {
        const float *channel = in + c * channel_stride;
        for (int tap = 0; tap < taps; tap++) {
            const float *p = taps == 1 ? channel : channel + (tap / 3) * row_stride + tap % 3;
            __m256 x[VECTORS_PER_BLOCK];
            for (int v = 0; v < vectors; v++) x[v] = _mm256_loadu_ps(p + v * VECTOR);
            for (int o = 0; o < GROUP; o++) {
                __m256 wo = _mm256_broadcast_ss(w + o);
                for (int v = 0; v < vectors; v++) acc[o][v] = _mm256_fmadd_ps(wo, x[v], acc[o][v]);
            }
            w += GROUP;
        }
    }
    for (int o = 0; o < GROUP; o++)
        for (int v = 0; v < vectors; v++) _mm256_storeu_ps(tile + o * tile_stride + v * VECTOR, acc[o][v]);
}

// Image planes copied into zero-bordered planes of padded_rows x padded_width: image row y goes to
// padded row y + 1 from column 1; everything else is zero.
__attribute__((target("avx2,fma")))
static inline void pad_image(const float *image, long channel_stride, int channels, int height, int width,
                             float *padded, int padded_rows, int padded_width) {
    const long plane = (long)padded_rows * padded_width;
    for (int c = 0; c < channels; c++) {
        const float *source = image + c * channel_stride;
        float *target = padded + c * plane;
        memset(target, 0, padded_width * sizeof(float));
        for (int y = 0; y < height; y++) {
            float *row = target + (long)(y + 1) * padded_width;
            const float *from = source + (long)y * width;
            row[0] = 0;
            // A plain loop, not memcpy: rows are 7 to 32 floats, where the call costs more than the copy.
            for (int x = 0; x < width; x++) row[x + 1] = from[x];
            for (int x = width + 1; x < padded_width; x++) row[x] = 0;
        }
        memset(target + (long)(height + 1) * padded_width, 0,
               (long)(padded_rows - height - 1) * padded_width * sizeof(float));
    }
}

// One output row through the epilogue: += sums (no bias), or = sums + bias (+ residual) (then ReLU).
__attribute__((target("avx2,fma"), always_inline))
static inline void epilogue_row(float *to, const float *sums, int count, const direct_convolution_epilogue *epilogue,
                                int channel, const float *residual_row) {
    if (!epilogue->bias) {
        for (int x = 0; x < count; x++) to[x] += sums[x];
        return;
    }
    // One pass, the variants split outside the loop. max(0, v) returns v when v is NaN (NaN propagates
    // as in torch.relu and the Swift ReLU, x < 0 ? 0 : x).
    const float bias = epilogue->bias[channel];
    const __m256 zero = _mm256_setzero_ps(), bias8 = _mm256_set1_ps(bias);
    int x = 0;
    if (residual_row && epilogue->relu) {
        for (; x + 8 <= count; x += 8)
            _mm256_storeu_ps(to + x, _mm256_max_ps(zero, _mm256_add_ps(_mm256_add_ps(_mm256_loadu_ps(sums + x), bias8),
                                                                       _mm256_loadu_ps(residual_row + x))));
    } else if (epilogue->relu) {
        for (; x + 8 <= count; x += 8)
            _mm256_storeu_ps(to + x, _mm256_max_ps(zero, _mm256_add_ps(_mm256_loadu_ps(sums + x), bias8)));
    } else if (residual_row) {
        for (; x + 8 <= count; x += 8)
            _mm256_storeu_ps(to + x, _mm256_add_ps(_mm256_add_ps(_mm256_loadu_ps(sums + x), bias8),
                                                   _mm256_loadu_ps(residual_row + x)));
    } else {
        for (; x + 8 <= count; x += 8) _mm256_storeu_ps(to + x, _mm256_add_ps(_mm256_loadu_ps(sums + x), bias8));
    }
    for (; x < count; x++) {
        float value = sums[x] + bias + (residual_row ? residual_row[x] : 0);
        to[x] = epilogue->relu && value < 0 ? 0 : value;   // NaN passes, as torch.relu and the Swift ReLU
    }
}

#endif

#endif
