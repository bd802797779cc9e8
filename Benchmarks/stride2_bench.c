// The stride-2 3x3 direct convolution (direct_convolution_3x3_stride2, DirectConvolution.c) timed layer by
// layer in thread CPU time (the best of `reps`, which other processes on a shared machine disturb less than
// wall time) on ResNet-20's two stride-2 layers, CIFAR's planes (32x32 -> 16x16, 16x16 -> 8x8) and
// training's Fashion-MNIST planes (28x28 -> 14x14, 14x14 -> 7x7), plus a ragged odd shape; one thread's
// images, with the epilogue of a block's first convolution (bias, ReLU) and without a bias (the sums added
// onto the output). Prints, per layer and ISA, microseconds per image, GFLOP/s (direct FLOPs) and a hash
// of the output's bits (equal on two builds exactly when their results are the same bits). Build and run
// from the repository root, in bash:
//
//   S=Sources/CDirectConvolution; clang -O3 -I$S/include -I$S -o /tmp/s2-bench
//     Benchmarks/stride2_bench.c $S/{DirectConvolution,DirectConvolution512,CPUFeatures,KernelSelection}.c -lm
//   /tmp/s2-bench [reps, default 20] [images, default 8] [layer index, default all]
#include "DirectConvolution.h"
#include "bench_support.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
int main(int argc, char **argv) {
    const int reps = argc > 1 ? atoi(argv[1]) : 20, batch = argc > 2 ? atoi(argv[2]) : 8, only = argc > 3 ? atoi(argv[3]) : -1;
    struct { int c, o, h, w; } layers[] = {{16, 32, 32, 32}, {32, 64, 16, 16}, {16, 32, 28, 28}, {32, 64, 14, 14}, {8, 12, 9, 13}};
    const int isas[] = {CONVOLUTION_ISA_AVX2, CONVOLUTION_ISA_AVX512};
    for (int l = 0; l < (int)(sizeof layers / sizeof layers[0]); l++) {
        if (only >= 0 && l != only) continue;
        const int C = layers[l].c, O = layers[l].o, H = layers[l].h, W = layers[l].w;
        const int OH = (H + 1) / 2, OW = (W + 1) / 2;
        const long plane = (long)H * W, out_plane = (long)OH * OW, n = (long)C * batch * plane, m = (long)O * batch * out_plane;
        float *x = malloc(sizeof(float) * n), *y = malloc(sizeof(float) * m);
        float *w = malloc(sizeof(float) * O * C * 9), *b = malloc(sizeof(float) * O);
        float *packed = malloc(sizeof(float) * O * C * 9);
        float *scratch = malloc(sizeof(float) * direct_convolution_stride2_scratch_floats(C, H, W));
        uint64_t s = 12345 + l;
        for (long i = 0; i < n; i++) x[i] = uniform(&s);
        for (long i = 0; i < (long)O * C * 9; i++) w[i] = uniform(&s) * 0.3f;
        for (int i = 0; i < O; i++) b[i] = uniform(&s);
        direct_convolution_pack_weights(w, O, C, packed);
        for (int k = 0; k < 2; k++) {
            if (convolution_select_isa(isas[k]) != 0) continue;
            for (int bias = 1; bias >= 0; bias--) {
                direct_convolution_epilogue e = {0};
                if (bias) { e.bias = b; e.activation = DIRECT_CONVOLUTION_RELU; }
                double best = 1e30;
                for (int rep = 0; rep < reps; rep++) {
                    for (long i = 0; i < m; i++) y[i] = 0.5f;
                    const double t0 = now();
                    direct_convolution_3x3_stride2(x, batch * plane, plane, C, batch, H, W, packed, O, y,
                                                   batch * out_plane, out_plane, e, scratch);
                    const double t = now() - t0;
                    if (t < best) best = t;
                }
                const uint64_t hash = bits_hash(y, m);
                const double flops = 2.0 * 9 * C * O * out_plane;
                printf("%2dx%-2d %2d->%-2d %-6s %-8s %8.2f us/image %6.1f GFLOP/s  bits %016llx\n", H, W, C, O,
                       k ? "avx512" : "avx2", bias ? "bias" : "no-bias", 1e6 * best / batch, flops * batch / best * 1e-9,
                       (unsigned long long)hash);
            }
        }
        free(x); free(y); free(w); free(b); free(packed); free(scratch);
    }
    return 0;
}
