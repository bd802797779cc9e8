#ifndef LANDSCAPE_WEIGHT_GRADIENT_SHARED_H
#define LANDSCAPE_WEIGHT_GRADIENT_SHARED_H

// What the Winograd weight gradients F(2x2, 3x3) (WinogradWeightGradient.c, 16 points) and F(4x4, 3x3)
// (Winograd4WeightGradient.c, 36 points) share, written once and included by both (internal, static):
// the cached ISA check, the plane copy into a zero-bordered buffer, and the products
// dU[ξ] (O x C) += dM[ξ] · V[ξ]^T by a register kernel (`weight_gradient_accumulate`): in outer-product
// form where the input channels come in eights (every layer but a stem), else as dot products.

#include "DirectConvolution.h"

#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

// Whether the AVX2 forms run, read once: CPUID behind `direct_convolution_available` can cost
// microseconds (a VM exit under a hypervisor), too much per chunk.
static int use_avx2(void) {
    static int cached = -1;
    int value = __atomic_load_n(&cached, __ATOMIC_RELAXED);
    if (value < 0) {
        value = direct_convolution_available();
        __atomic_store_n(&cached, value, __ATOMIC_RELAXED);
    }
    return value;
}

// Copies a height x width plane into rows `pitch` apart (the padded buffer's interior).
static void copy_plane_portable(float *restrict target, int pitch, const float *restrict source, int height, int width,
                                const float *next) {
    (void)next;
    for (int y = 0; y < height; y++) memcpy(target + (long)y * pitch, source + (long)y * width, width * sizeof(float));
}

#if defined(__x86_64__)
// The same copy inline (a libc call per 7..32-float row cost as much as the transform's arithmetic;
// `no_builtin` keeps the compiler from turning the loop back into one): 8 floats at a time, the
// tail by one more 8 (or 4) floats ending at the row's end, overlapping what was copied; nothing
// read or written past the row (no fault past the tensor's end, the padded borders stay zero).
// Masked loads and stores are slow on AMD cores.
// Measured (F(4x4) transforms of 64 images, Zen 4, loaded, 2026-12-07): skipping the copy altogether
// (wrong results: a bound) saved 30 % on 28x28 planes, 25 % on 14x14, 10 % on 7x7, whether the
// source was in L3 or not, but that bound also skips reading the planes, which reading them in
// place (masked loads or a border-only copy) would still pay; the L1 copy itself is ~112 loads and
// stores per 28x28 plane. Prefetching two planes, 4 KiB, or row by row ahead measured no different.
// So the copy stays.
__attribute__((target("avx2,fma"), no_builtin("memcpy")))
static void copy_plane_avx2(float *restrict target, int pitch, const float *restrict source, int height, int width,
                            const float *next) {
    // The planes come from L3 or memory, and the next one is often a channel away (CNHW): the
    // hardware prefetcher would start on it only after its first misses, so its lines are asked for now.
    if (next)
        for (long i = 0; i < (long)height * width; i += 16) _mm_prefetch((const char *)(next + i), _MM_HINT_T0);
    for (int y = 0; y < height; y++) {
        const float *in = source + (long)y * width;
        float *out = target + (long)y * pitch;
        if (width >= 8) {
            int x = 0;
            for (; x + 8 <= width; x += 8) _mm256_storeu_ps(out + x, _mm256_loadu_ps(in + x));
            if (x < width) _mm256_storeu_ps(out + width - 8, _mm256_loadu_ps(in + width - 8));
        } else if (width >= 4) {
            _mm_storeu_ps(out, _mm_loadu_ps(in));
            _mm_storeu_ps(out + width - 4, _mm_loadu_ps(in + width - 4));
        } else {
            for (int x = 0; x < width; x++) out[x] = in[x];
        }
    }
}
#endif

