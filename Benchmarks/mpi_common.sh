# Sourced by the mpirun benchmarks (mpi_efficiency.sh, mpi_study.sh): what they share.
#   mpi_setup            from the repository root: builds `landscape` if missing, a work folder removed on
#                        exit ($work), the reference files ($ref), mpirun's flags ($mpi, add -n N), the CPU line
#   mpi_time R C1 C2 ... R repeats of the configurations, interleaved (C1 C2 ... C1 C2 ...) so drift hits all
#                        alike; each run is `run_config CONFIG` (the caller's function, writing under $work/out,
#                        emptied before each run); wall seconds collect in times[CONFIG]
#   mpi_median CONFIG    the median of times[CONFIG]
#   mpi_line TEXT CONFIG "TEXT: t1 t2 t3 -> median M s"
bin=.build/release/landscape
ref=../shared/reference
mpi=(mpirun --allow-run-as-root --oversubscribe --bind-to none)
declare -A times

mpi_setup() {
  [[ -x $bin ]] || swift build -c release
  work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
  grep -m1 'model name' /proc/cpuinfo
}

mpi_time() {
  local repeats=$1 config r start end; shift
  for r in $(seq "$repeats"); do
    for config in "$@"; do
      rm -rf "$work/out"
      start=$(date +%s.%N)
      run_config "$config"
      end=$(date +%s.%N)
      times[$config]+="$(echo "$end - $start" | bc) "
    done
  done
}

mpi_median() {
  echo "${times[$1]}" | tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'
}

mpi_line() { echo "$1: ${times[$2]}-> median $(mpi_median "$2") s"; }
