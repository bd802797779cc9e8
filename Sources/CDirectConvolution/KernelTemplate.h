// What the 8-lane (AVX2) and 16-lane (AVX-512) kernels share, written once (internal to this target): the
// register block, and the epilogue's activations (ReLU, Swish, Mish) with their exp. No include guard:
// SharedKernels.h includes it for 8 lanes and Avx512Kernels.h for 16, each after VectorLanes8.h or
// VectorLanes16.h (the V_* names, listed there); it undefines them at its end. Both widths run the same
// operations in the same order, so both ISAs give the same bits (the tests check it). Each width's machine
// code is what its own copy gave before.

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

// e^x for x <= ACTIVATION_EXP_MAX (the callers clamp). Reduction x = k ln2 + r, |r| <= ln2/2, with k rounded
// by adding 1.5 * 2^23 (its bits then are 0x4B400000 + k) and r = x - k ln2 in one FMA on ln2 rounded to float
// (r off by k times its error, 1.9e-9: e^x off by at most 2.4e-7 relative, at k = -126); e^r by a degree-5
// polynomial 1 + r(c1 + r(c2 + r(c3 + r(c4 + r c5)))) in 5 FMAs, fitted to the relative error on
// [-ln2/2, ln2/2] (Lawson-weighted least squares toward minimax: 9.1e-8 in exact arithmetic, 1.5e-7
// evaluated in float); then 2^k by adding k << 23 to e^r's bits: (0x4B400000 + k) << 23 wraps to k << 23
// in 32 bits, and e^r's biased exponent (126 or 127) + k stays in 1..156 for k in [-126, 29] (at k = -126,
// r > 0). An integer add where a multiply by 2^k used to be: one operation fewer on the FMA ports. 0 below
// ln(FLT_MIN), where the exponent would leave the normal range: those lanes compute garbage (no clamp)
// and are zeroed by the mask. NaN x gives an unspecified value (the activations clamp it to 20 and
// multiply by x last, which returns x's NaN).
// One FMA for r where a Cody-Waite split of ln2 took two (r exact): Swish and Mish are bound by the two
// FMA/multiply ports, not by the divider nor by latency. Measured on AMD EPYC family 25 model 1 (Zen 3), loaded,
// activate() over an L1-resident array, best of 7 in thread CPU time: 0.2-0.4 ns per vector less with the
// division replaced by a multiply, 0.3-0.7 ns more with _mm256_rcp_ps and a Newton step, no less with Estrin's
// scheme for the polynomial (a shorter chain, one multiply more) or an integer min for the clamp; this FMA
// fewer: Swish 4.18 -> 3.56 and Mish 4.84 -> 4.34 ns (medians of 5 alternated runs), the F(4x4) layers with
// Swish or Mish 1-4 % less time, ReLU's bits and time unchanged. Worst relative error against float64
// (FusedActivationTests) 2.7e-7 (Swish) and 3.4e-7 (Mish) -> 4.1e-7 for both, at x = -86.93 (k = -125), inside
// its 4.8e-7; a degree-4 polynomial, one FMA fewer again, is 2.9e-6: outside it (docs/performance-log.md,
// 2026-12-07, mish90).
// Before: Cephes' expf (a degree-7 form in 8 operations after the reduction, and a multiply by 2^k).
#define EXP_UNDERFLOW -87.33654f          // ln(FLT_MIN), rounded up: e^x >= FLT_MIN above it
#define EXP_SHIFT 12582912.0f             // 1.5 * 2^23
#define EXP_LOG2E 1.44269504f
#define EXP_MINUS_LN2 -0.693147182f       // -ln2 rounded to float
#define EXP_C1 9.999997020e-01f
#define EXP_C2 4.999915063e-01f
#define EXP_C3 1.666763574e-01f
#define EXP_C4 4.189793020e-02f
#define EXP_C5 8.290315047e-03f
// Where Swish and Mish clamp the argument of e^x: sigmoid(20) = 1 - 2.1e-9 and tanh(softplus(20)) =
// 1 - 8.5e-18 round to 1 in float, as e^20 / (1 + e^20) and n / (n + 2) (n = e^20 (e^20 + 2)) do.
#define ACTIVATION_EXP_MAX 20.0f
#define ACTIVATION_ONE 1.0f
#define ACTIVATION_TWO 2.0f

