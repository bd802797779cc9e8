#!/usr/bin/env python3
"""Whole `landscape surface` commands against PyTorch's Li et al. loop in each
variant a skilled user would pick, alternating, on the same model, images and
grid (issue 20, item 1).

Per round: one `landscape surface` command (wall clock of the whole process:
start, loading, directions, every point, the store's writes) and one run of
`Benchmarks/li_baseline.py --variant V` per variant (its grid loop only: not
Python's start, `import torch`, the warm-up pass or compilation). The order
rotates each round so no side always runs first after a quiet spell. Prints
each round's images/s, the medians, every side's ratio to the fastest PyTorch
variant's median and, round by round, to the fastest variant of that round
(the median of those "paired" ratios drifts less), the CPU model (/proc/cpuinfo), the load average before and
after, and the kernel ISA each side dispatched to (landscape: `landscape bench
--system`; PyTorch: torch.backends.cpu.get_cpu_capability()). Checks that every
side's centre point (the trained weights) gives the reference's loss 0.375512
and 776/846 correct when all 846 images are used.

--model Models/resnet20-{relu,swish,mish}.safetensors: a shipped model on the
first --images Fashion-MNIST test images instead (the service's workload;
both sides read the model card's activation and normalization); every side's
centre point must then agree with the first PyTorch run's (loss within 1e-4,
the same number correct).

    swift build -c release --product landscape
    pip install torch
    python3 Benchmarks/side_by_side.py [--rounds 3] [--grid 7] [--images 846] [--threads 2]
                                       [--variants eager,channels_last,compile,compile-cl]
                                       [--convolution winograd[,onednn,...]] [--model M] [--json-out FILE]

--convolution with several algorithms runs one landscape side per algorithm
("landscape:winograd", "landscape:onednn"), alternating with the rest.
"""
import argparse, json, os, shutil, statistics, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from machine import FASHION_MNIST, cpu_model, load_average, paired_summary, run_checked  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
REFERENCE = os.path.join(ROOT, "..", "shared", "reference")
VARIANTS = ("eager", "channels_last", "compile", "compile-cl")
# The reference's numbers for the trained ResNet-20 on all 846 images (../shared/reference/README.md).
REFERENCE_LOSS, REFERENCE_CORRECT, REFERENCE_IMAGES = 0.375512, 776, 846
LOSS_TOLERANCE = 1e-4


def run(command, what):
    """Runs command; on failure exits naming what failed and the end of its error output."""
    result = run_checked(command, what, "side_by_side")
    return result.stdout


def landscape_system(binary):
    """`landscape bench --system --json`: the CPU, kernel ISA, oneDNN and BLAS core landscape uses."""
    return json.loads(run([binary, "bench", "--system", "--json"], "landscape bench --system"))


def run_landscape(args, convolution):
    out_dir = tempfile.mkdtemp(prefix="side-by-side-")
    try:
        model, data = ((args.model, FASHION_MNIST) if args.model
                       else (os.path.join(REFERENCE, "resnet20-akamaster.safetensors"),
                             os.path.join(REFERENCE, "cifar10-test-head.bin")))
        command = [args.binary, "surface", "--model", model, "--data", data, "--subset", "first",
                   "--x", f"-1:1:{args.grid}", "--y", f"-1:1:{args.grid}", "--samples", str(args.images),
                   "--threads", str(args.threads), "--out", out_dir]
        if convolution:
            command += ["--convolution", convolution]
        start = time.perf_counter()
        run(command, "landscape surface")
        seconds = time.perf_counter() - start
        files = [f for f in os.listdir(out_dir) if f.endswith(".json") and not f.startswith("directions")]
        surfaces = []
        for name in files:
            with open(os.path.join(out_dir, name)) as f:
                document = json.load(f)
            if isinstance(document, dict) and "summary" in document:
                surfaces.append(document)
        if len(surfaces) != 1:
            sys.exit(f"side_by_side: expected one surface JSON in {out_dir}, found {len(surfaces)} ({files})")
        summary, timing = surfaces[0]["summary"], surfaces[0].get("timing", {})
        return {"seconds": seconds, "images_per_second": args.grid ** 2 * args.images / seconds,
                "centre_loss": summary["centre_loss"],
                "centre_correct": round(summary["centre_accuracy"] * args.images),
                "convolution": timing.get("convolution", "?"), "kernel": timing.get("kernel", "?")}
    finally:
        shutil.rmtree(out_dir, ignore_errors=True)


def run_torch(args, variant):
    command = [sys.executable, os.path.join(HERE, "li_baseline.py"), "--variant", variant, "--json",
               "--grid", str(args.grid), "--images", str(args.images), "--threads", str(args.threads)]
    if args.model:
        command += ["--model", args.model]
    out = run(command, f"PyTorch variant {variant}")
    return json.loads(out.strip().splitlines()[-1])


