#!/usr/bin/python3
"""Export timing (a script, not a timed test): a 101 x 101 surface written by
`landscape export` in every format, end to end (process start, reading the
JSON and the 2 MB directions file, writing atomically). Prints the median of
--repeats runs per format and the file sizes; the issue's target is <= 1 s.

The surface is Models/surfaces' ReLU surface's metadata with 101 x 101 values
from a smooth bowl (the values do not change the work), beside a copy of its
directions file, so the h5 export writes the direction file too.

    swift build -c release && Benchmarks/export_bench.py [--repeats 5]
"""
import argparse, json, math, os, shutil, statistics, subprocess, tempfile, time

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
SOURCE = os.path.join(ROOT, "Models", "surfaces", "resnet20-relu-6cafca645e78716c.json")
FORMATS = ["h5", "csv", "npz", "vts", "vtp", "obj", "ply"]

parser = argparse.ArgumentParser()
parser.add_argument("--repeats", type=int, default=5)
parser.add_argument("--size", type=int, default=101)
args = parser.parse_args()
binary = os.path.join(ROOT, ".build", "release", "landscape")

work = tempfile.mkdtemp(prefix="export-bench-")
try:
    s = json.load(open(SOURCE))
    n = args.size
    axis = [-1 + 2 * i / (n - 1) for i in range(n)]
    s["grid"] = {"x": {"start": -1, "end": 1, "count": n}, "y": {"start": -1, "end": 1, "count": n}}
    s["x"], s["y"] = axis, axis
    s["loss"] = [[0.2 + 3 * x * x + 1.5 * y * y + 0.3 * math.sin(4 * x) for x in axis] for y in axis]
    s["accuracy"] = [[max(0.1, 0.93 - 0.4 * (x * x + y * y)) for x in axis] for y in axis]
    s["loss_stderr"] = [[0.01 for _ in axis] for _ in axis]
    s["diverged"] = [[False for _ in axis] for _ in axis]
    s["progress"] = {"computed": n * n, "total": n * n, "order": "coarse-to-fine"}
    surface = os.path.join(work, "bench.json")
    json.dump(s, open(surface, "w"))
    shutil.copy(os.path.join(ROOT, "Models", "surfaces", s["directions"]["file"]), work)
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    print(f"{n}x{n} surface, {args.repeats} runs per format, CPU: {cpu}")
    for fmt in FORMATS:
        out = os.path.join(work, f"out.{fmt}")
        times = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            subprocess.run([binary, "export", surface, "--out", out], check=True, stdout=subprocess.DEVNULL)
            times.append(time.perf_counter() - start)
        extra = os.path.join(work, "out.directions.h5") if fmt == "h5" else None
        size = os.path.getsize(out) + (os.path.getsize(extra) if extra else 0)
        print(f"  {fmt:4} median {statistics.median(times) * 1000:7.1f} ms  (min {min(times) * 1000:7.1f} ms)  "
              f"{size:>9} bytes{' incl. the direction file' if extra else ''}")
finally:
    shutil.rmtree(work)
