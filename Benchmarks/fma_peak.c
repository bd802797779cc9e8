// The single-core fp32 FMA peak this machine really delivers, for issue 20's "convolution arithmetic at >= 60 %
// of the FMA peak": the loop `landscape bench` runs after each timed run (Sources/CDirectConvolution/FMAPeak.c:
// 12 independent accumulators, one FMA each per step, timed in thread CPU time) as a stand-alone program, on 8
// lanes (AVX2) and 16 (AVX-512) where the CPU and the OS run them, best of 7 runs of 20 M steps. Clocks drift
// with the load of the VM's neighbours, so run it in the same window as the figures it divides.
//   S=Sources/CDirectConvolution; clang -O2 -I$S/include -o /tmp/fma-peak Benchmarks/fma_peak.c $S/FMAPeak.c $S/CPUFeatures.c
//   /tmp/fma-peak
#include <stdio.h>

#include "FMAPeak.h"

int main(void) {
    const long steps = 20000000;
    double best8 = 0, best16 = 0;
    for (int run = 0; run < 7; run++) {
        const double g8 = landscape_fma_gflops(8, steps), g16 = landscape_fma_gflops(16, steps);
        if (g8 > best8) best8 = g8;
        if (g16 > best16) best16 = g16;
    }
    printf("fp32 FMA peak, one core, best of 7 (GFLOP/s, 2 per FMA lane): avx2 %.1f", best8);
    if (best16 > 0) printf(", avx512 %.1f", best16);
    printf("\n");
    return 0;
}
