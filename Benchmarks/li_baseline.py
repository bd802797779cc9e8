#!/usr/bin/env python3
"""Li et al.'s surface algorithm in PyTorch on this machine: the baseline the
issue's surface target is measured against (set the weights, evaluate, per
point; Li et al. 2018, github.com/tomgoldstein/loss-landscape, plot_surface.py).

Reference CIFAR-10 ResNet-20 and the 846 CIFAR-10 test images from
../shared/reference, two random filter-normalized directions (biases and BN
ignored), eval-mode BatchNorm, batches of 128, 2 threads. Prints images/s and
what a 51x51 surface on 1,000 images would take at that rate.

--model Models/resnet20-{relu,swish,mish}.safetensors: one of the shipped
Fashion-MNIST models instead (1-channel ResNet-20, its activation from the
model card: torch.relu, F.silu, F.mish), on the first --images Fashion-MNIST
test images (/usr/share/datasets/fashion-mnist), normalized as the card says:
the service's own workload.

Variants (issue 20, item 1: what a skilled PyTorch user would pick), all on
the same model, images, directions and grid:
  eager          the default NCHW eager loop (Li et al.'s own code path)
  channels_last  model and images in channels_last (NHWC) memory format
  compile        torch.compile(net, dynamic=False)
  compile-cl     torch.compile on the channels_last model
The compiled variants update the weights in place between grid points
(parameters are graph inputs, not constants), so they compile once per batch
shape during an untimed warm-up pass; the timed grid then runs with
torch._dynamo.config.error_on_recompile = True, so a recompilation would stop
the run instead of hiding inside the timing. The time excludes Python's start,
`import torch`, the warm-up pass and compilation (printed separately).

    pip install torch  (CPU wheel)
    python3 Benchmarks/li_baseline.py [--grid 7] [--threads 2] [--variant eager] [--model M] [--json]

--json prints one JSON object (variant, seconds, images_per_second,
centre_loss, centre_correct, corner_loss, compile_seconds, isa, torch) for
Benchmarks/side_by_side.py.
"""
import argparse, gzip, json, os, struct, sys, time
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from machine import FASHION_MNIST  # noqa: E402

REFERENCE = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "reference")
ACTIVATIONS = {"relu": F.relu, "swish": F.silu, "mish": F.mish}


class Block(nn.Module):
    def __init__(self, inp, out, stride, act=F.relu):
        super().__init__()
        self.act = act
        self.conv1 = nn.Conv2d(inp, out, 3, stride, 1, bias=False); self.bn1 = nn.BatchNorm2d(out)
        self.conv2 = nn.Conv2d(out, out, 3, 1, 1, bias=False); self.bn2 = nn.BatchNorm2d(out)
        self.pad = out // 4 if stride != 1 or inp != out else None

    def forward(self, x):
        y = self.act(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        shortcut = x if self.pad is None else F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, self.pad, self.pad))
        return self.act(y + shortcut)


class ResNet20(nn.Module):
    """`act`: the activation after every BatchNorm (F.relu, F.silu for Swish, F.mish)."""
    def __init__(self, act=F.relu, in_channels=3):
        super().__init__()
        self.act = act
        self.conv1 = nn.Conv2d(in_channels, 16, 3, 1, 1, bias=False); self.bn1 = nn.BatchNorm2d(16)
        layers, inp = [], 16
        for width, stride in ((16, 1), (32, 2), (64, 2)):
            blocks = []
            for b in range(3):
                blocks.append(Block(inp, width, stride if b == 0 else 1, act)); inp = width
            layers.append(nn.Sequential(*blocks))
        self.layer1, self.layer2, self.layer3 = layers
        self.linear = nn.Linear(64, 10)

    def forward(self, x):
        x = self.act(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.linear(F.adaptive_avg_pool2d(x, 1).flatten(1))


def load_images(count):
    raw = np.fromfile(os.path.join(REFERENCE, "cifar10-test-head.bin"), dtype=np.uint8).reshape(-1, 3073)[:count]
    labels = torch.tensor(raw[:, 0].astype(np.int64))
    x = torch.tensor(raw[:, 1:].reshape(-1, 3, 32, 32).astype(np.float32) / 255)
    mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1); std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
    return (x - mean) / std, labels


def read_safetensors(path):
    """name -> float64 numpy array (F32 and F64 only: what these files hold)."""
    with open(path, "rb") as f:
        data = f.read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        dtype = {"F32": np.float32, "F64": np.float64}[info["dtype"]]
        out[name] = np.frombuffer(data[8 + n + start:8 + n + end], dtype=dtype).reshape(info["shape"]).astype(np.float64)
    return out


def read_idx(path, count):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)[:count]


def find_idx(directory, stem):
    """The IDX file `stem` in `directory`, gzipped or raw; exits naming it when neither exists."""
    for name in (stem, stem + ".gz"):
        if os.path.exists(os.path.join(directory, name)):
            return os.path.join(directory, name)
    sys.exit(f"{directory}: no {stem}[.gz] (apt-get install dataset-fashion-mnist)")


