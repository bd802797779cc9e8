#ifndef WINOGRAD4_KERNELS_H
#define WINOGRAD4_KERNELS_H

// Internal to this target: what Winograd4Convolution.c (the driver, 8-lane transforms) and
// Winograd4Convolution512.c (the AVX-512 element-wise stage, 16-lane transforms) share.

#include "DirectConvolution.h"

// A plane's tiles, chunks and padded images (measure4 in Winograd4Convolution.c).
typedef struct {
    int height, width;             // the plane
    int whole;                     // 1: every 4x4 output tile inside the plane (height and width multiples of 4)
    int tile_rows, tile_columns;   // per image
    int contiguous;                // 1: tiles read straight from the input as 4-tile groups; 0: gathered from padded copies
    int lane_columns;              // tiles numbered per tile row: tile_columns, rounded up to a multiple of 4 when
                                   // contiguous (the tiles past tile_columns are computed, never stored)
    int chunk_rows;                // global tile rows per chunk
    int slots;                     // padded images in the ring (gathered planes)
    int padded_rows, padded_width;
    long plane, image;             // floats per padded channel plane; per padded image (all channels)
    long tile_stride;              // floats per V or M row: a chunk's lane_columns x chunk_rows rounded up to TILE_LANES
} geometry4;

// Where the output transform puts one output channel's tiles, through the epilogue (Winograd4Template.h).
typedef struct {
    float *to;                 // the output channel: tile t's corner at to + corners[t], rows g->width apart
    const float *bias;         // the epilogue's bias (0: add the sums onto the output)
    const float *residual;     // the shortcut, at the same corners, or 0
    int channel, activation;   // the bias's index and the activation code
} winograd4_destination;

#if defined(__x86_64__) || defined(__i386__)
void winograd4_products_avx512(const float *v, long v_xi_stride, long tile_stride, int in_channels,
                               const float *packed_filters, int out_channels, float *m, long m_xi_stride,
                               long tiles);
// The input and output transforms on 16 lanes (Winograd4Template.h; the same bits as the 8-lane ones).
void winograd4_transform_input512(const float *padded, int channels, const geometry4 *g, const long *offsets,
                                  long lanes, float *v, long xi_stride);
void winograd4_transform_input_direct512(const float *input, long channel_stride, int channels, const geometry4 *g,
                                         const long *offsets, const long *rows, const long *columns, long lanes,
                                         float *v, long xi_stride);
void winograd4_transform_output512(const float *m, long xi_stride, int o, const geometry4 *g, long tiles,
                                   const long *corners, const long *rows, const long *columns,
                                   const winograd4_destination *d);
#endif

#endif
