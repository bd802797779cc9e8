// What the 8-lane (AVX2) and 16-lane (AVX-512) kernels share, written once (internal to this target): the
// register block, and the epilogue's activations (ReLU, Swish, Mish) with their exp. No include guard:
// SharedKernels.h includes it for 8 lanes and Avx512Kernels.h for 16, each after defining the V_* names
// below; it undefines them at its end. Both widths run the same operations in the same order, so both ISAs
// give the same bits (the tests check it). Each width's machine code is what its own copy gave before.
//   V_TYPE, V_MASK          the vector and comparison-mask types
//   V_WIDTH, V_MAX_VECTORS  floats per vector; vectors per register block at most
//   V_NAME(name)            the name a function gets at this width
//   V_KERNEL                its attributes (target, always_inline, static inline)
//   V_ZERO(), V_LOADU, V_STOREU, V_SET1, V_ADD, V_SUB, V_MUL, V_DIV, V_FMA(a, b, c) = a * b + c, V_MIN, V_MAX
//                           (as the intrinsics)
//   V_LESS(a, b)            the lanes where a < b (ordered: false for NaN)
//   V_ZERO_WHERE(mask, v)   v with the masked lanes set to +0
//   V_OR                    bitwise or
//   V_GREATER_EQUAL(a, b)   the lanes where a >= b (ordered)
//   V_BLEND(mask, a, b)     b where mask is set, else a
//   V_TWO_TO(s)             the float whose bits are (s's bits + 127) << 23

#if defined(__x86_64__) || defined(__i386__)

// tile[o][V_WIDTH v + k] = sum over c and taps of w[c][tap][o] * in[c * channel_stride + shift(tap) + V_WIDTH v + k]
// for o < 4 * groups (groups 1 or 2), v < vectors: with 9 taps, shift(dy * 3 + dx) = dy * row_stride + dx (a
// 3x3 convolution on a zero-bordered plane) or tap_offsets[tap] when given (stride 2, on phase planes); with 1
// tap, shift = 0 (a matrix product, Winograd's element-wise stage). Group g's weights start at weights + g *
// group_stride (the packings' [O/4] blocks), channel 4g + o's row of the tile at tile + (4g + o) * tile_stride.
// `groups`, `vectors` and `taps` are constants at every call site, so each instantiation is fully unrolled:
// AVX2 runs 4 x 2 (8 accumulators, 2 inputs and a broadcast in the 16 registers; measured on Zen 3 against
// 2x4, 2x5, 2x6, 4x3 and 8x1: best or tied), AVX-512 up to 8 x 3 (24 accumulators in the 32).
V_KERNEL void V_NAME(register_block)(const float *in, long channel_stride, int in_channels, int row_stride,
                                     const long *tap_offsets, const float *weights, long group_stride,
                                     float *tile, long tile_stride, const int groups, const int vectors, const int taps) {
    V_TYPE acc[2 * GROUP][V_MAX_VECTORS];
    for (int o = 0; o < groups * GROUP; o++)
        for (int v = 0; v < vectors; v++) acc[o][v] = V_ZERO();
    const float *w0 = weights, *w1 = weights + group_stride;
    for (int c = 0; c < in_channels; c++) {
        const float *channel = in + c * channel_stride;
        for (int tap = 0; tap < taps; tap++) {
            const float *p = taps == 1 ? channel
                           : tap_offsets ? channel + tap_offsets[tap] : channel + (tap / 3) * row_stride + tap % 3;
            V_TYPE x[V_MAX_VECTORS];
            for (int v = 0; v < vectors; v++) x[v] = V_LOADU(p + v * V_WIDTH);
            for (int o = 0; o < groups * GROUP; o++) {
                const V_TYPE wo = V_SET1(o < GROUP ? w0[o] : w1[o - GROUP]);
                for (int v = 0; v < vectors; v++) acc[o][v] = V_FMA(wo, x[v], acc[o][v]);
            }
            w0 += GROUP;
            w1 += GROUP;
        }
    }
    for (int o = 0; o < groups * GROUP; o++)
        for (int v = 0; v < vectors; v++) V_STOREU(tile + o * tile_stride + v * V_WIDTH, acc[o][v]);
}

