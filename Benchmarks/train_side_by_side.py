#!/usr/bin/env python3
"""`landscape train` against PyTorch training (Benchmarks/train_baseline.py), alternating, on the
same images, model, batch, optimizer and threads (issue 20, item 4c).

Per round: one `landscape train --epochs 1` per engine convolution (its epoch line's img/s: the
batches' time, filling them included, not start-up or the test evaluation) and one
`train_baseline.py --variant V` per PyTorch variant (its timed pass: not Python's start, `import
torch`, the warm-up steps or compilation). The order rotates each round. Prints each round's
images/s, the medians, every side's ratio to the fastest PyTorch variant's median and, round by
round, to the fastest variant of that round (the median of those "paired" ratios drifts less), the CPU model
(/proc/cpuinfo), the load average before and after, and the kernel ISA each side dispatched to.
PyTorch's variants by default: eager (NCHW), channels_last, compile and compile-cl (torch.compile,
and on the channels_last model); a variant that does not run on this machine (torch.compile needs a
C compiler, for one) is reported with its error and left out of the ratios, the others go on.
`--engine-env NAME=VALUE,...` adds engine sides run with those variables (e.g.
`LANDSCAPE_TRAINING_WEIGHT_GRADIENT=gemm`: the weight gradients on GEMMs instead of Winograd;
`=winograd2`: by Winograd F(2×2) instead of F(4×4)).

    swift build -c release --product landscape
    python3 Benchmarks/train_side_by_side.py [--rounds 3] [--images 6400] [--threads 2]
        [--convolutions winograd,im2col] [--variants eager,channels_last,compile,compile-cl]
        [--engine-env LANDSCAPE_TRAINING_WEIGHT_GRADIENT=gemm] [--activation relu|swish|mish]
"""
import argparse, json, os, re, statistics, subprocess, sys, tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from machine import cpu_model, load_average, paired_summary, run_checked  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
EPOCH_LINE = re.compile(r"epoch\s+1/1 .* ([0-9.]+) img/s")


def run(command, what, environment=None):
    """Runs command (with `environment` added to this process's); on failure exits naming what failed
    and the end of its error output."""
    env = dict(os.environ, **environment) if environment else None
    if env is None:
        return run_checked(command, what, "train_side_by_side").stdout
    result = subprocess.run(command, capture_output=True, text=True, env=env)
    if result.returncode != 0:
        tail = "\n".join((result.stderr or result.stdout).strip().splitlines()[-15:])
        sys.exit(f"train_side_by_side: {what} failed (exit {result.returncode}): {' '.join(command)}\n{tail}")
    return result.stdout


class VariantFailed(Exception):
    pass


def engine(binary, args, convolution, scratch, environment=None):
    out = os.path.join(scratch, f"train-{convolution}.safetensors")
    for name in os.listdir(scratch):
        os.remove(os.path.join(scratch, name))
    text = run([binary, "train", "--arch", "resnet20", "--activation", args.activation, "--data", args.data,
                "--train-limit", str(args.images), "--eval-limit", "100", "--epochs", "1", "--batch", str(args.batch),
                "--lr", "0.1", "--momentum", "0.9", "--weight-decay", "5e-4", "--threads", str(args.threads),
                "--convolution", convolution, "--out", out], f"landscape train --convolution {convolution}",
               environment)
    match = EPOCH_LINE.search(text)
    if not match:
        sys.exit(f"train_side_by_side: no epoch line with img/s in landscape train's output:\n{text}")
    return float(match.group(1))


def pytorch(args, variant):
    """One timed PyTorch pass; raises VariantFailed (with the end of its output) when it does not run."""
    command = [sys.executable, os.path.join(HERE, "train_baseline.py"), "--variant", variant, "--images",
               str(args.images), "--batch", str(args.batch), "--threads", str(args.threads), "--data", args.data,
               "--activation", args.activation, "--json"]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        tail = "\n    ".join((done.stderr or done.stdout).strip().splitlines()[-4:])
        raise VariantFailed(f"train_baseline.py --variant {variant} failed (exit {done.returncode}):\n    {tail}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return result["images_per_second"], result["isa"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--images", type=int, default=6400)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--activation", default="relu")
    parser.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    parser.add_argument("--convolutions", default="winograd,im2col")
    parser.add_argument("--variants", default="eager,channels_last,compile,compile-cl")
    parser.add_argument("--engine-env", default="",
                        help="comma-separated NAME=VALUE: adds a side per convolution run with these variables set")
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build", "release", "landscape"))
    args = parser.parse_args()
    if args.activation not in ("relu", "swish", "mish"):
        sys.exit(f"train_side_by_side: --activation {args.activation}: train_baseline.py has relu, swish (F.silu) and mish")
    system = json.loads(run([args.binary, "bench", "--system", "--json"], "landscape bench --system"))
    extra = dict(item.split("=", 1) for item in args.engine_env.split(",") if item)
    sides = [("landscape " + c, c) for c in args.convolutions.split(",")]
    if extra:
        label = " ".join(f"{k}={v}" for k, v in extra.items())
        sides += [(f"landscape {c} {label}", c) for c in args.convolutions.split(",")]
    sides += [("pytorch " + v, v) for v in args.variants.split(",")]
    rates = {name: [] for name, _ in sides}
    isa, failed = {}, {}
    print(f"CPU: {cpu_model()}; load before: {load_average()}; landscape kernels: "
          f"{system.get('convolution_isa', system)}")
    with tempfile.TemporaryDirectory() as scratch:
        for r in range(args.rounds):
            order = sides[r % len(sides):] + sides[:r % len(sides)]
            for name, side in order:
                if name in failed:
                    continue
                if name.startswith("landscape"):
                    rate = engine(args.binary, args, side, scratch, extra if "=" in name else None)
                else:
                    try:
                        rate, isa[name] = pytorch(args, side)
                    except VariantFailed as error:
                        failed[name] = str(error)
                        print(f"round {r + 1}: {name}: did not run: {error}", flush=True)
                        continue
                rates[name].append(rate)
                print(f"round {r + 1}: {name}: {rate:.0f} img/s", flush=True)
    medians = {name: statistics.median(values) for name, values in rates.items() if values}
    ran = [(m, n) for n, m in medians.items() if n.startswith("pytorch")]
    if not ran:
        sys.exit("train_side_by_side: no PyTorch variant ran:\n" + "\n".join(failed.values()))
    best = max(ran)
    print(f"load after: {load_average()}")
    for name, error in failed.items():
        print(f"{name:28s} did not run: {error.splitlines()[0]}")
    for name, median in medians.items():
        extra = f" (ISA {isa[name]})" if name in isa else ""
        print(f"{name:28s} median {median:7.0f} img/s  rounds {', '.join(f'{v:.0f}' for v in rates[name])}"
              f"  = {median / best[0]:.2f}x {best[1]}{extra}")
    theirs = {name: values for name, values in rates.items() if name.startswith("pytorch")}
    for name, values in rates.items():
        paired = paired_summary(values, theirs) if name.startswith("landscape") else ""
        if paired:
            print(f"{name:28s} against each round's fastest PyTorch variant: {paired}")


if __name__ == "__main__":
    main()