// dU[ξ][o][c] += Σ_t m[ξ][o][t] · v[ξ][c][t] (rows m[(o·points + ξ)·T], v[(c·points + ξ)·T]): per point, blocks of 4 output x 3 input channels (AVX2's
// 16 registers) or 4 x 6 (AVX-512VL's 32, still 8-float vectors), one accumulator of 8 tiles per (o, c)
// (dot products along the tile rows, so any channel count works, the stem's single input channel
// too), reduced in one fixed order at the end of the rows. Each (o, c) sums the same products in the
// same order whatever the block shape, so both ISAs give the same bits.
#if defined(__x86_64__)
// The horizontal sums of 8 vectors a[0..7], in lanes (a0, a2, a4, a6, a1, a3, a5, a7), each summed as
// ((l0 + l4) + (l2 + l6)) + ((l1 + l5) + (l3 + l7)): 21 instructions where one vector at a time takes 48.
__attribute__((target("avx2,fma"), always_inline))
static inline __m256 reduce8(const __m256 *a) {
    __m256 x[4];  // x[i] = (a[2i] lanes 0..3 + 4..7 | a[2i+1] likewise): s0..s3 of two vectors
    for (int i = 0; i < 4; i++)
        x[i] = _mm256_add_ps(_mm256_permute2f128_ps(a[2 * i], a[2 * i + 1], 0x20),
                             _mm256_permute2f128_ps(a[2 * i], a[2 * i + 1], 0x31));
    // (s0 + s2, s1 + s3) of a[0], a[2] | a[1], a[3]; then of a[4], a[6] | a[5], a[7].
    const __m256 w1 = _mm256_add_ps(_mm256_shuffle_ps(x[0], x[1], 0x44), _mm256_shuffle_ps(x[0], x[1], 0xEE));
    const __m256 w2 = _mm256_add_ps(_mm256_shuffle_ps(x[2], x[3], 0x44), _mm256_shuffle_ps(x[2], x[3], 0xEE));
    // (s0 + s2) + (s1 + s3).
    return _mm256_add_ps(_mm256_shuffle_ps(w1, w2, 0x88), _mm256_shuffle_ps(w1, w2, 0xDD));
}

__attribute__((target("avx2,fma"), always_inline))
static inline void accumulate_block(const float *m, const float *v, long T, long stride, int ob, int cb, int in_channels,
                                    float *du) {
    __m256 acc[4][6];
    for (int o = 0; o < 4; o++)
        for (int c = 0; c < 6; c++) acc[o][c] = _mm256_setzero_ps();
    for (long t = 0; t < T; t += 8) {
        __m256 b[6];
        for (int c = 0; c < 6; c++)
            if (c < cb) b[c] = _mm256_loadu_ps(v + c * stride + t);
        for (int o = 0; o < 4; o++) {
            if (o >= ob) break;
            const __m256 a = _mm256_loadu_ps(m + o * stride + t);
            for (int c = 0; c < 6; c++)
                if (c < cb) acc[o][c] = _mm256_fmadd_ps(a, b[c], acc[o][c]);
        }
    }
    // Eight accumulators reduced together (reduce8), in the same order as one at a time:
    // ((l0 + l4) + (l2 + l6)) + ((l1 + l5) + (l3 + l7)), then added onto du.
    const int n = ob * cb;
    for (int k = 0; k < n; k += 8) {
        __m256 a[8];
        for (int i = 0; i < 8; i++) a[i] = k + i < n ? acc[(k + i) / cb][(k + i) % cb] : _mm256_setzero_ps();
        float sums[8];
        _mm256_storeu_ps(sums, reduce8(a));
        static const int lane[8] = {0, 4, 1, 5, 2, 6, 3, 7};  // reduce8's lane of accumulator i
        for (int i = 0; i < 8 && k + i < n; i++) du[((k + i) / cb) * in_channels + (k + i) % cb] += sums[lane[i]];
    }
}