// e^x for x <= 0 (callers pass -|x|): x = k ln2 + r by Cody-Waite (k rounded by the 1.5 * 2^23 shift),
// Cephes' expf polynomial for e^r with every step an FMA, 2^k built in the exponent bits; 0 below
// ln(FLT_MIN), NaN passes. Within 2 ulp of e^x (tested against float64).
// Not the Swift FloatKernels' bits any more: those round mul and add separately (twice the operations).
#define EXP_UNDERFLOW -87.33654f
#define EXP_SHIFT 12582912.0f
#define EXP_LOG2E 1.44269504f
#define EXP_LN2_HIGH -0.693359375f
#define EXP_LN2_LOW 2.1219444e-4f
#define EXP_P0 1.98756915e-4f
#define EXP_P1 1.39819995e-3f
#define EXP_P2 8.3334519e-3f
#define EXP_P3 4.1665796e-2f
#define EXP_P4 1.6666665e-1f
#define EXP_P5 5.0000001e-1f
V_KERNEL V_TYPE V_NAME(exp_nonpositive)(V_TYPE x) {
    const V_MASK below = V_LESS(x, V_SET1(EXP_UNDERFLOW));
    const V_TYPE xc = V_MAX(V_SET1(EXP_UNDERFLOW), x);   // NaN x stays NaN (max returns its 2nd operand)
    const V_TYPE shifted = V_FMA(xc, V_SET1(EXP_LOG2E), V_SET1(EXP_SHIFT));
    const V_TYPE k = V_SUB(shifted, V_SET1(EXP_SHIFT));
    const V_TYPE r = V_FMA(k, V_SET1(EXP_LN2_LOW), V_FMA(k, V_SET1(EXP_LN2_HIGH), xc));
    V_TYPE p = V_FMA(V_SET1(EXP_P0), r, V_SET1(EXP_P1));
    p = V_FMA(p, r, V_SET1(EXP_P2));
    p = V_FMA(p, r, V_SET1(EXP_P3));
    p = V_FMA(p, r, V_SET1(EXP_P4));
    p = V_FMA(p, r, V_SET1(EXP_P5));
    const V_TYPE exp_r = V_ADD(V_FMA(p, V_MUL(r, r), r), V_SET1(1));
    // shifted's bits are 0x4B400000 + k (k in [-126, 0]); (bits + 127) << 23 drops the 0x4B4 and leaves 2^k.
    return V_ZERO_WHERE(below, V_MUL(exp_r, V_TWO_TO(shifted)));
}

// ReLU (x < 0 ? 0 : x: NaN passes, as torch.relu); with m = e^-|x|:
//   Swish x * s / (1 + m), s = x >= 0 ? 1 : m;
//   Mish  x * N / D, N = s^2 + 2m, D = N + 2q^2, q = x >= 0 ? m : 1
// (tanh(softplus(x)) = (e^2x + 2e^x) / (e^2x + 2e^x + 2), divided through by e^2x when x >= 0), so no
// term overflows and none goes subnormal before the last multiply. One division each.
V_KERNEL V_TYPE V_NAME(activate)(V_TYPE x, int activation) {
    switch (activation) {
    case DIRECT_CONVOLUTION_RELU:
        return V_ZERO_WHERE(V_LESS(x, V_ZERO()), x);
    case DIRECT_CONVOLUTION_SWISH: {
        const V_TYPE one = V_SET1(1);
        const V_TYPE m = V_NAME(exp_nonpositive)(V_OR(x, V_SET1(-0.0f)));
        const V_MASK nonnegative = V_GREATER_EQUAL(x, V_ZERO());
        const V_TYPE s = V_BLEND(nonnegative, m, one);
        return V_MUL(x, V_DIV(s, V_ADD(one, m)));
    }
    case DIRECT_CONVOLUTION_MISH: {
        const V_TYPE one = V_SET1(1);
        const V_TYPE m = V_NAME(exp_nonpositive)(V_OR(x, V_SET1(-0.0f)));
        const V_MASK nonnegative = V_GREATER_EQUAL(x, V_ZERO());
        const V_TYPE s = V_BLEND(nonnegative, m, one), q = V_BLEND(nonnegative, one, m);
        const V_TYPE n = V_FMA(s, s, V_ADD(m, m));
        const V_TYPE d = V_FMA(V_ADD(q, q), q, n);
        return V_MUL(x, V_DIV(n, d));
    }
    default:
        return x;
    }
}

#undef EXP_UNDERFLOW
#undef EXP_SHIFT
#undef EXP_LOG2E
#undef EXP_LN2_HIGH
#undef EXP_LN2_LOW
#undef EXP_P0
#undef EXP_P1
#undef EXP_P2
#undef EXP_P3
#undef EXP_P4
#undef EXP_P5

#endif

#undef V_TYPE
#undef V_WIDTH
#undef V_MAX_VECTORS
#undef V_ZERO
#undef V_LOADU
#undef V_STOREU
#undef V_MASK
#undef V_NAME
#undef V_KERNEL
#undef V_SET1
#undef V_ADD
#undef V_SUB
#undef V_MUL
#undef V_DIV
#undef V_FMA
#undef V_MIN
#undef V_MAX
#undef V_LESS
#undef V_ZERO_WHERE
#undef V_OR
#undef V_GREATER_EQUAL
#undef V_BLEND
#undef V_TWO_TO
