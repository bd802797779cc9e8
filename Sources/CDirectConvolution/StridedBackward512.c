#include "StridedBackward.h"

#include <string.h>

#include "Avx512Kernels.h"
#include "StridedBackwardLayout.h"

// StridedBackward.h's kernels on AVX-512 (StridedBackwardTemplate.h on 16 lanes): register blocks of 8
// channels (two groups of 4) x up to 48 positions, 4 output channels x 3 taps of 16-lane weight-gradient sums.

#if defined(__x86_64__) || defined(__i386__)

#define SB_NAME(name) name##_avx512
#define SB_ENTRY AVX512
#define SB_INLINE AVX512_INLINE
#define SB_PAIRS 1
#define SB_BLOCK_RUN(in, channel_stride, channels, offsets, weights, group_stride, tile, tile_stride, groups, \
                     remaining, taps) \
    block_run512(in, channel_stride, channels, 0, offsets, weights, group_stride, tile, tile_stride, groups, \
                 remaining, taps)
#define SB_P16 __m512
#define SB_P16_LOAD _mm512_loadu_ps
#define SB_P16_STORE _mm512_storeu_ps
#define SB_P16_FMA _mm512_fmadd_ps
#define SB_OUT_BLOCK 4
#define SB_MAX_TAPS 6
#include "StridedBackwardTemplate.h"

#endif
