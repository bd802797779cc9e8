#ifndef WINOGRAD4_KERNELS_H
#define WINOGRAD4_KERNELS_H

// Internal to this target: the AVX-512 element-wise stage of Winograd F(4x4, 3x3)
// (Winograd4Convolution512.c), called by Winograd4Convolution.c.

#if defined(__x86_64__) || defined(__i386__)
void winograd4_products_avx512(const float *v, long v_xi_stride, long tile_stride, int in_channels,
                               const float *packed_filters, int out_channels, float *m, long m_xi_stride,
                               long tiles);
// The input and output transforms on 16 lanes (the same bits as Winograd4Convolution.c's 8-lane ones).
void winograd4_transform_input_avx512(const float *padded, int channels, long plane, long padded_width,
                                      long tile_stride, const long *offsets, long lanes, float *v);
void winograd4_transform_output_avx512(const float *m, long xi_stride, int o, long tile_stride, long sums_row,
                                       long tiles, const long *corners, float *sums);
#endif

#endif
