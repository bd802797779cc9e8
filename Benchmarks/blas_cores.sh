#!/bin/sh
# sgemm throughput of the system OpenBLAS under each OPENBLAS_CORETYPE (issue 20, item 4b):
# shows whether the core OpenBLAS detects on this CPU is the fast one. Alternates the cores
# for ROUNDS rounds and prints each core's median GFLOP/s (C = A·B, N×N×N, 1 thread).
#
#     Benchmarks/blas_cores.sh [ROUNDS=5] [N=1024] [CORES="detected Haswell Zen SkylakeX Cooperlake Prescott"]
#
# "detected" leaves OPENBLAS_CORETYPE unset (what a plain process gets); `landscape bench
# --system` prints the core landscape itself runs (it re-executes itself when the detected
# core is below what CPUID offers).
set -eu
ROUNDS=${1:-5}
N=${2:-1024}
CORES=${3:-"detected Haswell Zen SkylakeX Cooperlake Prescott"}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat > "$work/sgemm.c" <<'C'
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }
int main(int argc, char **argv) {
    int n = atoi(argv[1]);
    float *a = malloc(sizeof(float) * n * n), *b = malloc(sizeof(float) * n * n), *c = malloc(sizeof(float) * n * n);
    for (long i = 0; i < (long)n * n; i++) { a[i] = (float)(i % 7) * 0.1f; b[i] = (float)(i % 5) * 0.2f; }
    openblas_set_num_threads(1);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1, a, n, b, n, 0, c, n);  /* warm-up */
    double best = 1e30;
    for (int r = 0; r < 3; r++) {
        double start = now();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1, a, n, b, n, 0, c, n);
        double s = now() - start;
        if (s < best) best = s;
    }
    printf("%s %.1f\n", openblas_get_corename(), 2.0 * n * n * n / best / 1e9);
    return 0;
}
C
cc -O2 "$work/sgemm.c" $(pkg-config --cflags --libs openblas) -o "$work/sgemm"
echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'); $(pkg-config --modversion openblas 2>/dev/null | sed 's/^/OpenBLAS /'); load average $(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq "$ROUNDS"); do
    for core in $CORES; do
        if [ "$core" = detected ]; then line=$(env -u OPENBLAS_CORETYPE "$work/sgemm" "$N")
        else line=$(OPENBLAS_CORETYPE=$core "$work/sgemm" "$N"); fi
        echo "$core $line" >> "$work/results"
    done
done
echo "OPENBLAS_CORETYPE  core used     sgemm ${N}^3 GFLOP/s, 1 thread: median (all rounds)"
for core in $CORES; do
    used=$(grep "^$core " "$work/results" | head -n 1 | cut -d' ' -f2)
    all=$(grep "^$core " "$work/results" | cut -d' ' -f3 | paste -sd, - | sed 's/,/, /g')
    median=$(grep "^$core " "$work/results" | cut -d' ' -f3 | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
    printf '%-18s %-13s %6s (%s)\n' "$core" "$used" "$median" "$all"
done
