#!/usr/bin/env bash
# What a seed study under mpirun pays for running its seeds one after another through the
# surface coordinator (a directions set-up and an end-of-seed barrier per seed): the study
# of SEEDS seeds on a GRID x GRID plane with 2 ranks x 1 thread, against one surface of the
# same number of points (GRID x SEEDS*GRID: one pool of points, no seed boundary) with 2
# ranks x 1 thread, and against the study in one process x 2 threads. Repeated, interleaved,
# medians quoted.
#   Benchmarks/mpi_study.sh [REPEATS] [SEEDS] [GRID] [SAMPLES]
set -euo pipefail
cd "$(dirname "$0")/.."
source Benchmarks/mpi_common.sh
repeats=${1:-3}; seeds=${2:-3}; grid=${3:-7}; samples=${4:-128}
common=(surface --model "$ref/resnet20-akamaster.safetensors" --data "$ref/cifar10-test-head.bin" --samples "$samples" --x "-1:1:$grid")
study=("${common[@]}" --y "-1:1:$grid" --seeds "0:$((seeds - 1))")
pool=("${common[@]}" --y "-1:1:$((grid * seeds))")
mpi_setup
echo "cores: $(nproc); $seeds seeds of $grid x $grid ($((seeds * grid * grid)) points), $samples images; $repeats repeats"
run_config() {
  case $1 in
    study_mpi2) "${mpi[@]}" -n 2 $bin "${study[@]}" --threads 1 --out "$work/out" >/dev/null 2>"$work/traffic" ;;
    pool_mpi2) "${mpi[@]}" -n 2 $bin "${pool[@]}" --threads 1 --out "$work/out" >/dev/null 2>&1 ;;
    study_plain2) $bin "${study[@]}" --threads 2 --out "$work/out" >/dev/null 2>&1 ;;
  esac
}
mpi_time "$repeats" study_mpi2 pool_mpi2 study_plain2
s=$(mpi_median study_mpi2); p=$(mpi_median pool_mpi2); t=$(mpi_median study_plain2)
mpi_line "study, mpirun -n 2 x 1 thread" study_mpi2
mpi_line "one surface of as many points, mpirun -n 2 x 1 thread" pool_mpi2
mpi_line "study, 1 process x 2 threads" study_plain2
echo "study / pool under mpirun (the cost of seed boundaries): $(echo "scale=3; $s / $p" | bc)"
echo "efficiency of the study with 2 ranks x 1 thread against 1 process x 2 threads: $(echo "scale=3; $t / $s" | bc)"
grep 'landscape:' "$work/traffic" || true