def shipped_model(path, count):
    """A shipped model (Models/NAME.safetensors and its card NAME.json): (make_net, images, labels) with the
    card's activation and normalization and the first `count` Fashion-MNIST test images."""
    card = json.load(open(os.path.splitext(path)[0] + ".json"))
    if card["activation"] not in ACTIVATIONS or card["input_channels"] != 1:
        raise SystemExit(f"{path}: activation '{card['activation']}', {card['input_channels']} input channels; "
                         f"expected one of {', '.join(ACTIVATIONS)} on 1 channel")
    mean, std = card["preprocessing"]["mean"][0], card["preprocessing"]["std"][0]
    raw = read_idx(find_idx(FASHION_MNIST, "t10k-images-idx3-ubyte"), count)
    images = (torch.tensor(raw.astype(np.float32) / 255).unsqueeze(1) - mean) / std
    labels = torch.tensor(read_idx(find_idx(FASHION_MNIST, "t10k-labels-idx1-ubyte"), count).astype(np.int64))
    weights = read_safetensors(path)

    def make_net():
        net = ResNet20(ACTIVATIONS[card["activation"]], in_channels=1)
        state = {name: torch.tensor(value, dtype=torch.float32) for name, value in weights.items()}
        missing, unexpected = net.load_state_dict(state, strict=False)
        assert not unexpected and all(m.endswith("num_batches_tracked") for m in missing), (missing, unexpected)
        return net

    return make_net, images, labels


def filter_normalized_direction(weights):
    direction = []
    for w in weights:
        d = torch.randn_like(w)
        if w.dim() <= 1:
            d.zero_()                       # ignore biasbn
        else:
            for df, wf in zip(d, w):
                df.mul_(wf.norm() / (df.norm() + 1e-10))
        direction.append(d)
    return direction


VARIANTS = ("eager", "channels_last", "compile", "compile-cl")


def evaluate(model, images, labels, batch):
    """Mean cross-entropy and number of correct top-1 predictions over all images."""
    total, correct = 0.0, 0
    for i in range(0, len(images), batch):
        out = model(images[i:i + batch])
        total += F.cross_entropy(out, labels[i:i + batch], reduction="sum").item()
        correct += int((out.argmax(1) == labels[i:i + batch]).sum())
    return total / len(images), correct


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--grid", type=int, default=7)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--images", type=int, default=846,
                        help="first N images: reference CIFAR-10 (846 exist), or Fashion-MNIST test with --model")
    parser.add_argument("--model", help="a shipped model (Models/NAME.safetensors with its card) on Fashion-MNIST "
                        "instead of the reference CIFAR-10 ResNet-20")
    parser.add_argument("--variant", choices=VARIANTS, default="eager")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of a sentence")
    args = parser.parse_args()
    if args.grid < 3 or args.grid % 2 == 0:
        parser.error("--grid must be odd and at least 3 (the centre point is the trained model, checked against the reference)")
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    if args.model:
        make_net, images, labels = shipped_model(args.model, args.images)
        net = make_net()
    else:
        net = ResNet20()
        net.load_state_dict(torch.load(os.path.join(REFERENCE, "resnet20-akamaster.pt"), map_location="cpu"))
        images, labels = load_images(args.images)
    net.eval()
    if len(images) != args.images:
        parser.error(f"--images {args.images}: the data holds {len(images)}")
    weights = [p.data.clone() for p in net.parameters()]
    dx, dy = filter_normalized_direction(weights), filter_normalized_direction(weights)
    channels_last = args.variant in ("channels_last", "compile-cl")
    if channels_last:
        net = net.to(memory_format=torch.channels_last)
        images = images.contiguous(memory_format=torch.channels_last)
    params = list(net.parameters())
    model, compile_seconds = net, 0.0
    if args.variant.startswith("compile"):
        model = torch.compile(net, dynamic=False)
        start = time.perf_counter()
        with torch.no_grad():
            evaluate(model, images, labels, args.batch)      # compiles each batch shape once
        compile_seconds = time.perf_counter() - start
        torch._dynamo.config.error_on_recompile = True       # a recompilation in the timed grid is an error
    else:
        with torch.no_grad():
            evaluate(model, images, labels, args.batch)      # warm-up, as the compiled variants get
    coords = np.linspace(-1, 1, args.grid)
    start, results = time.perf_counter(), []
    with torch.no_grad():
        for b in coords:
            for a in coords:
                for p, w, u, v in zip(params, weights, dx, dy):
                    p.copy_(w + a * u + b * v)                   # in place: keeps p's memory format
                results.append(evaluate(model, images, labels, args.batch))
    seconds = time.perf_counter() - start
    rate = args.grid * args.grid * len(images) / seconds
    centre_loss, centre_correct = results[(args.grid * args.grid) // 2]
    capability = torch.backends.cpu.get_cpu_capability()
    if args.json:
        print(json.dumps({"variant": args.variant, "torch": torch.__version__, "isa": capability, "model": args.model,
                          "threads": args.threads, "grid": args.grid, "images": len(images),
                          "seconds": seconds, "images_per_second": rate, "compile_seconds": compile_seconds,
                          "centre_loss": centre_loss, "centre_correct": centre_correct,
                          "corner_loss": results[0][0]}))
        return
    print(f"torch {torch.__version__} ({capability}), {args.variant}, {args.threads} threads: {args.grid}x{args.grid} points "
          f"on {len(images)} images in {seconds:.1f} s = {rate:.0f} images/s (centre loss {centre_loss:.6f}, "
          f"{centre_correct}/{len(images)} correct; corner loss {results[0][0]:.6f}"
          + (f"; compiled in {compile_seconds:.1f} s" if compile_seconds else "") + "); "
          f"51x51 on 1,000 images at this rate: {51 * 51 * 1000 / rate / 60:.1f} min")


if __name__ == "__main__":
    main()
