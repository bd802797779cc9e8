#include "DirectConvolution.h"

#include <immintrin.h>
#include <string.h>

#include "Avx512Kernels.h"
#include "KernelVariants.h"

// The direct kernels of DirectConvolution.c on AVX-512: the same zero-bordered planes, runs, tiles and
// scratch layout; blocks of 8 output channels (two packed groups of 4) x up to 48 positions.

#if defined(__x86_64__) || defined(__i386__)

enum { GUARD512 = 32, CHUNK512 = 96 };

// Channel groups in pairs (8 output channels a block), the last one alone when the count is odd.
#define FOR_CHANNEL_BLOCKS(groups, group, pair) \
    for (int group = 0, pair = 0; group < (groups); group += pair ? 2 : 1) \
        if ((pair = group + 2 <= (groups)), 1)

AVX512 void direct_convolution_3x3_avx512(CONVOLUTION_PARAMETERS) {
    const int padded_width = width + 1;
    const long plane = (long)(height + 2) * padded_width;
    const long run = (long)(height - 1) * padded_width + width;
    const long tile_stride = round_up(run, BLOCK);
    float *padded = scratch;
    float *tile = scratch + in_channels * plane + GUARD512;
    memset(padded + in_channels * plane, 0, GUARD512 * sizeof(float));
    const int groups = out_channels / GROUP;
    const long group_stride = (long)in_channels * 9 * GROUP;
    for (int b = 0; b < image_count; b++) {
        pad_image(input + b * in_image_stride, in_channel_stride, in_channels, height, width,
                  padded, height + 2, padded_width);
        for (long start = 0; start < run; start += CHUNK512) {
            const long end = start + CHUNK512 < run ? start + CHUNK512 : run;
            FOR_CHANNEL_BLOCKS(groups, group, pair) {
                const float *weights = packed_weight + group * group_stride;
                float *out = tile + (long)group * GROUP * tile_stride;
                if (pair)
                    for (long i = start; i < end;)
                        i += block_run512(padded + i, plane, in_channels, padded_width, 0, weights, group_stride,
                                          out + i, tile_stride, 2, end - i, 9);
                else
                    for (long i = start; i < end;)
                        i += block_run512(padded + i, plane, in_channels, padded_width, 0, weights, group_stride,
                                          out + i, tile_stride, 1, end - i, 9);
            }
        }
        for (int channel = 0; channel < out_channels; channel++) {
            const long offset = channel * out_channel_stride + b * out_image_stride;
            epilogue_plane512(output + offset, tile + channel * tile_stride, padded_width, height, width, &epilogue,
                              channel, epilogue.residual ? epilogue.residual + offset : 0);
        }
    }
}

// Stride 2 by the four phase planes of DirectConvolution.c (stride2_avx2 uses dense planes); its tile holds 8
// channels here.
AVX512 void direct_convolution_3x3_stride2_avx512(CONVOLUTION_PARAMETERS) {
    const phase_layout l = measure_phases(height, width);
    float *phases = scratch;
    float *tile = scratch + in_channels * l.plane + GUARD512;
    memset(phases + in_channels * l.plane, 0, GUARD512 * sizeof(float));
    long offsets[9];
    phase_tap_offsets(offsets, l.phase, l.phase_width);
    const int groups = out_channels / GROUP;
    const long group_stride = (long)in_channels * 9 * GROUP;
    for (int b = 0; b < image_count; b++) {
        for (int c = 0; c < in_channels; c++)
            split_phases(input + c * in_channel_stride + b * in_image_stride, height, width, l.out_height, l.phase_width,
                         l.phase, phases + c * l.plane);
        FOR_CHANNEL_BLOCKS(groups, group, pair) {
            const float *weights = packed_weight + group * group_stride;
            if (pair)
                for (long i = 0; i < l.run;)
                    i += block_run512(phases + i, l.plane, in_channels, 0, offsets, weights, group_stride, tile + i,
                                      l.tile_stride, 2, l.run - i, 9);
            else
                for (long i = 0; i < l.run;)
                    i += block_run512(phases + i, l.plane, in_channels, 0, offsets, weights, group_stride, tile + i,
                                      l.tile_stride, 1, l.run - i, 9);
            for (int o = 0; o < (pair ? 2 : 1) * GROUP; o++) {
                const int channel = group * GROUP + o;
                const long offset = channel * out_channel_stride + b * out_image_stride;
                epilogue_plane512(output + offset, tile + o * l.tile_stride, l.phase_width, l.out_height, l.out_width, &epilogue,
                                  channel, epilogue.residual ? epilogue.residual + offset : 0);
            }
        }
    }
}

AVX512 void direct_convolution_activate_avx512(float *data, long count, int activation) {
    long i = 0;
    for (; i + VECTOR512 <= count; i += VECTOR512)
        _mm512_storeu_ps(data + i, activate512(_mm512_loadu_ps(data + i), activation));
    if (i < count) {
        const __mmask16 tail = (__mmask16)((1u << (count - i)) - 1);
        _mm512_mask_storeu_ps(data + i, tail, activate512(_mm512_maskz_loadu_ps(tail, data + i), activation));
    }
}

#endif
