#!/usr/bin/env python3
"""Hessian-vector product throughput: a PyHessian-style PyTorch loop against
`landscape hessian --hvp`, and the time of the top eigenvalue (issue 16).

PyTorch side (Yao et al. 2020, github.com/amirgholami/PyHessian,
`dataloader_hv_product`): per batch, the mean cross-entropy, its gradient
with create_graph=True, then autograd.grad(g, params, grad_outputs=v) (double
backward); the batches' products weighted by batch size and averaged.
Eval-mode BatchNorm, the reference ResNet-20, the first N reference CIFAR-10
test images (846 exist), 2 threads. Configurations: plain NCHW,
channels_last, torch.compile (double backward through a compiled model
is tried; when it fails the reason is printed), and torch.func's
forward-over-reverse product (jvp of grad, "func-jvp").

landscape side: `landscape hessian --model M --data D --samples N --hvp V --out HV`
with V = ../shared/reference/hessian-v.safetensors; the seconds of the
product as the command reports them (loading excluded), median of --repeats.
Also checks that both give the same H·v (relative L2 difference).

    swift build -c release --product landscape
    pip install torch
    python3 Benchmarks/hessian_baseline.py [--samples 846] [--repeats 3] [--eigen]

--eigen also times `landscape hessian --top 1` on the same images (Lanczos,
stops once the top Ritz pair's residual is below 1e-3 of it), and against it
PyHessian's other mode, `hessian(model, criterion, data=...)`: the gradient's
graph is built once (create_graph=True, here per batch of 128, all kept) and
every product is only the double backward (retain_graph=True), as its
eigenvalue/trace/density loops do. Both sides amortize their one-off work
over the same number of products (landscape's Lanczos count): landscape's
first product fills its primal cache, PyTorch's graph is built once.

--fashion: the shipped Models/resnet20-relu.safetensors (or --model) on the
first --samples (default 1,000) Fashion-MNIST test images
(/usr/share/datasets/fashion-mnist), normalized as the model card says, and a
seeded Gaussian vector (written as safetensors for `--hvp`) instead of the
reference CIFAR-10 model, images and vector.
"""
import argparse, os, re, statistics, struct, json, subprocess, sys, tempfile, time
import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from li_baseline import ResNet20, load_images, read_safetensors, shipped_model, REFERENCE, FASHION_MNIST  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.path.join(ROOT, ".build/release/landscape")


def pyhessian_hvp(net, params, batches, v):
    """PyHessian's dataloader_hv_product: Σ_batches |B|·H_B·v / N."""
    total = 0
    result = [torch.zeros_like(p) for p in params]
    for images, labels in batches:
        net.zero_grad()
        loss = F.cross_entropy(net(images), labels)
        grads = torch.autograd.grad(loss, params, create_graph=True)
        hv = torch.autograd.grad(grads, params, grad_outputs=v, only_inputs=True, retain_graph=False)
        result = [r + h * images.size(0) for r, h in zip(result, hv)]
        total += images.size(0)
    return [r / total for r in result]


def func_hvp(net, names, params, batches, v):
    """Forward-over-reverse with torch.func (jvp of grad), the product functorch's documentation
    recommends: one forward-mode pass through the backward pass, no retained graph."""
    from torch.func import functional_call, grad, jvp
    primals = tuple(p.detach() for p in params)
    tangents = tuple(v)
    total = 0
    result = [torch.zeros_like(p) for p in params]
    for images, labels in batches:
        def loss_of(*weights):
            return F.cross_entropy(functional_call(net, dict(zip(names, weights)), (images,)), labels)
        _, hv = jvp(grad(loss_of, argnums=tuple(range(len(primals)))), primals, tangents)
        result = [r + h * images.size(0) for r, h in zip(result, hv)]
        total += images.size(0)
    return [r / total for r in result]


def write_safetensors(path, tensors):
    """name -> float32 numpy array, as a safetensors file."""
    header, offset, blobs = {}, 0, []
    for name, array in tensors.items():
        blob = np.ascontiguousarray(array, dtype=np.float32).tobytes()
        header[name] = {"dtype": "F32", "shape": list(array.shape), "data_offsets": [offset, offset + len(blob)]}
        offset += len(blob)
        blobs.append(blob)
    encoded = json.dumps(header).encode()
    encoded += b" " * (-len(encoded) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(encoded)) + encoded + b"".join(blobs))