// The block shapes as constants, so the loops above unroll into registers: WIDE input channels per
// block while 4 output channels and WIDE input channels remain, then blocks of at most 4 x 3.
#define BLOCK(OB, CB) accumulate_block(m, v, T, (long)points * T, OB, CB, in_channels, du)
#define ACCUMULATE_BODY(WIDE)                                                                                   \
    const long pair = (long)out_channels * in_channels;                                                         \
    for (int xi = 0; xi < points; xi++) {                                                                       \
        const float *mp = m + (long)xi * T, *vp = v + (long)xi * T;                                             \
        float *dp = du + xi * pair;                                                                             \
        for (int o = 0; o < out_channels; o += 4) {                                                             \
            const int ob = out_channels - o < 4 ? out_channels - o : 4;                                         \
            int c = 0;                                                                                          \
            while (c < in_channels) {                                                                           \
                const float *m = mp + (long)o * points * T, *v = vp + (long)c * points * T;                     \
                float *du = dp + (long)o * in_channels + c;                                                     \
                if (ob == 4 && in_channels - c >= WIDE) {                                                       \
                    BLOCK(4, WIDE);                                                                             \
                    c += WIDE;                                                                                  \
                    continue;                                                                                   \
                }                                                                                               \
                const int cb = in_channels - c < 3 ? in_channels - c : 3;                                       \
                switch (ob * 4 + cb) {                                                                          \
                case 4 * 4 + 3: BLOCK(4, 3); break;                                                             \
                case 4 * 4 + 2: BLOCK(4, 2); break;                                                             \
                case 4 * 4 + 1: BLOCK(4, 1); break;                                                             \
                case 3 * 4 + 3: BLOCK(3, 3); break;                                                             \
                case 3 * 4 + 2: BLOCK(3, 2); break;                                                             \
                case 3 * 4 + 1: BLOCK(3, 1); break;                                                             \
                case 2 * 4 + 3: BLOCK(2, 3); break;                                                             \
                case 2 * 4 + 2: BLOCK(2, 2); break;                                                             \
                case 2 * 4 + 1: BLOCK(2, 1); break;                                                             \
                case 1 * 4 + 3: BLOCK(1, 3); break;                                                             \
                case 1 * 4 + 2: BLOCK(1, 2); break;                                                             \
                default: BLOCK(1, 1); break;                                                                    \
                }                                                                                               \
                c += cb;                                                                                        \
            }                                                                                                   \
        }                                                                                                       \
    }

__attribute__((target("avx2,fma")))
static void accumulate_avx2(int points, const float *m, const float *v, int out_channels, int in_channels, long T,
                            float *du) {
    ACCUMULATE_BODY(3)
}

__attribute__((target("avx512f,avx512vl,avx2,fma")))
static void accumulate_avx512(int points, const float *m, const float *v, int out_channels, int in_channels, long T,
                              float *du) {
    ACCUMULATE_BODY(6)
}
#undef BLOCK
#endif

// The same products with each (o, c) summed in one accumulator along t, in t order ("outer-product" form):
// per point, V[ξ] (C rows of T) is transposed into vt (T rows of C) on the stack, then blocks of 6 output
// x 16 input channels (12 accumulators of 8 input channels) take one row of vt and broadcast m[o][t] per
// output channel. No horizontal sums: the dot-product form above reduces every block's 8 lanes at the end
// of each chunk's rows, which on short rows (the 7x7 and 14x14 planes: 56 and 112 tiles a chunk) cost
// as much as the block's products. Each (o, c) sums the same products in the same order whatever the
// block shape, and AVX-512 runs this same code: the same bits on both ISAs. Wants C a multiple of 8, at
// least 16 (at 16 the transposes already cost about what the horizontal sums did: a tie in the bench; 8 was
// not measured), and T·C floats within OUTER_FLOATS (`outer_form_applies`).
enum { OUTER_FLOATS = 16384 };  // 64 KiB of stack

static int outer_form_applies(int in_channels, long T) {
    return in_channels % 8 == 0 && in_channels >= 16 && T * in_channels <= OUTER_FLOATS;
}

#if defined(__x86_64__)
// Rows src + r·src_stride (8 floats each, r < 8) into columns: dst + r·dst_stride gets element r of every row.
__attribute__((target("avx2,fma"), always_inline))
static inline void transpose8x8(const float *src, long src_stride, float *dst, long dst_stride) {
    __m256 r[8], t[8];
    for (int i = 0; i < 8; i++) r[i] = _mm256_loadu_ps(src + i * src_stride);
    for (int i = 0; i < 8; i += 2) {
        t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);       // a0 b0 a1 b1 | a4 b4 a5 b5
        t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);   // a2 b2 a3 b3 | a6 b6 a7 b7
    }
    for (int i = 0; i < 8; i += 4) {
        r[i] = _mm256_shuffle_ps(t[i], t[i + 2], 0x44);       // a0 b0 c0 d0 | a4 b4 c4 d4
        r[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], 0xEE);   // a1 b1 c1 d1 | a5 ...
        r[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0x44);
        r[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], 0xEE);
    }
    for (int i = 0; i < 4; i++) {
        _mm256_storeu_ps(dst + i * dst_stride, _mm256_permute2f128_ps(r[i], r[i + 4], 0x20));
        _mm256_storeu_ps(dst + (i + 4) * dst_stride, _mm256_permute2f128_ps(r[i], r[i + 4], 0x31));
    }
}

