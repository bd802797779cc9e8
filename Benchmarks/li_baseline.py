#!/usr/bin/env python3
"""Li et al.'s surface algorithm in PyTorch on this machine: the baseline the
issue's surface target is measured against (set the weights, evaluate, per
point; Li et al. 2018, github.com/tomgoldstein/loss-landscape, plot_surface.py).

Reference CIFAR-10 ResNet-20 and the 846 CIFAR-10 test images from
../shared/reference, two random filter-normalized directions (biases and BN
ignored), eval-mode BatchNorm, batches of 128, 2 threads. Prints images/s and
what a 51x51 surface on 1,000 images would take at that rate.

    pip install torch  (CPU wheel)
    python3 Benchmarks/li_baseline.py [--grid 7] [--threads 2]
"""
import argparse, os, time
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

REFERENCE = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "reference")


class Block(nn.Module):
    def __init__(self, inp, out, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(inp, out, 3, stride, 1, bias=False); self.bn1 = nn.BatchNorm2d(out)
        self.conv2 = nn.Conv2d(out, out, 3, 1, 1, bias=False); self.bn2 = nn.BatchNorm2d(out)
        self.pad = out // 4 if stride != 1 or inp != out else None

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        shortcut = x if self.pad is None else F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, self.pad, self.pad))
        return F.relu(y + shortcut)


class ResNet20(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 16, 3, 1, 1, bias=False); self.bn1 = nn.BatchNorm2d(16)
        layers, inp = [], 16
        for width, stride in ((16, 1), (32, 2), (64, 2)):
            blocks = []
            for b in range(3):
                blocks.append(Block(inp, width, stride if b == 0 else 1)); inp = width
            layers.append(nn.Sequential(*blocks))
        self.layer1, self.layer2, self.layer3 = layers
        self.linear = nn.Linear(64, 10)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.linear(F.adaptive_avg_pool2d(x, 1).flatten(1))


def load_images(count):
    raw = np.fromfile(os.path.join(REFERENCE, "cifar10-test-head.bin"), dtype=np.uint8).reshape(-1, 3073)[:count]
    labels = torch.tensor(raw[:, 0].astype(np.int64))
    x = torch.tensor(raw[:, 1:].reshape(-1, 3, 32, 32).astype(np.float32) / 255)
    mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1); std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
    return (x - mean) / std, labels


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


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--grid", type=int, default=7)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch", type=int, default=128)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    net = ResNet20()
    net.load_state_dict(torch.load(os.path.join(REFERENCE, "resnet20-akamaster.pt"), map_location="cpu"))
    net.eval()
    images, labels = load_images(846)
    weights = [p.data.clone() for p in net.parameters()]
    dx, dy = filter_normalized_direction(weights), filter_normalized_direction(weights)
    coords = np.linspace(-1, 1, args.grid)
    start, losses = time.perf_counter(), []
    with torch.no_grad():
        for b in coords:
            for a in coords:
                for p, w, u, v in zip(net.parameters(), weights, dx, dy):
                    p.data.copy_(w + a * u + b * v)
                total = 0.0
                for i in range(0, len(images), args.batch):
                    out = net(images[i:i + args.batch])
                    total += F.cross_entropy(out, labels[i:i + args.batch], reduction="sum").item()
                losses.append(total / len(images))
    seconds = time.perf_counter() - start
    rate = args.grid * args.grid * len(images) / seconds
    centre = losses[(args.grid * args.grid) // 2]
    print(f"torch {torch.__version__}, {args.threads} threads: {args.grid}x{args.grid} points on {len(images)} images "
          f"in {seconds:.1f} s = {rate:.0f} images/s (centre loss {centre:.6f}); "
          f"51x51 on 1,000 images at this rate: {51 * 51 * 1000 / rate / 60:.1f} min")


if __name__ == "__main__":
    main()