def fashion_setup(args):
    """(make_net, images, labels, v by name, landscape model path, data path) for --fashion."""
    make_net, images, labels = shipped_model(args.model, args.samples)
    generator = np.random.default_rng(0)
    v = {name: generator.standard_normal(p.shape) for name, p in make_net().named_parameters()}
    return make_net, images, labels, v, args.model, FASHION_MNIST


def timed(function):
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def run_landscape(args, extra):
    command = [args.binary, "hessian", "--model", args.landscape_model, "--data", args.landscape_data,
               "--samples", str(args.samples), "--threads", str(args.threads)] + extra
    start = time.perf_counter()
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return output, time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int)
    parser.add_argument("--fashion", action="store_true")
    parser.add_argument("--binary", default=BINARY, help="the landscape executable")
    parser.add_argument("--model", default=os.path.join(ROOT, "Models/resnet20-relu.safetensors"))
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--eigen", action="store_true")
    parser.add_argument("--eigen-only", action="store_true", help="only the --eigen rounds (no --hvp rounds)")
    parser.add_argument("--steady-only", action="store_true", help="only the --steady rounds (no --hvp rounds)")
    parser.add_argument("--skip-compile", action="store_true")
    parser.add_argument("--steady", action="store_true",
                        help="also the steady-state product: landscape's (trace 12 - trace 2) / 10 against PyTorch's")
    args = parser.parse_args()
    args.samples = args.samples or (1000 if args.fashion else 846)
    torch.set_num_threads(args.threads)
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    print(f"CPU: {cpu}; torch {torch.__version__}, {args.threads} threads; {args.samples} images, batches of {args.batch}")

    directory = tempfile.mkdtemp()
    if args.fashion:
        make_net, images, labels, reference_v, args.landscape_model, args.landscape_data = fashion_setup(args)
        vector_path = os.path.join(directory, "v.safetensors")
        write_safetensors(vector_path, reference_v)
    else:
        def make_net():
            net = ResNet20()
            net.load_state_dict(torch.load(os.path.join(REFERENCE, "resnet20-akamaster.pt"), map_location="cpu"))
            return net
        reference_v = read_safetensors(os.path.join(REFERENCE, "hessian-v.safetensors"))
        images, labels = load_images(args.samples)
        vector_path = os.path.join(REFERENCE, "hessian-v.safetensors")
        args.landscape_model = os.path.join(REFERENCE, "resnet20-akamaster.safetensors")
        args.landscape_data = os.path.join(REFERENCE, "cifar10-test-head.bin")
    print(f"  model {args.landscape_model}, data {args.landscape_data}; load average {os.getloadavg()[0]:.1f}")

    # Every configuration is set up and warmed once; then the rounds alternate PyTorch's configurations
    # and landscape, so a change in the machine's load falls on all of them alike.
    contenders = {}
    for config in ["nchw"] if args.eigen_only or args.steady_only else ["nchw", "channels_last", "compile", "func-jvp"]:
        if config == "compile" and args.skip_compile:
            continue
        net = make_net()
        net.eval()
        x = images
        if config == "channels_last":
            net = net.to(memory_format=torch.channels_last)
            x = images.contiguous(memory_format=torch.channels_last)
        names = [name for name, _ in net.named_parameters()]
        params = [p for _, p in net.named_parameters()]
        v = [torch.tensor(reference_v[name], dtype=torch.float32) for name in names]
        batches = [(x[i:i + args.batch], labels[i:i + args.batch]) for i in range(0, len(x), args.batch)]
        model = net
        if config == "compile":
            try:
                model = torch.compile(net)
            except Exception as error:  # noqa: BLE001
                print(f"  torch.compile: unavailable ({type(error).__name__}: {error})")
                continue
        if config == "func-jvp":
            run = (lambda m, n, p, b, v: lambda: func_hvp(m, n, p, b, v))(net, names, params, batches, v)
        else:
            run = (lambda m, p, b, v: lambda: pyhessian_hvp(m, p, b, v))(model, params, batches, v)
        try:
            run()  # warm-up (and compilation)
        except Exception as error:  # noqa: BLE001
            print(f"  {config}: double backward failed ({type(error).__name__}: {str(error).splitlines()[0][:200]})")
            continue
        contenders[config] = (names, run)

    out = os.path.join(directory, "hv.safetensors")
    hvp_arguments = ["--hvp", vector_path, "--out", out]

    def landscape_once():
        output, _ = run_landscape(args, hvp_arguments)
        return float(re.search(r"images, ([0-9.]+) s", output).group(1))

    if args.eigen_only:
        eigen(args, make_net, images, labels, reference_v, contenders)
        return
    if args.steady_only:
        steady(args, make_net, images, labels, reference_v, contenders)
        return
    landscape_once()  # warm-up (page cache)
    times = {config: [] for config in contenders}
    ours_times = []
    torch_hv = {}
    for _ in range(args.repeats):
        for config, (names, run) in contenders.items():
            seconds, hv = timed(run)
            times[config].append(seconds)
            torch_hv[config] = {name: h.detach().double().numpy() for name, h in zip(names, hv)}
        ours_times.append(landscape_once())
    results = {config: (statistics.median(times[config]), torch_hv[config]) for config in contenders}
    for config, (seconds, _) in results.items():
        print(f"  PyTorch {config:14s}: {seconds:7.2f} s per H·v = {args.samples / seconds:7.1f} images/s "
              f"(runs {', '.join(f'{t:.2f}' for t in times[config])})")
    ours = statistics.median(ours_times)
    hv = read_safetensors(out)
    print(f"  landscape          : {ours:7.2f} s per H·v = {args.samples / ours:7.1f} images/s "
          f"(runs {', '.join(f'{t:.2f}' for t in ours_times)})")
    for config, (_, torch_hv) in results.items():
        difference = sum(((hv[n] - torch_hv[n]) ** 2).sum() for n in torch_hv)
        norm = sum((torch_hv[n] ** 2).sum() for n in torch_hv)
        # ReLU makes H·v discontinuous in the weights: a pre-activation within float32 rounding of 0
        # may land on either side (README: on 846 images, two units of image 160 give 3e-4).
        print(f"  relative L2 difference landscape vs PyTorch {config}: {np.sqrt(difference / norm):.2e}")
    if results:
        best = min(results, key=lambda k: results[k][0])
        print(f"  fastest PyTorch configuration: {best}; landscape / PyTorch throughput: {results[best][0] / ours:.2f}x "
              f"(target >= 1.5x)")

    if args.eigen:
        eigen(args, make_net, images, labels, reference_v, contenders)
    if args.steady:
        steady(args, make_net, images, labels, reference_v, contenders)