#ifndef ACTIVATION_ROWS_DEFINED
#define ACTIVATION_ROWS_DEFINED
// The constants above as rows of 8 equal floats, for VectorLanes8.h's V_CONSTANT (defined once for both widths).
// AVX2 has no broadcast memory operand: each _mm256_set1_ps constant of a fused epilogue became a vbroadcastss
// of its own, reloaded before each use as the 16 registers are taken (13 per Swish or Mish vector beside ~20
// arithmetic operations; 155 in the AVX2 winograd4_run), taking room in the out-of-order window that overlaps
// successive vectors' ~60-cycle exp-and-divide chains. Whole rows, read through a pointer the compiler cannot
// see into, fold into the FMAs, compares and adds as memory operands instead (17 broadcasts left in
// winograd4_run). The same operations, so the same bits. Measured on AMD EPYC family 25 model 1 (Zen 3), loaded
// (docs/performance-log.md, 2026-12-07, actz3): ResNet-20's F(4x4) layers with Mish 0.6-8 % and with Swish 1-4 %
// less time, ReLU unchanged.
enum { ROW_EXP_UNDERFLOW, ROW_EXP_SHIFT, ROW_EXP_LOG2E, ROW_EXP_MINUS_LN2, ROW_EXP_C1, ROW_EXP_C2, ROW_EXP_C3,
       ROW_EXP_C4, ROW_EXP_C5, ROW_ACTIVATION_EXP_MAX, ROW_ACTIVATION_ONE, ROW_ACTIVATION_TWO, ACTIVATION_ROWS };
#define ROW8(value) {value, value, value, value, value, value, value, value}
__attribute__((aligned(32), unused)) static const float activation_rows8[ACTIVATION_ROWS][8] = {
    ROW8(EXP_UNDERFLOW), ROW8(EXP_SHIFT), ROW8(EXP_LOG2E), ROW8(EXP_MINUS_LN2), ROW8(EXP_C1), ROW8(EXP_C2),
    ROW8(EXP_C3), ROW8(EXP_C4), ROW8(EXP_C5), ROW8(ACTIVATION_EXP_MAX), ROW8(ACTIVATION_ONE),
    ROW8(ACTIVATION_TWO)};
#undef ROW8

// activation_rows8 through an empty asm: the compiler no longer knows the rows' values, so it keeps them as
// loads (which fold) instead of turning them back into broadcasts.
__attribute__((always_inline, unused)) static inline const float *activation_rows8_hidden(void) {
    const float *rows = &activation_rows8[0][0];
    __asm__("" : "+r"(rows));
    return rows;
}
#endif

V_KERNEL V_TYPE V_NAME(exp_clamped)(V_TYPE x) {
    const V_MASK below = V_LESS(x, V_CONSTANT(EXP_UNDERFLOW));   // zeroed at the end: no clamp needed before
    const V_TYPE shifted = V_FMA(x, V_CONSTANT(EXP_LOG2E), V_CONSTANT(EXP_SHIFT));
    const V_TYPE k = V_SUB(shifted, V_CONSTANT(EXP_SHIFT));
    const V_TYPE r = V_FMA(k, V_CONSTANT(EXP_MINUS_LN2), x);
    V_TYPE p = V_FMA(V_CONSTANT(EXP_C5), r, V_CONSTANT(EXP_C4));
    p = V_FMA(p, r, V_CONSTANT(EXP_C3));
    p = V_FMA(p, r, V_CONSTANT(EXP_C2));
    p = V_FMA(p, r, V_CONSTANT(EXP_C1));
    p = V_FMA(p, r, V_CONSTANT(ACTIVATION_ONE));
    return V_ZERO_WHERE(below, V_ADD_EXPONENT(p, shifted));
}

// ReLU: x < 0 ? 0 : x (NaN and -0 pass, as torch.relu and the Swift kernel). With e = e^min(x, 20):
//   Swish x * e / (1 + e)
//   Mish  x * n / (n + 2), n = e (e + 2)   (tanh(softplus(x)) = (e^2x + 2e^x) / (e^2x + 2e^x + 2))
// One exp and one division each, no |x| and no blend: e^x cannot overflow below the clamp, and for very
// negative x e, n = 2e + e^2 and the quotients stay normal until e^x underflows (x < -87.34: e = 0 and
// the result is x * 0, where the true values are below 1.1e-36 in magnitude). x = +inf gives inf,
// -inf gives NaN (-inf * 0, as the Swift kernels), NaN gives NaN (x's, by the last multiply).
V_KERNEL V_TYPE V_NAME(activate)(V_TYPE x, int activation) {
    switch (activation) {
    case DIRECT_CONVOLUTION_RELU:
        return V_ZERO_WHERE(V_LESS(x, V_SET1(0)), x);
    case DIRECT_CONVOLUTION_SWISH: {
        const V_TYPE e = V_NAME(exp_clamped)(V_MIN(x, V_CONSTANT(ACTIVATION_EXP_MAX)));
        return V_MUL(x, V_DIV(e, V_ADD(e, V_CONSTANT(ACTIVATION_ONE))));
    }
    case DIRECT_CONVOLUTION_MISH: {
        const V_TYPE e = V_NAME(exp_clamped)(V_MIN(x, V_CONSTANT(ACTIVATION_EXP_MAX)));
        const V_TYPE n = V_MUL(e, V_ADD(e, V_CONSTANT(ACTIVATION_TWO)));
        return V_MUL(x, V_DIV(n, V_ADD(n, V_CONSTANT(ACTIVATION_TWO))));
    }
    default:
        return x;
    }
}

