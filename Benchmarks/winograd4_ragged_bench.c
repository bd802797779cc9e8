// The F(4x4) convolution (Winograd4Convolution.c) timed layer by layer in thread CPU time (the best of
// `reps`, which other processes on a shared machine disturb less than wall time) on the stride-1 shapes of
// ResNet-20: training's Fashion-MNIST planes (28x28, 14x14, 7x7) and CIFAR's (32x32, 16x16, 8x8), one
// thread's 64 images, with the epilogue of a residual block (bias, shortcut, ReLU) and without a bias (the
// sums added onto the output). Prints, per layer and ISA, microseconds per image and a hash of the output's
// bits (equal on two builds exactly when their results are the same bits). Build and run from the repository
// root, in bash:
//
//   S=Sources/CDirectConvolution; clang -O3 -I$S/include -I$S -o /tmp/w4-bench
//     Benchmarks/winograd4_ragged_bench.c $S/{Winograd4Convolution,Winograd4Convolution512,CPUFeatures,
//     KernelSelection,DirectConvolution,DirectConvolution512,WinogradConvolution,WinogradConvolution512}.c -lm
//   /tmp/w4-bench [reps, default 5] [images, default 64]
#include "Winograd4Convolution.h"
#include "bench_support.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
int main(int argc, char **argv) {
    const int reps = argc > 1 ? atoi(argv[1]) : 5, batch = argc > 2 ? atoi(argv[2]) : 64;
    struct { int c, h, w; } layers[] = {{16, 28, 28}, {32, 14, 14}, {64, 7, 7}, {16, 32, 32}, {32, 16, 16}, {64, 8, 8}, {8, 9, 13}};
    const int isas[] = {CONVOLUTION_ISA_AVX2, CONVOLUTION_ISA_AVX512};
    for (int l = 0; l < (int)(sizeof layers / sizeof layers[0]); l++) {
        const int C = layers[l].c, O = C, H = layers[l].h, W = layers[l].w;
        const long plane = (long)H * W, n = (long)C * batch * plane;
        float *x = malloc(sizeof(float) * n), *y = malloc(sizeof(float) * n), *r = malloc(sizeof(float) * n);
        float *w = malloc(sizeof(float) * O * C * 9), *b = malloc(sizeof(float) * O);
        float *packed = malloc(sizeof(float) * winograd4_convolution_packed_floats(O, C));
        float *scratch = malloc(sizeof(float) * winograd4_convolution_scratch_floats(C, O, H, W));
        uint64_t s = 12345 + l;
        for (long i = 0; i < n; i++) { x[i] = uniform(&s); r[i] = uniform(&s); }
        for (long i = 0; i < (long)O * C * 9; i++) w[i] = uniform(&s) * 0.3f;
        for (int i = 0; i < O; i++) b[i] = uniform(&s);
        winograd4_convolution_pack_filters(w, O, C, packed);
        for (int k = 0; k < 2; k++) {
            if (convolution_select_isa(isas[k]) != 0) continue;
            for (int bias = 1; bias >= 0; bias--) {
                direct_convolution_epilogue e = {0};
                if (bias) { e.bias = b; e.residual = r; e.activation = 1; }
                double best = 1e30;
                for (int rep = 0; rep < reps; rep++) {
                    for (long i = 0; i < n; i++) y[i] = 0.5f;
                    const double t0 = now();
                    winograd4_convolution_3x3(x, batch * plane, plane, C, batch, H, W, packed, O, y, batch * plane, plane,
                                              e, scratch);
                    const double t = now() - t0;
                    if (t < best) best = t;
                }
                const uint64_t hash = bits_hash(y, n);
                printf("%2dx%-2d C=%-2d %-6s %-9s %8.2f us/image  bits %016llx\n", H, W, C, k ? "avx512" : "avx2",
                       bias ? "bias+res" : "no bias", 1e6 * best / batch, (unsigned long long)hash);
            }
        }
        free(x); free(y); free(r); free(w); free(b); free(packed); free(scratch);
    }
    return 0;
}