def retained_products(make_net, images, labels, v, batch, count, channels_last=False):
    """PyHessian's in-memory mode: each batch's gradient graph built once, then `count` double backwards
    over all of them; returns (seconds to build, seconds per product) and the last product.
    `channels_last`: model and images in NHWC memory format (what a PyTorch user on a CPU would try)."""
    net = make_net()
    net.eval()
    if channels_last:
        net = net.to(memory_format=torch.channels_last)
        images = images.contiguous(memory_format=torch.channels_last)
    params = [p for _, p in net.named_parameters()]
    vectors = [torch.tensor(v[name], dtype=torch.float32) for name, _ in net.named_parameters()]
    start = time.perf_counter()
    graphs = []
    for i in range(0, len(images), batch):
        loss = F.cross_entropy(net(images[i:i + batch]), labels[i:i + batch])
        graphs.append((torch.autograd.grad(loss, params, create_graph=True), len(images[i:i + batch])))
    build = time.perf_counter() - start
    start = time.perf_counter()
    for _ in range(min(count, 1)):   # timed on 1 product: each takes about as long as a loop product
        result = [torch.zeros_like(p) for p in params]
        for grads, size in graphs:
            hv = torch.autograd.grad(grads, params, grad_outputs=vectors, retain_graph=True)
            result = [r + h * size for r, h in zip(result, hv)]
    return build, time.perf_counter() - start


