// What the C benchmarks under Benchmarks/ share: the thread's CPU clock they time with (other processes on a
// shared machine disturb it less than wall time), their seeded uniform numbers, and the hash of an output's
// bits that tells whether two builds computed the same bits.
#include <stdint.h>
#include <time.h>

__attribute__((unused)) static double now(void) { struct timespec t; clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t); return t.tv_sec + 1e-9 * t.tv_nsec; }

// Uniform in [-1, 1): a linear congruential step, the top 24 bits.
__attribute__((unused)) static float uniform(uint64_t *s) { *s = *s * 6364136223846793005ULL + 1442695040888963407ULL; return (float)((*s >> 40) / 16777216.0 * 2 - 1); }

// FNV-1a over the floats' bit patterns.
__attribute__((unused)) static uint64_t bits_hash(const float *values, long count) {
    uint64_t hash = 1469598103934665603ULL;
    for (long i = 0; i < count; i++) { uint32_t u; __builtin_memcpy(&u, values + i, 4); hash = (hash ^ u) * 1099511628211ULL; }
    return hash;
}
