"""What every side-by-side script prints about the machine, and how it runs a command: shared by
side_by_side.py, train_side_by_side.py and surface_overhead.py."""
import statistics, subprocess, sys

FASHION_MNIST = "/usr/share/datasets/fashion-mnist"   # apt-get install dataset-fashion-mnist


def cpu_model():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return "unknown"


def load_average():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def run_checked(command, what, program):
    """Runs command; on failure exits naming the script, what failed and the end of its error output."""
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        tail = "\n".join((result.stderr or result.stdout).strip().splitlines()[-15:])
        sys.exit(f"{program}: {what} failed (exit {result.returncode}): {' '.join(command)}\n{tail}")
    return result


def paired_ratios(ours, theirs):
    """Round by round, `ours` (images/s, one per round) over the fastest of `theirs` (variant → images/s per
    round; a variant that stopped running has fewer) in the same round. A machine whose speed drifts moves
    both sides of a round together, so the median of these varies less than the ratio of the medians."""
    ratios = []
    for r, rate in enumerate(ours):
        best = max((rates[r] for rates in theirs.values() if r < len(rates)), default=None)
        if best:
            ratios.append(rate / best)
    return ratios


def paired_summary(ours, theirs):
    """'1.52x paired (rounds 1.48, 1.61, 1.52)', or '' when no round has both sides."""
    ratios = paired_ratios(ours, theirs)
    if not ratios:
        return ""
    return f"{statistics.median(ratios):.2f}x paired (rounds {', '.join(f'{x:.2f}' for x in ratios)})"
