#!/usr/bin/env bash
# Parallel efficiency of `mpirun landscape surface` on this machine: the same grid as
# 1 rank x 2 threads (plain run, and mpirun -n 1) against 2 ranks x 1 thread, each
# repeated, medians quoted, run side by side (interleaved) so drift hits all alike.
# Also prints rank 0's traffic line (bytes per point) and the single-thread image rate
# that the README's speed-up model starts from.
#   Benchmarks/mpi_efficiency.sh [REPEATS] [GRID] [SAMPLES]
set -euo pipefail
cd "$(dirname "$0")/.."
source Benchmarks/mpi_common.sh
repeats=${1:-3}; grid=${2:--1:1:9}; samples=${3:-256}
args=(surface --model "$ref/resnet20-akamaster.safetensors" --data "$ref/cifar10-test-head.bin" --samples "$samples" --x "$grid" --y "$grid")
mpi_setup
echo "cores: $(nproc); grid $grid x $grid, $samples images; $repeats repeats"
run_config() {
  case $1 in
    threads2) $bin "${args[@]}" --threads 2 --out "$work/out" >/dev/null 2>&1 ;;
    mpi1x2) "${mpi[@]}" -n 1 $bin "${args[@]}" --threads 2 --out "$work/out" >/dev/null 2>&1 ;;
    mpi2x1) "${mpi[@]}" -n 2 $bin "${args[@]}" --threads 1 --out "$work/out" >/dev/null 2>"$work/traffic" ;;
  esac
}
mpi_time "$repeats" threads2 mpi1x2 mpi2x1
mpi_line "1 process x 2 threads" threads2
mpi_line "mpirun -n 1 x 2 threads" mpi1x2
mpi_line "mpirun -n 2 x 1 thread" mpi2x1
echo "efficiency of 2 ranks x 1 thread against 1 process x 2 threads: $(echo "scale=3; $(mpi_median threads2) / $(mpi_median mpi2x1)" | bc)"
grep 'landscape:' "$work/traffic" || true
# The single-thread rate (images/s) the speed-up model uses: the plain run's own timing.
rm -rf "$work/out"
$bin "${args[@]}" --threads 1 --out "$work/out" | grep 'images/s'
