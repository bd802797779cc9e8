#!/usr/bin/env python3
"""A whole `landscape surface` command against `landscape bench`'s forward rate on
the same number of images, grid and threads (issue 20, item 5: target ratio ≥ 0.95).

Per round, in alternating order: one `landscape surface --profile` command on the
reference model and images (wall clock of the whole process: start, loading,
directions, every point, the store's writes, exit) and one `landscape bench` with
the surface's algorithm, micro-batch and threads: --bench-repeats timed calls on as
many images each (by default one per grid point, so both sides run as long), after a
warm-up call, its rate over all those calls together (images over their summed seconds:
an aggregate like the surface's whole command; its median call, which leaves out the
slow calls, is printed beside it). Prints each round, the medians,
the ratio surface/bench, the overhead per grid point outside the forward passes,
and the surface's phases (median over rounds, from its --profile JSON). Names the CPU
and the load average before and after: on a shared machine figures are noisy.

    swift build -c release --product landscape
    python3 Benchmarks/surface_overhead.py [--rounds 3] [--grid 7] [--images 846] [--threads 2]
                                           [--convolution winograd] [--json-out FILE]
                                           [--compare OTHER_BINARY]   # e.g. a build before a change, in the same rounds
"""
import argparse, json, os, resource, shutil, statistics, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from machine import cpu_model, load_average, run_checked  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
REFERENCE = os.path.join(ROOT, "..", "shared", "reference")
PROFILE_PREFIX = "profile JSON: "
# Per-point phases in the order `landscape surface --profile` lists them (SurfaceProfile.Phase).
ONCE = ("process_start", "load_models", "load_data", "directions", "save_directions")
PER_POINT = ("perturb", "batch_norm_recompute", "fold", "worker_start", "forward", "loss", "tail_idle",
             "evaluator_other", "record", "encode", "write", "write_wait", "progress")


def run(command, what):
    result = run_checked(command, what, "surface_overhead")
    return result


def run_surface(args, binary):
    out_dir = tempfile.mkdtemp(prefix="surface-overhead-")
    try:
        command = [binary, "surface", "--model", os.path.join(REFERENCE, "resnet20-akamaster.safetensors"),
                   "--data", os.path.join(REFERENCE, "cifar10-test-head.bin"),
                   "--x", f"-1:1:{args.grid}", "--y", f"-1:1:{args.grid}", "--samples", str(args.images),
                   "--threads", str(args.threads), "--convolution", args.convolution, "--out", out_dir, "--profile"]
        start, cpu_start = time.perf_counter(), children_cpu_seconds()
        result = run(command, "landscape surface")
        seconds, cpu_seconds = time.perf_counter() - start, children_cpu_seconds() - cpu_start
        lines = [l for l in result.stderr.splitlines() if l.startswith(PROFILE_PREFIX)]
        if len(lines) != 1:
            sys.exit(f"surface_overhead: no '{PROFILE_PREFIX}' line in landscape surface's stderr")
        profile = json.loads(lines[0][len(PROFILE_PREFIX):])
        points = args.grid ** 2
        if profile["points"] != points:
            sys.exit(f"surface_overhead: the surface computed {profile['points']} points, expected {points} (a stale store?)")
        return {"seconds": seconds, "images_per_second": points * args.images / seconds,
                "images_per_cpu_second": points * args.images / cpu_seconds, "profile": profile}
    finally:
        shutil.rmtree(out_dir, ignore_errors=True)


def run_bench(args):
    batch = 32 if args.convolution == "im2col" else 8   # Evaluator.defaultMicroBatch
    command = [args.binary, "bench", "--algorithms", args.convolution, "--batches", str(batch),
               "--threads", str(args.threads), "--images", str(args.images), "--repeats", str(args.bench_repeats), "--json"]
    document = json.loads(run(command, "landscape bench").stdout)
    row = document["results"][0]
    if "images_per_cpu_second_all_calls" not in row:
        sys.exit(f"surface_overhead: {args.binary} bench reports no rate over all its calls (a build before it did)")
    return {"images_per_second": row["images_per_second_all_calls"], "images_per_cpu_second": row["images_per_cpu_second_all_calls"],
            "median_call_images_per_second": row["images_per_second"],
            "median_call_images_per_cpu_second": row["images_per_cpu_second"]}