__attribute__((target("avx2,fma"), always_inline))
static inline void outer_block(const float *m, long stride, const float *vt, int in_channels, long T, int ob, int cv,
                               float *du) {
    __m256 acc[6][2];
    for (int o = 0; o < 6; o++)
        for (int v = 0; v < 2; v++) acc[o][v] = _mm256_setzero_ps();
    for (long t = 0; t < T; t++) {
        __m256 b[2];
        for (int v = 0; v < 2; v++)
            if (v < cv) b[v] = _mm256_loadu_ps(vt + t * in_channels + 8 * v);
        for (int o = 0; o < 6; o++) {
            if (o >= ob) break;
            const __m256 a = _mm256_broadcast_ss(m + o * stride + t);
            for (int v = 0; v < 2; v++)
                if (v < cv) acc[o][v] = _mm256_fmadd_ps(a, b[v], acc[o][v]);
        }
    }
    for (int o = 0; o < ob; o++)
        for (int v = 0; v < cv; v++) {
            float *target = du + o * in_channels + 8 * v;
            _mm256_storeu_ps(target, _mm256_add_ps(_mm256_loadu_ps(target), acc[o][v]));
        }
}

#define OUTER(OB, CV) outer_block(m + (long)o * points * T + (long)xi * T, (long)points * T, vt + c, in_channels, T, OB, CV, dp + (long)o * in_channels + c)
__attribute__((target("avx2,fma")))
static void accumulate_outer(int points, const float *m, const float *v, int out_channels, int in_channels, long T,
                             float *du) {
    float vt[OUTER_FLOATS];
    const long pair = (long)out_channels * in_channels;
    for (int xi = 0; xi < points; xi++) {
        for (int c = 0; c < in_channels; c += 8)
            for (long t = 0; t < T; t += 8)
                transpose8x8(v + ((long)c * points + xi) * T + t, (long)points * T, vt + t * in_channels + c, in_channels);
        float *dp = du + xi * pair;
        for (int o = 0; o < out_channels; o += 6) {
            const int ob = out_channels - o < 6 ? out_channels - o : 6;
            for (int c = 0; c < in_channels; c += 16) {
                const int cv = in_channels - c >= 16 ? 2 : 1;
                switch (ob * 2 + cv - 1) {
                case 6 * 2 + 1: OUTER(6, 2); break;
                case 6 * 2 + 0: OUTER(6, 1); break;
                case 5 * 2 + 1: OUTER(5, 2); break;
                case 5 * 2 + 0: OUTER(5, 1); break;
                case 4 * 2 + 1: OUTER(4, 2); break;
                case 4 * 2 + 0: OUTER(4, 1); break;
                case 3 * 2 + 1: OUTER(3, 2); break;
                case 3 * 2 + 0: OUTER(3, 1); break;
                case 2 * 2 + 1: OUTER(2, 2); break;
                case 2 * 2 + 0: OUTER(2, 1); break;
                case 1 * 2 + 1: OUTER(1, 2); break;
                default: OUTER(1, 1); break;
                }
            }
        }
    }
}
#undef OUTER
#endif

static void accumulate_portable(int points, const float *m, const float *v, int out_channels, int in_channels, long T,
                                float *du) {
    const long pair = (long)out_channels * in_channels;
    for (int xi = 0; xi < points; xi++)
        for (int o = 0; o < out_channels; o++)
            for (int c = 0; c < in_channels; c++) {
                const float *a = m + ((long)o * points + xi) * T, *b = v + ((long)c * points + xi) * T;
                float sum = 0;
                for (long t = 0; t < T; t++) sum += a[t] * b[t];
                du[xi * pair + (long)o * in_channels + c] += sum;
            }
}

/// du[(ξ·O + o)·C + c] += Σ_t m[(o·points + ξ)·T + t] · v[(c·points + ξ)·T + t], T a multiple of 8.
static void weight_gradient_accumulate(int points, const float *m, const float *v, int out_channels, int in_channels,
                                       long row_floats, float *du) {
#if defined(__x86_64__)
    if (use_avx2()) {
        if (outer_form_applies(in_channels, row_floats))
            accumulate_outer(points, m, v, out_channels, in_channels, row_floats, du);
        else if (convolution_isa() == CONVOLUTION_ISA_AVX512)
            accumulate_avx512(points, m, v, out_channels, in_channels, row_floats, du);
        else
            accumulate_avx2(points, m, v, out_channels, in_channels, row_floats, du);
        return;
    }
#endif
    accumulate_portable(points, m, v, out_channels, in_channels, row_floats, du);
}

#endif
