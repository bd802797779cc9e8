// The stride-2 backward kernels (StridedBackward.h), written once for the 8-lane (AVX2) and 16-lane
// (AVX-512) files (internal to this target; no include guard). The includer defines:
//   SB_NAME(name)   the name at this width          SB_ENTRY   attributes of the out-of-line functions
//   SB_INLINE       attributes of the inlined helpers
//   SB_PAIRS        1: channel groups of 4 in pairs (8 channels a block), 0: one group a block
//   SB_BLOCK_RUN(in, channel_stride, channels, offsets, weights, group_stride, tile, tile_stride, groups,
//                remaining, taps)   the register block over positions [i, i + remaining): positions done
//   SB_P16, SB_P16_ZERO(), SB_P16_LOAD(p), SB_P16_STORE(p, v), SB_P16_FMA(a, b, acc)  16 lanes of floats
//   SB_OUT_BLOCK, SB_MAX_TAPS   a weight-gradient block's output channels and taps (SB_MAX_TAPS 3, or 6 and
//                   then the last 3: 9 taps in at most two blocks)
// Both widths run the same operations in the same order: the register block's sums (output-gradient
// channel, then tap), 16-lane partial sums of the weight gradient, the same adds onto dx and dw.

// One phase of a channel block: tiles[k][i] = sum over o, taps of w * plane_o[i + offset(tap)].
#define SB_PHASE(p, taps_constant) do { \
        const long group_stride = (long)out_channels * (taps_constant) * GROUP; \
        const float *weights = packed + stride2_phase_start[p] * (long)out_channels * in_channels \
                               + (long)group * group_stride; \
        float *out = tiles + (long)(p) * 8 * l.tile_stride; \
        for (long i = 0; i < l.run;) \
            i += pair ? SB_BLOCK_RUN(planes + i, l.phase, out_channels, offsets[p], weights, group_stride, out + i, \
                                     l.tile_stride, 2, l.run - i, taps_constant) \
                      : SB_BLOCK_RUN(planes + i, l.phase, out_channels, offsets[p], weights, group_stride, out + i, \
                                     l.tile_stride, 1, l.run - i, taps_constant); \
    } while (0)

SB_ENTRY void SB_NAME(stride2_input_gradient)(const float *grad_output, long out_channel_stride, long out_image_stride,
                                              int out_channels, int image_count, int height, int width,
                                              const float *packed, int in_channels,
                                              float *grad_input, long in_channel_stride, long in_image_stride,
                                              float *scratch) {
    const stride2_input_layout s = stride2_measure_input(out_channels, height, width);
    const phase_layout l = s.l;
    float *planes = scratch + s.planes, *tiles = scratch + s.tiles, *row = scratch + s.row;
    memset(planes + (long)out_channels * l.phase, 0, STRIDE2_GUARD * sizeof(float));
    memset(tiles + 4 * 8 * l.tile_stride, 0, STRIDE2_GUARD * sizeof(float));
    // Each phase's tap offsets in the gradient planes, in the packing's tap order.
    long offsets[4][4];
    for (int a = 0; a < 2; a++)
        for (int b = 0; b < 2; b++) {
            int row_taps[2], row_shifts[2], column_taps[2], column_shifts[2];
            const int rows = stride2_taps_of(a, row_taps, row_shifts);
            const int columns = stride2_taps_of(b, column_taps, column_shifts);
            for (int u = 0; u < rows; u++)
                for (int v = 0; v < columns; v++)
                    offsets[2 * a + b][u * columns + v] = (long)row_shifts[u] * l.phase_width + column_shifts[v];
        }
    const int groups = in_channels / GROUP;
    for (int b = 0; b < image_count; b++) {
        for (int o = 0; o < out_channels; o++) {
            const float *source = grad_output + o * out_channel_stride + b * out_image_stride;
            float *plane = planes + o * l.phase;
            for (int y = 0; y < l.out_height; y++) {
                copy_floats(plane + (long)y * l.phase_width, source + (long)y * l.out_width, l.out_width);
                plane[(long)y * l.phase_width + l.out_width] = 0;
            }
            zero_floats(plane + (long)l.out_height * l.phase_width, l.phase_width);
        }
        for (int group = 0; group < groups;) {
            const int pair = SB_PAIRS && group + 2 <= groups;
            SB_PHASE(0, 1);
            SB_PHASE(1, 2);
            SB_PHASE(2, 2);
            SB_PHASE(3, 4);
            for (int k = 0; k < (pair ? 2 : 1) * GROUP; k++) {
                float *target = grad_input + (long)(group * GROUP + k) * in_channel_stride + b * in_image_stride;
                for (int r = 0; r < height; r++) {
                    const int a = r & 1;
                    const float *even = tiles + ((long)(2 * a) * 8 + k) * l.tile_stride + (long)(r >> 1) * l.phase_width;
                    const float *odd = tiles + ((long)(2 * a + 1) * 8 + k) * l.tile_stride + (long)(r >> 1) * l.phase_width;
                    stride2_interleave_add(target + (long)r * width, even, odd, row, width);
                }
            }
            group += pair ? 2 : 1;
        }
    }
}

