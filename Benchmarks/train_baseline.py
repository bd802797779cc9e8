#!/usr/bin/env python3
"""PyTorch training throughput on what `landscape train` trains (issue 20, item
4c): ResNet-20 with a 1-channel input, the first N Fashion-MNIST training
images (normalized with mean 0.2860406 / std 0.3530242, random crop with
padding 2 as the engine's standard augmentation), batches of 128, SGD with
learning rate 0.1, momentum 0.9, weight decay 5e-4, cross-entropy, 2 threads.

Variants: eager (NCHW), channels_last, compile, compile-cl (torch.compile of
the model; the optimizer step stays eager). Each run first takes --warmup
untimed steps (compilation happens there), then times one pass over the N
images and prints images/s (the last, smaller batch included).

Compare with `landscape train --arch resnet20 --data /usr/share/datasets/fashion-mnist
--train-limit 6400 --eval-limit 1000 --epochs 1 --batch 128 --lr 0.1 --momentum 0.9 --weight-decay 5e-4 --threads 2 --out /tmp/x.safetensors`
(its per-epoch img/s), run alternately on the same machine.

    python3 Benchmarks/train_baseline.py [--variant eager] [--images 6400] [--threads 2] [--activation relu|swish|mish] [--json]
"""
import argparse, json, os, sys, time
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from li_baseline import ACTIVATIONS, ResNet20, find_idx, read_idx  # noqa: E402

MEAN, STD = 0.2860406, 0.3530242   # the engine's Fashion-MNIST normalization (README → Models)
PADDING = 2                         # the engine's standard random crop on 28x28 images
VARIANTS = ("eager", "channels_last", "compile", "compile-cl")


def random_crop(batch, generator):
    """Pad by PADDING with the normalized value of a black pixel and crop back to h x w at a random offset."""
    n, c, h, w = batch.shape
    padded = F.pad(batch, (PADDING,) * 4, value=(0 - MEAN) / STD)
    dy = torch.randint(0, 2 * PADDING + 1, (n,), generator=generator)
    dx = torch.randint(0, 2 * PADDING + 1, (n,), generator=generator)
    rows = (dy.view(n, 1) + torch.arange(h)).view(n, 1, h, 1).expand(n, c, h, w + 2 * PADDING)
    cropped = padded.gather(2, rows)
    cols = (dx.view(n, 1) + torch.arange(w)).view(n, 1, 1, w).expand(n, c, h, w)
    return cropped.gather(3, cols)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    parser.add_argument("--images", type=int, default=6400)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps before the timed pass")
    parser.add_argument("--variant", choices=VARIANTS, default="eager")
    parser.add_argument("--activation", choices=sorted(ACTIVATIONS), default="relu")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    images = read_idx(find_idx(args.data, "train-images-idx3-ubyte"), args.images)
    labels = torch.tensor(read_idx(find_idx(args.data, "train-labels-idx1-ubyte"), args.images).astype(np.int64))
    if len(images) < args.images:
        parser.error(f"--images {args.images}: the training split holds {len(images)}")
    x = (torch.tensor(images, dtype=torch.float32).unsqueeze(1) / 255 - MEAN) / STD
    net = ResNet20(ACTIVATIONS[args.activation])
    net.conv1 = nn.Conv2d(1, 16, 3, 1, 1, bias=False)
    net.train()
    channels_last = args.variant in ("channels_last", "compile-cl")
    if channels_last:
        net = net.to(memory_format=torch.channels_last)
    model = torch.compile(net) if args.variant.startswith("compile") else net
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
    generator = torch.Generator().manual_seed(0)

    def step(indices):
        batch = random_crop(x[indices], generator)
        if channels_last:
            batch = batch.contiguous(memory_format=torch.channels_last)
        optimizer.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(batch), labels[indices])
        loss.backward()
        optimizer.step()
        return loss.item()

    start = time.perf_counter()
    for _ in range(args.warmup):
        step(torch.randperm(args.images, generator=generator)[:args.batch])
    warmup_seconds = time.perf_counter() - start
    order = torch.randperm(args.images, generator=generator)
    start, losses = time.perf_counter(), []
    for i in range(0, args.images, args.batch):
        losses.append(step(order[i:i + args.batch]))
    seconds = time.perf_counter() - start
    rate = args.images / seconds
    result = {"variant": args.variant, "torch": torch.__version__, "isa": torch.backends.cpu.get_cpu_capability(),
              "threads": args.threads, "images": args.images, "batch": args.batch, "seconds": seconds,
              "images_per_second": rate, "warmup_seconds": warmup_seconds,
              "first_loss": losses[0], "last_loss": losses[-1]}
    if args.json:
        print(json.dumps(result))
    else:
        print(f"torch {torch.__version__} ({result['isa']}), {args.variant}, {args.threads} threads: one pass over "
              f"{args.images} Fashion-MNIST images in batches of {args.batch}: {seconds:.1f} s = {rate:.0f} images/s "
              f"(loss {losses[0]:.3f} -> {losses[-1]:.3f}; warm-up {warmup_seconds:.1f} s)")


if __name__ == "__main__":
    main()
