// The single-core fp32 FMA peak this machine really delivers, for issue 20's "convolution arithmetic at >= 60 %
// of the FMA peak" (`landscape bench` runs the same loop, FMAPeak.c, after each timed run): 12 independent accumulators (more than latency x pipes on the CPUs met so far), one FMA each
// per step, on 8 lanes (AVX2) and 16 (AVX-512), timed in thread CPU time, best of 7 runs. Clocks drift with the
// load of the VM's neighbours, so run it in the same window as the figures it divides.
//   clang -O2 -o /tmp/fma-peak Benchmarks/fma_peak.c && /tmp/fma-peak
#include <immintrin.h>
#include <stdio.h>
#include <time.h>

static double thread_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

#define LOOP(type, set1, fma, add, store, lanes)                                                                    \
    type a[12], x = set1(1.0000001f), y = set1(0.9999999f);                                                      \
    for (int i = 0; i < 12; i++) a[i] = set1((float)i);                                                          \
    const double start = thread_seconds();                                                                       \
    for (long s = 0; s < steps; s++)                                                                             \
        for (int i = 0; i < 12; i++) a[i] = fma(a[i], x, y);                                                     \
    const double seconds = thread_seconds() - start;                                                             \
    type sum = a[0];                                                                                             \
    for (int i = 1; i < 12; i++) sum = add(sum, a[i]);                                                           \
    float out[lanes];                                                                                            \
    store(out, sum);                                                                                             \
    sink += out[0];                                                                                              \
    return 2.0 * lanes * 12 * steps / seconds / 1e9;

static volatile float sink;

__attribute__((target("avx2,fma"))) static double avx2(long steps) {
    LOOP(__m256, _mm256_set1_ps, _mm256_fmadd_ps, _mm256_add_ps, _mm256_storeu_ps, 8)
}

__attribute__((target("avx512f"))) static double avx512(long steps) {
    LOOP(__m512, _mm512_set1_ps, _mm512_fmadd_ps, _mm512_add_ps, _mm512_storeu_ps, 16)
}

int main(void) {
    __builtin_cpu_init();
    const long steps = 20000000;
    double best2 = 0, best512 = 0;
    for (int run = 0; run < 7; run++) {
        if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
            const double g = avx2(steps);
            if (g > best2) best2 = g;
        }
        if (__builtin_cpu_supports("avx512f")) {
            const double g = avx512(steps);
            if (g > best512) best512 = g;
        }
    }
    printf("fp32 FMA peak, one core, best of 7 (GFLOP/s, 2 per FMA lane): avx2 %.1f", best2);
    if (best512 > 0) printf(", avx512 %.1f", best512);
    printf("\n");
    return 0;
}
