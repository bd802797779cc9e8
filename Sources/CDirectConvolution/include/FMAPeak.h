#ifndef LANDSCAPE_FMA_PEAK_H
#define LANDSCAPE_FMA_PEAK_H

// The single-core fp32 FMA rate this machine delivers now, for `landscape bench`'s share of the FMA peak (issue
// 20: the convolutions' arithmetic against the peak, measured beside the runs it divides, because this VM's
// clocks drift with its neighbours' load). 12 independent accumulators, one FMA each per step (more chains than
// latency x pipes on every CPU met so far), `steps` steps, timed in thread CPU time. `lanes` is 8 (AVX2 + FMA)
// or 16 (AVX-512F); returns GFLOP/s (2 per FMA lane), or 0 where the CPU or the OS lacks the ISA or lanes is
// neither. Benchmarks/fma_peak.c runs it as a stand-alone program.
double landscape_fma_gflops(int lanes, long steps);

#endif