def children_cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--grid", type=int, default=7)
    parser.add_argument("--images", type=int, default=846)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--convolution", default="winograd", choices=("winograd", "direct", "im2col", "onednn", "auto"))
    parser.add_argument("--bench-repeats", type=int,
                        help="timed bench calls (default: one per grid point: as many images, for as long, as the surface)")
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build", "release", "landscape"))
    parser.add_argument("--json-out", help="also write every run and the medians to this JSON file")
    parser.add_argument("--compare", help="another landscape binary (e.g. built before a change) whose surface command runs "
                                          "in the same rounds, alternated, and is reported beside --binary's")
    args = parser.parse_args()
    if (args.rounds < 1 or args.grid < 3 or args.grid % 2 == 0 or not 1 <= args.images <= 846 or args.threads < 1
            or (args.bench_repeats is not None and args.bench_repeats < 1)):
        parser.error("--rounds >= 1, --grid odd and >= 3, --images 1..846, --threads >= 1, --bench-repeats >= 1")
    for name, binary in (("--binary", args.binary), ("--compare", args.compare)):
        if binary is not None and not os.access(binary, os.X_OK):
            parser.error(f"{name} {binary}: not an executable (swift build -c release --product landscape)")

    points = args.grid ** 2
    if args.bench_repeats is None:
        args.bench_repeats = points
    print(f"CPU: {cpu_model()}; load average before: {load_average()}")
    print(f"{args.grid}x{args.grid} grid, {args.images} images, {args.threads} threads, {args.convolution}; "
          f"{args.rounds} rounds alternating (surface: whole command; bench: {args.bench_repeats} calls together)")
    sides = ["surface", "bench"] + (["compare"] if args.compare else [])
    runs = {side: [] for side in sides}
    for round_index in range(args.rounds):
        shift = round_index % len(sides)
        order = sides[shift:] + sides[:shift]
        for side in order:
            result = (run_surface(args, args.binary) if side == "surface" else
                      run_surface(args, args.compare) if side == "compare" else run_bench(args))
            runs[side].append(result)
        s, b = runs["surface"][-1], runs["bench"][-1]
        line = (f"round {round_index + 1} ({' then '.join(order)}): surface {s['images_per_second']:.0f} img/s "
                f"({s['seconds']:.2f} s), bench {b['images_per_second']:.0f} img/s, ratio {s['images_per_second'] / b['images_per_second']:.3f}")
        if args.compare:
            c = runs["compare"][-1]
            line += f"; compare {c['images_per_second']:.0f} img/s ({c['seconds']:.2f} s), ratio {c['images_per_second'] / b['images_per_second']:.3f}"
        print(line)

    surface = statistics.median(r["images_per_second"] for r in runs["surface"])
    bench = statistics.median(r["images_per_second"] for r in runs["bench"])
    seconds = statistics.median(r["seconds"] for r in runs["surface"])
    overhead_ms = 1000 * (seconds - points * args.images / bench) / points
    surface_cpu = statistics.median(r["images_per_cpu_second"] for r in runs["surface"])
    bench_cpu = statistics.median(r["images_per_cpu_second"] for r in runs["bench"])
    print(f"load average after: {load_average()}")
    print(f"median: surface {surface:.0f} img/s, bench {bench:.0f} img/s, ratio surface/bench {surface / bench:.3f} "
          f"(target >= 0.95); {overhead_ms:.1f} ms per point outside bench's forward time")
    print(f"per CPU-second (what other programs' load does not inflate; idle waits such as fsync not counted): "
          f"surface {surface_cpu:.0f}, bench {bench_cpu:.0f} img/CPU-s, ratio {surface_cpu / bench_cpu:.3f}")
    median_call = statistics.median(r["median_call_images_per_second"] for r in runs["bench"])
    median_call_cpu = statistics.median(r["median_call_images_per_cpu_second"] for r in runs["bench"])
    print(f"bench's median call (not an aggregate like the surface's figure): {median_call:.0f} img/s, "
          f"{median_call_cpu:.0f} img/CPU-s; surface against it {surface / median_call:.3f}, per CPU-second {surface_cpu / median_call_cpu:.3f}")
    medians = {"surface": surface, "bench": bench, "ratio": surface / bench, "overhead_ms_per_point": overhead_ms,
               "surface_per_cpu_second": surface_cpu, "bench_per_cpu_second": bench_cpu,
               "bench_median_call": median_call, "bench_median_call_per_cpu_second": median_call_cpu}
    if args.compare:
        compare = statistics.median(r["images_per_second"] for r in runs["compare"])
        compare_seconds = statistics.median(r["seconds"] for r in runs["compare"])
        compare_ms = 1000 * (compare_seconds - points * args.images / bench) / points
        compare_cpu = statistics.median(r["images_per_cpu_second"] for r in runs["compare"])
        print(f"median: compare {compare:.0f} img/s, ratio compare/bench {compare / bench:.3f}; {compare_ms:.1f} ms per point; "
              f"surface/compare {surface / compare:.3f}; compare {compare_cpu:.0f} img/CPU-s")
        medians.update({"compare": compare, "compare_ratio": compare / bench, "compare_overhead_ms_per_point": compare_ms})
    phases = {}
    for side in [s for s in sides if s != "bench"]:
        phases[side] = {key: statistics.median(r["profile"].get(key, 0.0) for r in runs[side])
                        for key in ONCE + PER_POINT + ("wall",)}
    print("phases (median over rounds)        " + "".join(f"{side + ' s':>12} {'ms/point':>9}" for side in phases))
    for key in ONCE + PER_POINT:
        if any(p[key] > 0 for p in phases.values()):
            cells = "".join(f"{p[key]:12.3f} {(1000 * p[key] / points if key in PER_POINT else float('nan')):9.2f}"
                            for p in phases.values())
            print(f"  {key:<32} {cells}")
    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump({"cpu": cpu_model(), "arguments": vars(args), "runs": runs, "phases": phases, "median": medians},
                      f, indent=2)


if __name__ == "__main__":
    main()
