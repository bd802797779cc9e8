#!/usr/bin/env bash
# Swish and Mish against ReLU (issue 20 item 4: forward at >= 90 % of ReLU's rate): a benchmark, not a
# timed test. One `landscape bench --activation relu,swish,mish`: the three networks alternate run by run
# inside every configuration (auto and winograd4 by default, BENCH_ARGS for others), so each Swish or Mish run
# is compared with the ReLU run of the same round, on a machine whose speed drifts from minute to minute;
# prints, per configuration, the median images per CPU-second of each activation and the median of the
# per-round ratios to ReLU, with the CPU model and the load average before and after.
#   Benchmarks/activation_speed.sh [ROUNDS] [LOG]     (default 9 rounds; LOG keeps bench's JSON)
#   LANDSCAPE_BIN: the binary to run (default .build/release/landscape, built if missing)
#   BENCH_ARGS: overrides the bench arguments below (a --repeats there overrides ROUNDS)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${1:-9}"
log="${2:-$(mktemp)}"
bin="${LANDSCAPE_BIN:-.build/release/landscape}"
[[ -x "$bin" ]] || swift build -c release --product landscape >/dev/null
kernels="avx2"
"$bin" bench --system | grep -q "convolution_isa: avx512" && kernels="avx2,avx512"
args="${BENCH_ARGS:---algorithms auto,winograd4 --kernels $kernels --threads 1,2 --batches 8 --images 512}"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) CPUs; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "landscape bench --activation relu,swish,mish --repeats $rounds $args --json"
# shellcheck disable=SC2086
"$bin" bench --activation relu,swish,mish --repeats "$rounds" $args --json > "$log"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$log" <<'PY'
import json, sys
document = json.load(open(sys.argv[1]))
table = {}
for row in document["results"]:
    # One flag per algorithm in bench's JSON rows (im2col has none).
    algorithm = next((name for name in ("auto", "winograd4", "winograd", "direct", "onednn") if row.get(name)), "im2col")
    isa = "avx512" if row["avx512"] else "portable" if row["portable"] else "avx2"
    table.setdefault((algorithm, isa, int(row["threads"])), {})[row["activation"]] = row
print(f"{'algorithm':9} {'isa':7} {'thr':>3}  {'relu img/CPU-s':>14} {'swish':>7} {'mish':>7}  {'swish/relu':>10} {'mish/relu':>9}")
for key in sorted(table):
    rows = table[key]
    rates = [f"{rows[a]['images_per_cpu_second']:7.0f}" if a in rows else "-" for a in ("relu", "swish", "mish")]
    ratios = [f"{100 * rows[a]['against_first_activation']:9.1f}%" if a in rows else "-" for a in ("swish", "mish")]
    print(f"{key[0]:9} {key[1]:7} {key[2]:3}  {rates[0]:>14} {rates[1]:>7} {rates[2]:>7}  {ratios[0]:>10} {ratios[1]:>9}")
print(f"ratios: medians of the per-round ratios to the ReLU run of the same round; bench's JSON in {sys.argv[1]}")
PY
