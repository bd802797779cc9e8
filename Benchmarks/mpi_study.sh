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
repeats=${1:-3}; seeds=${2:-3}; grid=${3:-7}; samples=${4:-128}
bin=.build/release/landscape
ref=../shared/reference
[[ -x $bin ]] || swift build -c release
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
common=(surface --model "$ref/resnet20-akamaster.safetensors" --data "$ref/cifar10-test-head.bin" --samples "$samples" --x "-1:1:$grid")
study=("${common[@]}" --y "-1:1:$grid" --seeds "0:$((seeds - 1))")
pool=("${common[@]}" --y "-1:1:$((grid * seeds))")
mpi=(mpirun --allow-run-as-root --oversubscribe --bind-to none -n 2)
grep -m1 'model name' /proc/cpuinfo
echo "cores: $(nproc); $seeds seeds of $grid x $grid ($((seeds * grid * grid)) points), $samples images; $repeats repeats"
declare -A times
for r in $(seq "$repeats"); do
  for config in study_mpi2 pool_mpi2 study_plain2; do
    rm -rf "$work/out"
    start=$(date +%s.%N)
    case $config in
      study_mpi2) "${mpi[@]}" $bin "${study[@]}" --threads 1 --out "$work/out" >/dev/null 2>"$work/traffic" ;;
      pool_mpi2) "${mpi[@]}" $bin "${pool[@]}" --threads 1 --out "$work/out" >/dev/null 2>&1 ;;
      study_plain2) $bin "${study[@]}" --threads 2 --out "$work/out" >/dev/null 2>&1 ;;
    esac
    end=$(date +%s.%N)
    times[$config]+="$(echo "$end - $start" | bc) "
  done
done
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
s=$(echo "${times[study_mpi2]}" | median); p=$(echo "${times[pool_mpi2]}" | median); t=$(echo "${times[study_plain2]}" | median)
echo "study, mpirun -n 2 x 1 thread: ${times[study_mpi2]}-> median $s s"
echo "one surface of as many points, mpirun -n 2 x 1 thread: ${times[pool_mpi2]}-> median $p s"
echo "study, 1 process x 2 threads: ${times[study_plain2]}-> median $t s"
echo "study / pool under mpirun (the cost of seed boundaries): $(echo "scale=3; $s / $p" | bc)"
echo "efficiency of the study with 2 ranks x 1 thread against 1 process x 2 threads: $(echo "scale=3; $t / $s" | bc)"
grep 'landscape:' "$work/traffic" || true