#undef SB_PHASE

// The 16-lane partial sums of SB_OUT_BLOCK output channels x `taps` taps (offsets[0 .. taps - 1], a constant at
// each call) of one input channel over `run` positions: those of output channel k, tap t at
// sums + k * sums_stride + t * 16, loaded, added onto and stored.
SB_INLINE void SB_NAME(weight_block)(const float *z, long z_stride, const float *x, const long *offsets, long run,
                                     float *sums, long sums_stride, const int taps) {
    SB_P16 acc[SB_OUT_BLOCK][SB_MAX_TAPS];
    const float *xt[SB_MAX_TAPS];
    for (int t = 0; t < taps; t++) xt[t] = x + offsets[t];
    for (int k = 0; k < SB_OUT_BLOCK; k++)
        for (int t = 0; t < taps; t++) acc[k][t] = SB_P16_LOAD(sums + k * sums_stride + t * STRIDE2_LANES);
    for (long i = 0; i < run; i += STRIDE2_LANES) {
        SB_P16 g[SB_OUT_BLOCK];
        for (int k = 0; k < SB_OUT_BLOCK; k++) g[k] = SB_P16_LOAD(z + k * z_stride + i);
        for (int t = 0; t < taps; t++) {
            const SB_P16 v = SB_P16_LOAD(xt[t] + i);
            for (int k = 0; k < SB_OUT_BLOCK; k++) acc[k][t] = SB_P16_FMA(g[k], v, acc[k][t]);
        }
    }
    for (int k = 0; k < SB_OUT_BLOCK; k++)
        for (int t = 0; t < taps; t++) SB_P16_STORE(sums + k * sums_stride + t * STRIDE2_LANES, acc[k][t]);
}

// The weight gradient's 16-lane partial sums (stride2_weight_layout), from zero, over all images; the public
// entry point reduces them onto dw.
SB_ENTRY void SB_NAME(stride2_weight_sums)(const float *input, long in_channel_stride, long in_image_stride,
                                           int in_channels, const float *grad_output, long out_channel_stride,
                                           long out_image_stride, int out_channels, int image_count, int height,
                                           int width, float *scratch) {
    const stride2_weight_layout s = stride2_measure_weight(in_channels, out_channels, height, width);
    const phase_layout l = s.l;
    float *sums = scratch + s.sums, *xs = scratch + s.x, *zs = scratch + s.z;
    memset(sums, 0, (size_t)(s.x - s.sums) * sizeof(float));
    long offsets[9];
    for (int dy = 0; dy < 3; dy++)
        for (int dx = 0; dx < 3; dx++)
            offsets[dy * 3 + dx] = ((dy & 1) * 2 + (dx & 1)) * s.stack + (dy / 2) * l.phase_width + dx / 2;
    const long sums_stride = (long)in_channels * 9 * STRIDE2_LANES;
    for (int first = 0; first < image_count; first += s.chunk) {
        const int count = image_count - first < s.chunk ? image_count - first : s.chunk;
        const long filled = (long)count * l.phase, run = round_up(filled, STRIDE2_LANES);
        for (int c = 0; c < in_channels; c++) {
            float *stacks = xs + 4L * c * s.stack;
            for (int j = 0; j < count; j++)
                stride2_split_phases(input + c * in_channel_stride + (long)(first + j) * in_image_stride, height, width,
                                     &l, s.stack, stacks + j * l.phase);
            for (int p = 0; p < 4; p++) zero_floats(stacks + p * s.stack + filled, s.stack - filled);
        }
        for (int o = 0; o < out_channels; o++) {
            float *stack = zs + o * s.run;
            for (int j = 0; j < count; j++) {
                const float *source = grad_output + o * out_channel_stride + (long)(first + j) * out_image_stride;
                float *plane = stack + j * l.phase;
                for (int y = 0; y < l.out_height; y++) {
                    copy_floats(plane + (long)y * l.phase_width, source + (long)y * l.out_width, l.out_width);
                    plane[(long)y * l.phase_width + l.out_width] = 0;
                }
                zero_floats(plane + (long)l.out_height * l.phase_width, l.phase_width);
            }
            if (run > filled) zero_floats(stack + filled, run - filled);
        }
        for (int o = 0; o < out_channels; o += SB_OUT_BLOCK)
            for (int c = 0; c < in_channels; c++)
                for (int t = 0; t < 9; t += SB_MAX_TAPS) {
                    float *block = sums + ((long)(o * in_channels + c) * 9 + t) * STRIDE2_LANES;
                    if (t + SB_MAX_TAPS <= 9)
                        SB_NAME(weight_block)(zs + o * s.run, s.run, xs + 4L * c * s.stack, offsets + t, run, block,
                                              sums_stride, SB_MAX_TAPS);
                    else
                        SB_NAME(weight_block)(zs + o * s.run, s.run, xs + 4L * c * s.stack, offsets + t, run, block,
                                              sums_stride, 9 - SB_MAX_TAPS);
                }
    }
}