// activate() on 4 vectors at once, in place: the same operations on every lane, so the same bits, but each
// step of the four exp-and-divide chains issued together. One vector's chain is ~35 dependent operations of
// 3-4 cycles; issued one after another, the chains of successive vectors overlapped less. Measured on AMD
// EPYC family 25 model 1 (Zen 3), activate() over an L1-resident array, best of 9 runs in TSC cycles per
// vector: Mish 10.0 -> 7.6, e^x alone 5.6 -> 4.7; whole Swish and Mish networks 5-6 % faster
// (docs/performance-log.md, 2026-12-07, activate4).
V_KERNEL void V_NAME(exp_clamped4)(V_TYPE x[4]) {
    V_MASK below[4];
    V_TYPE shifted[4], r[4], p[4];
    for (int u = 0; u < 4; u++) {
        below[u] = V_LESS(x[u], V_CONSTANT(EXP_UNDERFLOW));
        shifted[u] = V_FMA(x[u], V_CONSTANT(EXP_LOG2E), V_CONSTANT(EXP_SHIFT));
    }
    for (int u = 0; u < 4; u++) r[u] = V_FMA(V_SUB(shifted[u], V_CONSTANT(EXP_SHIFT)), V_CONSTANT(EXP_MINUS_LN2), x[u]);
    for (int u = 0; u < 4; u++) p[u] = V_FMA(V_CONSTANT(EXP_C5), r[u], V_CONSTANT(EXP_C4));
    for (int u = 0; u < 4; u++) p[u] = V_FMA(p[u], r[u], V_CONSTANT(EXP_C3));
    for (int u = 0; u < 4; u++) p[u] = V_FMA(p[u], r[u], V_CONSTANT(EXP_C2));
    for (int u = 0; u < 4; u++) p[u] = V_FMA(p[u], r[u], V_CONSTANT(EXP_C1));
    for (int u = 0; u < 4; u++) p[u] = V_FMA(p[u], r[u], V_CONSTANT(ACTIVATION_ONE));
    for (int u = 0; u < 4; u++) x[u] = V_ZERO_WHERE(below[u], V_ADD_EXPONENT(p[u], shifted[u]));
}

V_KERNEL void V_NAME(activate4)(V_TYPE x[4], int activation) {
    V_TYPE e[4];
    switch (activation) {
    case DIRECT_CONVOLUTION_SWISH:
        for (int u = 0; u < 4; u++) e[u] = V_MIN(x[u], V_CONSTANT(ACTIVATION_EXP_MAX));
        V_NAME(exp_clamped4)(e);
        for (int u = 0; u < 4; u++) x[u] = V_MUL(x[u], V_DIV(e[u], V_ADD(e[u], V_CONSTANT(ACTIVATION_ONE))));
        return;
    case DIRECT_CONVOLUTION_MISH:
        for (int u = 0; u < 4; u++) e[u] = V_MIN(x[u], V_CONSTANT(ACTIVATION_EXP_MAX));
        V_NAME(exp_clamped4)(e);
        for (int u = 0; u < 4; u++) {
            const V_TYPE n = V_MUL(e[u], V_ADD(e[u], V_CONSTANT(ACTIVATION_TWO)));
            x[u] = V_MUL(x[u], V_DIV(n, V_ADD(n, V_CONSTANT(ACTIVATION_TWO))));
        }
        return;
    default:
        for (int u = 0; u < 4; u++) x[u] = V_NAME(activate)(x[u], activation);
    }
}

#undef EXP_UNDERFLOW
#undef EXP_SHIFT
#undef EXP_LOG2E
#undef EXP_MINUS_LN2
#undef EXP_C1
#undef EXP_C2
#undef EXP_C3
#undef EXP_C4
#undef EXP_C5
#undef ACTIVATION_EXP_MAX
#undef ACTIVATION_ONE
#undef ACTIVATION_TWO

#endif

#include "VectorLanesEnd.h"