def eigen(args, make_net, images, labels, v, contenders):
    """Alternates `landscape hessian --top 1`, one PyHessian loop product (NCHW) and PyHessian's
    retained-graph products, --repeats rounds."""
    ours, theirs, loop = [], [], []
    for round in range(args.repeats):
        with tempfile.TemporaryDirectory() as directory:
            output, wall = run_landscape(args, ["--top", "1", "--out", directory])
            spectrum = json.load(open(next(os.path.join(directory, f) for f in os.listdir(directory) if f.endswith(".hessian.json"))))
        products, seconds = spectrum["timing"]["products"], spectrum["timing"]["seconds"]
        ours.append((wall, seconds / products, products, spectrum["top_eigenvalues"][0]))
        loop.append(timed(contenders["nchw"][1])[0])
        build, per_product = retained_products(make_net, images, labels, v, args.batch, products)
        theirs.append((build + products * per_product) / products)
        print(f"  round {round + 1}: landscape --top 1: {wall:.1f} s wall, {products} products, {seconds / products:.2f} s each "
              f"(λ1 {spectrum['top_eigenvalues'][0]:.4f}); PyTorch retained graph: build {build:.2f} s + {per_product:.2f} s "
              f"per product = {theirs[-1]:.2f} s per product over {products}; PyHessian loop {loop[-1]:.2f} s per product; "
              f"load {os.getloadavg()[0]:.1f}")
    wall = statistics.median(w for w, _, _, _ in ours)
    mine = statistics.median(p for _, p, _, _ in ours)
    other, looped = statistics.median(theirs), statistics.median(loop)
    print(f"  top eigenvalue on {args.samples} images: median {wall:.1f} s wall (target <= 60 s); per product "
          f"landscape {mine:.2f} s (first product included), PyHessian loop {looped:.2f} s: {looped / mine:.2f}x "
          f"(target >= 1.5x); PyTorch retained graph {other:.2f} s: {other / mine:.2f}x")


def steady(args, make_net, images, labels, v, contenders):
    """The product a long run (Lanczos, trace probes, density) pays for each step once set-up is done:
    landscape's `--trace 12` minus `--trace 2` (the first product fills the primal cache; both runs pay it)
    over 10 products, against one PyHessian loop product (NCHW) and PyHessian's retained-graph product in
    NCHW and in channels_last (the graph's build excluded, as a long run amortizes it). Alternating,
    --repeats rounds."""
    ours, loop, retained, retained_cl = [], [], [], []
    for round in range(args.repeats):
        seconds = {}
        for probes in (2, 12):
            with tempfile.TemporaryDirectory() as directory:
                run_landscape(args, ["--top", "0", "--trace", str(probes), "--out", directory])
                spectrum = json.load(open(next(os.path.join(directory, f) for f in os.listdir(directory) if f.endswith(".hessian.json"))))
            seconds[probes] = spectrum["timing"]["seconds"]
        ours.append((seconds[12] - seconds[2]) / 10)
        loop.append(timed(contenders["nchw"][1])[0])
        retained.append(retained_products(make_net, images, labels, v, args.batch, 1)[1])
        retained_cl.append(retained_products(make_net, images, labels, v, args.batch, 1, channels_last=True)[1])
        print(f"  steady round {round + 1}: landscape {ours[-1]:.2f} s per product (trace 2: {seconds[2]:.1f} s, "
              f"trace 12: {seconds[12]:.1f} s); PyHessian loop {loop[-1]:.2f} s; PyTorch retained graph {retained[-1]:.2f} s, "
              f"channels_last {retained_cl[-1]:.2f} s; load {os.getloadavg()[0]:.1f}")
    mine, looped = statistics.median(ours), statistics.median(loop)
    kept, kept_cl = statistics.median(retained), statistics.median(retained_cl)
    best = min(looped, kept, kept_cl)
    paired = statistics.median(min(l, r, c) / o for o, l, r, c in zip(ours, loop, retained, retained_cl))
    print(f"  steady-state H·v on {args.samples} images: landscape {mine:.2f} s, PyHessian loop {looped:.2f} s: "
          f"{looped / mine:.2f}x (target >= 1.5x); PyTorch retained graph {kept:.2f} s: {kept / mine:.2f}x, "
          f"with channels_last {kept_cl:.2f} s: {kept_cl / mine:.2f}x; against the fastest PyTorch side "
          f"{best / mine:.2f}x ({paired:.2f}x paired by round)")


if __name__ == "__main__":
    main()
