#!/usr/bin/env bash
# Swish and Mish against ReLU (issue 20 item 4: forward at >= 90 % of ReLU's rate): a benchmark, not a
# timed test. Rounds alternate the activations (relu, swish, mish, relu, ...), each a whole `landscape
# bench` over winograd and direct by default (BENCH_ARGS for others: auto, winograd4, onednn), AVX2 and AVX-512 (alternated run by run inside it), 1 and 2 threads;
# prints, per configuration, the median over the rounds of images per CPU-second (and per wall second)
# and the ratio to ReLU's median, with the CPU model and the load average before and after.
#   Benchmarks/activation_speed.sh [ROUNDS] [LOG]     (default 5 rounds; LOG keeps every round's JSON)
#   LANDSCAPE_BIN: the binary to run (default .build/release/landscape, built if missing)
#   BENCH_ARGS: overrides the bench arguments below
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${1:-5}"
log="${2:-$(mktemp)}"
bin="${LANDSCAPE_BIN:-.build/release/landscape}"
[[ -x "$bin" ]] || swift build -c release --product landscape >/dev/null
kernels="avx2"
"$bin" bench --system | grep -q "avx512" && kernels="avx2,avx512"
args="${BENCH_ARGS:---algorithms winograd,direct --kernels $kernels --threads 1,2 --batches 8 --images 256 --repeats 3}"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) CPUs; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "landscape bench --activation A $args --json; $rounds rounds alternating relu, swish, mish"
: > "$log"
for round in $(seq 1 "$rounds"); do
  for activation in relu swish mish; do
    # shellcheck disable=SC2086
    "$bin" bench --activation "$activation" $args --json |
      python3 -c 'import json,sys; d=json.load(sys.stdin); d["activation"]=sys.argv[1]; d["round"]=int(sys.argv[2]); print(json.dumps(d))' \
        "$activation" "$round" >> "$log"
  done
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$log" <<'EOF'
import json, statistics, sys
runs = [json.loads(line) for line in open(sys.argv[1])]
table = {}
for run in runs:
    for row in run["results"]:
        # One flag per algorithm in bench's JSON rows (im2col has none).
        algorithm = next((name for name in ("auto", "winograd4", "winograd", "direct", "onednn") if row.get(name)), "im2col")
        isa = "avx512" if row["avx512"] else "portable" if row["portable"] else "avx2"
        key = (algorithm, isa, int(row["threads"]))
        table.setdefault(key, {}).setdefault(run["activation"], []).append((row["images_per_cpu_second"], row["images_per_second"]))
print(f"{'algorithm':9} {'isa':7} {'thr':>3}  {'relu img/CPU-s (wall)':>22} {'swish':>14} {'mish':>14}  {'swish/relu':>10} {'mish/relu':>9}")
for key in sorted(table):
    med = {a: (statistics.median(v[0] for v in values), statistics.median(v[1] for v in values))
           for a, values in table[key].items()}
    if "relu" not in med: continue
    relu = med["relu"][0]
    cells = [f"{med[a][0]:8.0f} ({med[a][1]:5.0f})" if a in med else "-" for a in ("relu", "swish", "mish")]
    ratios = [f"{med[a][0] / relu * 100:9.1f}%" if a in med else "-" for a in ("swish", "mish")]
    print(f"{key[0]:9} {key[1]:7} {key[2]:3}  {cells[0]:>22} {cells[1]:>14} {cells[2]:>14}  {ratios[0]:>10} {ratios[1]:>9}")
print(f"medians over {len(runs) // 3} rounds; every round's JSON in {sys.argv[1]}")
EOF
