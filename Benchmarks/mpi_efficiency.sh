#!/usr/bin/env bash
# Parallel efficiency of `mpirun landscape surface` on this machine: the same grid as
# 1 rank x 2 threads (plain run, and mpirun -n 1) against 2 ranks x 1 thread, each
# repeated, medians quoted, run side by side (interleaved) so drift hits all alike.
# Also prints rank 0's traffic line (bytes per point) and the single-thread image rate
# that the README's speed-up model starts from.
#   Benchmarks/mpi_efficiency.sh [REPEATS] [GRID] [SAMPLES]
set -euo pipefail
cd "$(dirname "$0")/.."
repeats=${1:-3}; grid=${2:--1:1:9}; samples=${3:-256}
bin=.build/release/landscape
ref=../shared/reference
[[ -x $bin ]] || swift build -c release
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
args=(surface --model "$ref/resnet20-akamaster.safetensors" --data "$ref/cifar10-test-head.bin" --samples "$samples" --x "$grid" --y "$grid")
mpi=(mpirun --allow-run-as-root --oversubscribe --bind-to none)
grep -m1 'model name' /proc/cpuinfo; echo "cores: $(nproc); grid $grid x $grid, $samples images; $repeats repeats"
declare -A times
for r in $(seq "$repeats"); do
  for config in threads2 mpi1x2 mpi2x1; do
    rm -rf "$work/out"
    start=$(date +%s.%N)
    case $config in
      threads2) $bin "${args[@]}" --threads 2 --out "$work/out" >/dev/null 2>&1 ;;
      mpi1x2) "${mpi[@]}" -n 1 $bin "${args[@]}" --threads 2 --out "$work/out" >/dev/null 2>&1 ;;
      mpi2x1) "${mpi[@]}" -n 2 $bin "${args[@]}" --threads 1 --out "$work/out" >/dev/null 2>"$work/traffic" ;;
    esac
    end=$(date +%s.%N)
    times[$config]+="$(echo "$end - $start" | bc) "
  done
done
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
t2=$(echo "${times[threads2]}" | median); m12=$(echo "${times[mpi1x2]}" | median); m21=$(echo "${times[mpi2x1]}" | median)
echo "1 process x 2 threads: ${times[threads2]}-> median $t2 s"
echo "mpirun -n 1 x 2 threads: ${times[mpi1x2]}-> median $m12 s"
echo "mpirun -n 2 x 1 thread: ${times[mpi2x1]}-> median $m21 s"
echo "efficiency of 2 ranks x 1 thread against 1 process x 2 threads: $(echo "scale=3; $t2 / $m21" | bc)"
grep 'landscape:' "$work/traffic" || true
# The single-thread rate (images/s) the speed-up model uses: the plain run's own timing.
rm -rf "$work/out"
$bin "${args[@]}" --threads 1 --out "$work/out" | grep 'images/s'
