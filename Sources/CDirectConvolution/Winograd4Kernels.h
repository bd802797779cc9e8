#ifndef WINOGRAD4_KERNELS_H
#define WINOGRAD4_KERNELS_H

// Internal to this target: what Winograd4Convolution.c (the driver, 8-lane transforms) and
// Winograd4Convolution512.c (the AVX-512 element-wise stage, 16-lane transforms) share.

#include "DirectConvolution.h"

// A plane's tiles, chunks and padded images (measure4 in Winograd4Convolution.c).
typedef struct {
    int tile_rows, tile_columns;   // per image
    int chunk_rows;                // global tile rows per chunk
    int slots;                     // padded images in the ring (planes whose tile_columns are not a multiple of 4)
    int padded_rows, padded_width;
    long plane, image;             // floats per padded channel plane; per padded image (all channels)
    long tile_stride;              // floats per V or M row: a chunk's tiles rounded up to TILE_LANES
    long sums_row;                 // floats per row of the sums buffer (4 tile_columns)
} geometry4;

// Where the output transform puts one output channel's tiles (Winograd4Template.h).
typedef struct {
    float *to;                 // tile t's corner at to + corners[t]
    long row_stride;           // floats between a tile's rows
    int fused;                 // 0: the sums as they are; 1: through the epilogue (bias, residual, activation)
    const float *bias;         // fused: the epilogue's bias (0: add the sums onto the output)
    const float *residual;     // fused: the shortcut, at the same corners, or 0
    int channel, activation;   // fused: the bias's index and the activation code
} winograd4_destination;

#if defined(__x86_64__) || defined(__i386__)
void winograd4_products_avx512(const float *v, long v_xi_stride, long tile_stride, int in_channels,
                               const float *packed_filters, int out_channels, float *m, long m_xi_stride,
                               long tiles);
// The input and output transforms on 16 lanes (Winograd4Template.h; the same bits as the 8-lane ones).
void winograd4_transform_input512(const float *padded, int channels, const geometry4 *g, const long *offsets,
                                  long lanes, float *v, long xi_stride);
void winograd4_transform_input_direct512(const float *input, long channel_stride, int channels, int height,
                                         int width, const geometry4 *g, const long *offsets, const long *rows,
                                         long lanes, float *v, long xi_stride);
void winograd4_transform_output512(const float *m, long xi_stride, int o, const geometry4 *g, long tiles,
                                   const long *corners, int contiguous, const winograd4_destination *d);
#endif

#endif
