// The Winograd weight gradient's two halves (WinogradWeightGradient.c: the transforms of a chunk's
// input and output-gradient tiles, then the 16 products per tile) timed apart in thread CPU time
// (the best of `reps`, which the other processes on a shared machine disturb less than wall time),
// on the stride-1 layers of a ResNet-20 on 28x28 images with one shard's 64 images, chunk by chunk
// as TrainingKernels.winogradWeightGradient runs them. Prints a checksum of the weight gradient
// (the same on every build whose sums are the same bits). Build (one command line) and run from
// the repository root, in bash:
//
//   S=Sources/CDirectConvolution; clang -O3 -I$S/include -I$S -o /tmp/wg-bench
//     Benchmarks/winograd_weight_gradient_bench.c $S/{WinogradWeightGradient,CPUFeatures,KernelSelection,
//     DirectConvolution,DirectConvolution512,WinogradConvolution,WinogradConvolution512}.c -lm
//   /tmp/wg-bench [chunk floats, default 262144 as WinogradWeightGradientTiles.chunkFloats] [reps, default 5]
// F(4x4) (Winograd4WeightGradient.c, 36 products per tile): add -DTILES4 and $S/Winograd4WeightGradient.c.
#ifdef TILES4
#include "Winograd4WeightGradient.h"
#define WG(name) winograd4_weight_gradient_##name
#define POINTS 36
#else
#include "WinogradWeightGradient.h"
#define WG(name) winograd_weight_gradient_##name
#define POINTS 16
#endif
#include "bench_support.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <math.h>
int main(int argc, char **argv) {
    long chunk_floats = argc > 1 ? atol(argv[1]) : 256 * 1024;
    int reps = argc > 2 ? atoi(argv[2]) : 5;
    struct { int c, o, h, count; } layers[] = {{1, 16, 28, 1}, {16, 16, 28, 6}, {32, 32, 14, 5}, {64, 64, 7, 5}};
    const int batch = 64;
    double total_t = 0, total_a = 0, total_f = 0;
    double checksum = 0;
    for (int l = 0; l < 4; l++) {
        int C = layers[l].c, O = layers[l].o, H = layers[l].h, W = H;
        long plane = (long)H * W;
        float *x = malloc(sizeof(float) * C * batch * plane), *g = malloc(sizeof(float) * O * batch * plane);
        for (long i = 0; i < C * batch * plane; i++) x[i] = (float)((i * 7919) % 1000) / 1000.0f - 0.5f;
        for (long i = 0; i < O * batch * plane; i++) g[i] = (float)((i * 104729) % 1000) / 1000.0f - 0.5f;
        int chunk = WG(chunk_images)(C, O, H, W, chunk_floats);
        long cap = WG(row_floats)(chunk, H, W);
        float *du = calloc((long)POINTS * O * C, sizeof(float));
        float *v = malloc(sizeof(float) * POINTS * C * cap), *m = malloc(sizeof(float) * POINTS * O * cap);
        float *scratch = malloc(sizeof(float) * WG(transform_scratch_floats)(H, W));
        float *gw = calloc(9L * O * C, sizeof(float));
        double bt = 1e9, ba = 1e9;
        for (int r = 0; r < reps; r++) {
            double tt = 0, ta = 0;
            memset(du, 0, sizeof(float) * POINTS * O * C);
            for (int first = 0; first < batch; first += chunk) {
                int count = chunk < batch - first ? chunk : batch - first;
                long T = WG(row_floats)(count, H, W);
                double t0 = now();
                WG(transform)(x + first * plane, batch * plane, plane, C, g + first * plane, batch * plane, plane, O,
                                                   count, H, W, v, m, scratch);
                double t1 = now();
                WG(accumulate)(m, v, O, C, T, du);
                ta += now() - t1; tt += t1 - t0;
            }
            if (tt < bt) bt = tt;
            if (ta < ba) ba = ta;
        }
        double bf = 1e9;  // G^T dU G onto a copy of dW, timed apart
        float *gw2 = calloc(9L * O * C, sizeof(float));
        for (int r = 0; r < reps; r++) {
            double t0 = now();
            WG(finish)(du, O, C, gw2);
            if (now() - t0 < bf) bf = now() - t0;
        }
        free(gw2);
        WG(finish)(du, O, C, gw);
        for (long i = 0; i < 9L * O * C; i++) checksum += gw[i] * (double)((i % 13) + 1);
        printf("F(%d) C=%2d O=%2d %2dx%2d chunk %2d imgs: transform %7.3f ms accumulate %7.3f ms finish %6.3f ms (x%d layers)\n", POINTS == 16 ? 2 : 4, C, O, H, W, chunk, bt * 1e3, ba * 1e3, bf * 1e3, layers[l].count);
        total_t += bt * layers[l].count; total_a += ba * layers[l].count; total_f += bf * layers[l].count;
        free(x); free(g); free(du); free(v); free(m); free(scratch); free(gw);
    }
    printf("per shard step (64 images): transform %.2f ms, accumulate %.2f ms, finish %.2f ms; checksum %.9g\n", total_t * 1e3, total_a * 1e3, total_f * 1e3, checksum);
    return 0;
}
