#ifndef KERNEL_VARIANTS_H
#define KERNEL_VARIANTS_H

// The ISA variants behind the public entry points of DirectConvolution.h (internal to this target).
// Each runs only when convolution_isa() chose its ISA.

#include "SharedKernels.h"

#if defined(__x86_64__) || defined(__i386__)
void direct_convolution_3x3_avx512(CONVOLUTION_PARAMETERS);
void direct_convolution_3x3_stride2_avx512(CONVOLUTION_PARAMETERS);
void direct_convolution_activate_avx512(float *data, long count, int activation);
void winograd_products_avx512(const float *v, long v_xi_stride, long tile_stride, int in_channels,
                              const float *packed_filters, int out_channels, float *m, long m_xi_stride, long tiles);
#endif

// The public entry point `name`: the AVX-512 variant when that ISA is selected, else the AVX2 one.
#if defined(__x86_64__) || defined(__i386__)
#define CONVOLUTION_DISPATCH(name, avx2, avx512) \
    void name(CONVOLUTION_PARAMETERS) { \
        if (convolution_isa() == CONVOLUTION_ISA_AVX512) \
            avx512(input, in_channel_stride, in_image_stride, in_channels, image_count, height, width, \
                   packed_weight, out_channels, output, out_channel_stride, out_image_stride, epilogue, scratch); \
        else \
            avx2(input, in_channel_stride, in_image_stride, in_channels, image_count, height, width, \
                 packed_weight, out_channels, output, out_channel_stride, out_image_stride, epilogue, scratch); \
    }
#else
#define CONVOLUTION_DISPATCH(name, avx2, avx512) void name(CONVOLUTION_PARAMETERS) {}
#endif

#endif
