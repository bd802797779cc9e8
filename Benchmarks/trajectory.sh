#!/usr/bin/env bash
# Trajectory benchmarks (a script, not a timed test), issue 17's two targets:
#  1. PCA of 100 ResNet-20 snapshots in <= 5 s on 2 cores: trains a short run
#     with a snapshot every step (101 snapshots: step 0 to 100, real SGD
#     weights), then times `landscape trajectory` (median of 3; one svd run).
#  2. Snapshots cost <= 3 % of training at one per 100 steps: the same
#     200-step run with and without --snapshot-every 100, alternated, wall
#     time from the model card (evaluation included, the same in both).
#   Benchmarks/trajectory.sh [DATA] [REPEATS]   DATA: Fashion-MNIST directory
set -euo pipefail
cd "$(dirname "$0")/.."
data="${1:-/usr/share/datasets/fashion-mnist}"
repeats="${2:-2}"
swift build -c release --product landscape >/dev/null
bin=.build/release/landscape
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2) ($(nproc) cores)"

echo "== 1. PCA of 101 snapshots (ResNet-20 ReLU, 10 epochs x 10 steps of 128 images)"
$bin train --arch resnet20 --data "$data" --epochs 10 --batch 128 --train-limit 1280 --eval-limit 100 \
  --out "$work/path/final.safetensors" --snapshots "$work/path/snapshots" --snapshot-every 1 > "$work/train.log"
echo "snapshots: $(ls "$work/path/snapshots" | wc -l)"
for i in 1 2 3; do
  start=$(date +%s.%N)
  $bin trajectory --snapshots "$work/path/snapshots" --model "$work/path/final.safetensors" --out "$work/pca" > "$work/pca-$i.log"
  end=$(date +%s.%N)
  echo "gram-eigen run $i: $(python3 -c "print(f'{$end - $start:.2f}')") s wall; $(tail -1 "$work/pca-$i.log")"
done
head -3 "$work/pca-1.log"
start=$(date +%s.%N)
$bin trajectory --snapshots "$work/path/snapshots" --model "$work/path/final.safetensors" --out "$work/pca-svd" --method svd > "$work/svd.log"
end=$(date +%s.%N)
echo "svd run: $(python3 -c "print(f'{$end - $start:.2f}')") s wall; $(tail -1 "$work/svd.log")"
python3 - "$work/pca/trajectory.json" "$work/pca-svd/trajectory.json" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
d = max(max(abs(p["x"] - q["x"]), abs(p["y"] - q["y"])) for p, q in zip(a["points"], b["points"]))
print(f"gram-eigen vs svd: ratios {a['explained_variance_ratio']} vs {b['explained_variance_ratio']}; max coordinate difference {d:.2e}")
PY

echo "== 2. snapshot overhead (ResNet-20 ReLU, 2 epochs x 100 steps of 128 images; wall s from the card)"
for r in $(seq 1 "$repeats"); do
  for mode in none every100; do
    dir="$work/over-$mode-$r"
    extra=()
    [[ $mode == every100 ]] && extra=(--snapshots "$dir/snapshots" --snapshot-every 100)
    $bin train --arch resnet20 --data "$data" --epochs 2 --batch 128 --train-limit 12800 --eval-limit 100 \
      --out "$dir/final.safetensors" "${extra[@]}" > /dev/null
    python3 -c "import json; c=json.load(open('$dir/final.json')); print('$mode run $r: wall %.2f s, %.0f img/s training' % (c['wall_time_seconds'], c['training_images_per_second']))"
  done
done