def check_centre(name, result, args, first_torch):
    """The centre point (the trained weights) against the reference's numbers, or with --model against the
    first PyTorch run's."""
    if args.model:
        if first_torch is None:
            return
        loss, correct = result["centre_loss"], result["centre_correct"]
        if abs(loss - first_torch["centre_loss"]) > LOSS_TOLERANCE or correct != first_torch["centre_correct"]:
            sys.exit(f"side_by_side: {name}'s centre point gives loss {loss:.6f}, {correct}/{args.images} correct; "
                     f"PyTorch {first_torch['variant']} gave {first_torch['centre_loss']:.6f}, "
                     f"{first_torch['centre_correct']}/{args.images}")
        return
    if args.images != REFERENCE_IMAGES:
        return
    loss, correct = result["centre_loss"], result["centre_correct"]
    if abs(loss - REFERENCE_LOSS) > LOSS_TOLERANCE or correct != REFERENCE_CORRECT:
        sys.exit(f"side_by_side: {name}'s centre point gives loss {loss:.6f}, {correct}/{args.images} correct; "
                 f"the reference is {REFERENCE_LOSS} and {REFERENCE_CORRECT}/{REFERENCE_IMAGES}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--grid", type=int, default=7)
    parser.add_argument("--images", type=int, default=846)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--convolution", help="passed to landscape surface (default: its own choice); "
                        "comma-separated: one landscape side per algorithm")
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build", "release", "landscape"))
    parser.add_argument("--json-out", help="also write every run and the medians to this JSON file")
    parser.add_argument("--model", help="a shipped model (Models/NAME.safetensors with its card) on Fashion-MNIST "
                        "instead of the reference CIFAR-10 ResNet-20")
    args = parser.parse_args()
    variants = [v for v in args.variants.split(",") if v]
    unknown = [v for v in variants if v not in VARIANTS]
    if unknown or not variants:
        parser.error(f"--variants: unknown {unknown}; expected a comma-separated subset of {','.join(VARIANTS)}")
    most_images = 10000 if args.model else REFERENCE_IMAGES
    if args.rounds < 1 or args.grid < 3 or args.grid % 2 == 0 or not 1 <= args.images <= most_images:
        parser.error(f"--rounds >= 1, --grid odd and >= 3, --images 1..{most_images}")
    if args.model and not os.path.exists(os.path.splitext(args.model)[0] + ".json"):
        parser.error(f"--model {args.model}: no model card {os.path.splitext(args.model)[0]}.json beside it")
    if not os.access(args.binary, os.X_OK):
        parser.error(f"--binary {args.binary}: not an executable (swift build -c release --product landscape)")

    import torch  # here, so that --help works without it
    system = landscape_system(args.binary)
    print(f"CPU: {cpu_model()} ({system.get('cpu_features', '?')}); load average before: {load_average()}")
    print(f"landscape: convolution ISA {system.get('convolution_isa')}, BLAS {system.get('blas')}")
    print(f"PyTorch {torch.__version__}: ISA {torch.backends.cpu.get_cpu_capability()}")
    what = f"Fashion-MNIST test images, model {args.model}" if args.model else "reference CIFAR-10 images"
    print(f"{args.grid}x{args.grid} grid, {args.images} {what}, {args.threads} threads, "
          f"{args.rounds} rounds alternating (landscape: whole command; PyTorch: its grid loop)")

    convolutions = [c for c in (args.convolution or "").split(",") if c] or [None]
    ours = {("landscape:" + c if c and len(convolutions) > 1 else "landscape"): c for c in convolutions}
    sides = list(ours) + variants
    runs = {side: [] for side in sides}
    first_torch = None
    for round_index in range(args.rounds):
        shift = round_index % len(sides)
        order = sides[shift:] + sides[:shift]
        line = []
        for side in order:
            result = run_landscape(args, ours[side]) if side in ours else run_torch(args, side)
            runs[side].append(result)
            if side not in ours and first_torch is None:
                first_torch = result
                for earlier in ours:   # landscape sides that ran before any PyTorch run
                    for r in runs[earlier]:
                        check_centre(earlier, r, args, first_torch)
            check_centre(side, result, args, first_torch)
            line.append(f"{side} {result['images_per_second']:.0f}")
        print(f"round {round_index + 1}: " + ", ".join(line) + " img/s")

    medians = {side: statistics.median(r["images_per_second"] for r in runs[side]) for side in sides}
    best_variant = max(variants, key=lambda v: medians[v])
    print(f"load average after: {load_average()}")
    print(f"{'side':<19} {'img/s per round':<28} {'median':>8} {'x ' + best_variant:>16}  notes")
    for side in sides:
        rates = ", ".join(f"{r['images_per_second']:.0f}" for r in runs[side])
        first = runs[side][0]
        note = (f"convolution {first['convolution']}, kernel {first['kernel']}" if side in ours
                else f"ISA {first['isa']}" + (f", compile {statistics.median(r['compile_seconds'] for r in runs[side]):.0f} s"
                                               if side.startswith("compile") else ""))
        note += f"; centre loss {first['centre_loss']:.6f}, {first['centre_correct']}/{args.images}"
        print(f"{side:<19} {rates:<28} {medians[side]:>8.0f} {medians[side] / medians[best_variant]:>16.2f}  {note}")
    theirs = {v: [r["images_per_second"] for r in runs[v]] for v in variants}
    for side in ours:
        print(f"{side:<19} against each round's fastest PyTorch variant: "
              f"{paired_summary([r['images_per_second'] for r in runs[side]], theirs)}")
    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump({"cpu": cpu_model(), "landscape_system": system, "torch": torch.__version__,
                       "torch_isa": torch.backends.cpu.get_cpu_capability(), "grid": args.grid,
                       "images": args.images, "threads": args.threads, "model": args.model, "runs": runs, "medians": medians,
                       "best_variant": best_variant}, f, indent=2)


if __name__ == "__main__":
    main()
