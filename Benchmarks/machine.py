"""What every side-by-side script prints about the machine, and how it runs a command: shared by
side_by_side.py, train_side_by_side.py and surface_overhead.py."""
import subprocess, sys

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
