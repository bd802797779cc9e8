#include "FMAPeak.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#include <time.h>

#include "CPUFeatures.h"

static double thread_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

// The accumulators converge to y / (1 - x) = -1e7 instead of overflowing; their sum goes to a volatile so that
// the loop is not removed.
static volatile float fma_sink;

#define FMA_LOOP(type, set1, fma, add, first, lanes)                                                            \
    type a[12];                                                                                                 \
    const type x = set1(1.0000001f), y = set1(0.9999999f);                                                      \
    for (int i = 0; i < 12; i++) a[i] = set1((float)i);                                                         \
    const double start = thread_seconds();                                                                      \
    for (long s = 0; s < steps; s++)                                                                            \
        for (int i = 0; i < 12; i++) a[i] = fma(a[i], x, y);                                                    \
    const double seconds = thread_seconds() - start;                                                            \
    type sum = a[0];                                                                                            \
    for (int i = 1; i < 12; i++) sum = add(sum, a[i]);                                                          \
    fma_sink = first(sum);                                                                                      \
    return seconds > 0 ? 2.0 * lanes * 12 * steps / seconds / 1e9 : 0;

__attribute__((target("avx2,fma"))) static double gflops8(long steps) {
    FMA_LOOP(__m256, _mm256_set1_ps, _mm256_fmadd_ps, _mm256_add_ps, _mm256_cvtss_f32, 8)
}

__attribute__((target("avx512f"))) static double gflops16(long steps) {
    FMA_LOOP(__m512, _mm512_set1_ps, _mm512_fmadd_ps, _mm512_add_ps, _mm512_cvtss_f32, 16)
}

double landscape_fma_gflops(int lanes, long steps) {
    landscape_cpu_features f;
    landscape_cpu_features_read(&f);
    const int avx2 = f.avx && f.fma && f.avx2 && (f.xcr0 & 0x6) == 0x6;
    if (lanes == 8 && avx2) return gflops8(steps);
    if (lanes == 16 && avx2 && f.avx512f && (f.xcr0 & 0xE6) == 0xE6) return gflops16(steps);
    return 0;
}

#else
double landscape_fma_gflops(int lanes, long steps) { (void)lanes; (void)steps; return 0; }
#endif
