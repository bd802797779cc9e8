"""Synthetic, schema-exact data for the page's development mock (see mock_api.py).

Nothing here is a real loss landscape: the surfaces are analytic bowls whose
sharpness differs per activation, so the page has something plausible to draw.
The JSON shapes follow /work/notes/api.md exactly.
"""
import hashlib
import math
import random
import struct
import zlib

MODELS = {
    # name: (activation, test accuracy, centre loss, curvature, anisotropy)
    "resnet20-relu": ("relu", 0.9212, 0.262, 2.6, 1.35),
    "resnet20-swish": ("swish", 0.9238, 0.251, 1.9, 1.25),
    "resnet20-mish": ("mish", 0.9261, 0.244, 1.6, 1.2),
}


def model_listing(name):
    activation, accuracy, loss, _, _ = MODELS[name]
    sha = hashlib.sha256(name.encode()).hexdigest()
    card = {"name": name, "architecture": "resnet20", "activation": activation, "dataset": "fashion-mnist",
            "preprocessing": {"mean": [0.286], "std": [0.353]},
            "metrics": {"test_accuracy": accuracy, "test_loss": loss, "train_loss": loss * 0.4},
            "recipe": {"epochs": 30, "optimizer": "sgd", "lr": 0.1, "momentum": 0.9, "weight_decay": 5e-4}}
    return {"id": name, "name": name, "path": f"Models/{name}.safetensors", "activation": activation,
            "architecture": "resnet20", "sha256": sha, "parameter_count": 272474, "card": card}


def parse_axis(text, field):
    """'start:end:count' -> (start, end, count); raises ValueError naming the field."""
    parts = str(text).split(":")
    if len(parts) != 3:
        raise ValueError(f"{field}: expected 'start:end:count', got '{text}'")
    try:
        start, end, count = float(parts[0]), float(parts[1]), int(parts[2])
    except ValueError:
        raise ValueError(f"{field}: expected numbers in 'start:end:count', got '{text}'") from None
    if count < 2 or not end > start:
        raise ValueError(f"{field}: expected at least 2 points and end > start, got '{text}'")
    return start, end, count


DIVERGES_BEYOND = 1.5  # the mock's stand-in for float32 overflow: points with |x| or |y| beyond this diverge


def coordinates(axis):
    start, end, count = axis
    return [start] if count == 1 else [round(start + (end - start) * i / (count - 1), 10) for i in range(count)]


def true_value(model, x, y):
    """Analytic bowl with a gentle ripple; returns (loss, accuracy, stderr)."""
    _, accuracy, centre, curvature, aniso = MODELS[model]
    r2 = x * x + aniso * y * y
    loss = centre + curvature * r2 + 0.08 * r2 * math.sin(3 * x + 2 * y) + 0.3 * r2 * r2
    acc = 0.1 + (accuracy - 0.1) * math.exp(-0.45 * (loss - centre))
    return loss, acc, 0.018 * loss


def axis_levels(count):
    """Bisection level per index, as Landscape.ProgressiveOrder does."""
    level = [10 ** 9] * count
    if count == 0:
        return level
    level[0] = level[count - 1] = 0
    intervals, depth = [(0, count - 1)], 1
    while intervals:
        nxt = []
        for lo, hi in intervals:
            if hi - lo > 1:
                mid = (lo + hi) // 2
                level[mid] = min(level[mid], depth)
                nxt += [(lo, mid), (mid, hi)]
        intervals, depth = nxt, depth + 1
    return level


def progressive_order(xs, ys):
    cl, rl = axis_levels(len(xs)), axis_levels(len(ys))
    cx = min(range(len(xs)), key=lambda i: abs(xs[i]))
    cy = min(range(len(ys)), key=lambda i: abs(ys[i]))
    centre = cy * len(xs) + cx
    points = list(range(len(xs) * len(ys)))
    points.sort(key=lambda p: (p != centre, max(cl[p % len(xs)], rl[p // len(xs)]), p))
    return points


class Surface:
    """One surface of the mock store; grids hold None until a point is computed."""

    def __init__(self, model, x_axis, y_axis, seed, samples, norm, bn_mode, dataset, shipped):
        self.model, self.x_axis, self.y_axis = model, x_axis, y_axis
        self.seed, self.samples, self.norm, self.bn_mode = seed, samples, norm, bn_mode
        self.dataset, self.shipped = dataset, shipped
        key = f"{model}|{x_axis}|{y_axis}|{seed}|{samples}|{norm}|{bn_mode}|{dataset}"
        self.id = f"{model}-{hashlib.sha256(key.encode()).hexdigest()[:8]}"
        self.xs = coordinates(x_axis)
        self.ys = coordinates(y_axis) if y_axis else [0.0]
        rows, cols = len(self.ys), len(self.xs)
        self.loss = [[None] * cols for _ in range(rows)]
        self.accuracy = [[None] * cols for _ in range(rows)]
        self.stderr = [[None] * cols for _ in range(rows)]
        self.diverged = [[False] * cols for _ in range(rows)]
        self.shared_with = []
        self.seconds = 0.0

    @property
    def columns(self):
        return len(self.xs)

    @property
    def total(self):
        return len(self.xs) * len(self.ys)

    def computed(self):
        """Points done: with a loss, or diverged (as the real store counts them)."""
        return sum(v is not None or d for lr, dr in zip(self.loss, self.diverged) for v, d in zip(lr, dr))

    def is_done(self, row, col):
        return self.loss[row][col] is not None or self.diverged[row][col]

    def compute(self, index):
        row, col = divmod(index, self.columns)
        x, y = self.xs[col], self.ys[row] if self.y_axis else 0.0
        diverged = max(abs(x), abs(y)) > DIVERGES_BEYOND
        loss, acc, err = (None, None, None) if diverged else true_value(self.model, x, y)
        self.loss[row][col], self.accuracy[row][col], self.stderr[row][col] = loss, acc, err
        self.diverged[row][col] = diverged
        return {"surface_id": self.id, "index": index, "x": self.xs[col],
                "y": self.ys[row] if self.y_axis else None, "loss": loss, "accuracy": acc, "loss_stderr": err,
                "diverged": diverged}

    def fill(self):
        for i in range(self.total):
            self.compute(i)

    def summary(self):
        if self.computed() < self.total:
            return None
        flat = [(self.loss[r][c], self.xs[c], self.ys[r]) for r in range(len(self.ys)) for c in range(self.columns)
                if self.loss[r][c] is not None]
        best = min(flat)
        centre_loss, centre_acc, _ = true_value(self.model, 0.0, 0.0)
        curvature = MODELS[self.model][3]
        return {"centre_loss": centre_loss, "centre_accuracy": centre_acc, "minimum_loss": best[0],
                "minimum_at": [best[1], best[2]], "widths": [0.9 / curvature, 0.8 / curvature],
                "curvature": [2 * curvature, 2 * curvature * MODELS[self.model][4]]}

    def grid_text(self):
        def axis(a):
            return f"{a[0]:g}:{a[1]:g}:{a[2]}"
        return f"x {axis(self.x_axis)}" + (f" × y {axis(self.y_axis)}" if self.y_axis else "")

    def model_json(self):
        activation, accuracy = MODELS[self.model][0], MODELS[self.model][1]
        return {"name": self.model, "activation": activation, "architecture": "resnet20",
                "sha256": hashlib.sha256(self.model.encode()).hexdigest(), "test_accuracy": accuracy}

    def listing(self):
        return {"id": self.id, "model": self.model_json(), "grid": self.grid_text(), "columns": self.columns,
                "rows": len(self.ys), "two_dimensional": self.y_axis is not None,
                "progress": {"computed": self.computed(), "total": self.total}, "summary": self.summary(),
                "shared_with": self.shared_with, "directions_seed": self.seed, "samples": self.samples,
                "dataset": self.dataset, "shipped": self.shipped}

    def full(self):
        model = dict(self.model_json(), path=f"Models/{self.model}.safetensors")
        axis = lambda a: {"start": a[0], "end": a[1], "count": a[2]}
        return {"version": 1, "id": self.id, "producer": "landscape-mock 0.1.0", "model": model,
                "dataset": {"name": self.dataset, "path": "/usr/share/datasets/" + self.dataset, "split": "test",
                            "samples": self.samples, "subset": "first", "subset_seed": 0, "mean": [0.286],
                            "std": [0.353], "content_sha256": "0" * 64},
                "directions": {"kind": "random", "seed": self.seed, "normalization": self.norm, "ignore": "biasbn",
                               "mode": "weights", "shared_with": self.shared_with, "endpoints": [],
                               "file": f"directions-{self.seed}.safetensors", "note": "synthetic (mock server)"},
                "bn_mode": self.bn_mode,
                "grid": {"x": axis(self.x_axis), "y": axis(self.y_axis) if self.y_axis else None},
                "x": self.xs, "y": self.ys if self.y_axis else None,
                "loss": self.loss, "accuracy": self.accuracy, "loss_stderr": self.stderr,
                **({"diverged": self.diverged} if any(any(r) for r in self.diverged) else {}),
                "summary": self.summary(),
                "progress": {"computed": self.computed(), "total": self.total, "order": "progressive"},
                "timing": {"seconds": self.seconds, "images_per_second": 2100.0, "updated": "2025-01-01T00:00:00Z"}}


# --- activations -----------------------------------------------------------

def _softplus(x):
    return math.log1p(math.exp(-abs(x))) + max(x, 0.0)


ACTIVATIONS = {
    "relu": ("ReLU", lambda x: max(x, 0.0)),
    "swish": ("Swish", lambda x: x / (1 + math.exp(-x))),
    "mish": ("Mish", lambda x: x * math.tanh(_softplus(x))),
    "gelu": ("GELU", lambda x: 0.5 * x * (1 + math.erf(x / math.sqrt(2)))),
    "elu": ("ELU", lambda x: x if x > 0 else math.expm1(x)),
    "leaky_relu": ("Leaky ReLU", lambda x: x if x > 0 else 0.01 * x),
    "softplus": ("Softplus", _softplus),
    "tanh": ("Tanh", math.tanh),
    # Nish-t with t = 1 (LandscapeEngine.ActivationMath): x for x >= 0, t·e·(2.5 − 1.5e)·(e − 1) with e = e^(x/t) below.
    "nish": ("Nish (t = 1.0)", lambda x: x if x >= 0 else math.exp(x) * (2.5 - 1.5 * math.exp(x)) * math.expm1(x)),
}


def activation_json(names, lo, hi, points):
    xs = [lo + (hi - lo) * i / (points - 1) for i in range(points)]
    h = 1e-4
    out = []
    for name in names:
        display, f = ACTIVATIONS[name]
        fs = [f(x) for x in xs]
        df = [(f(x + h) - f(x - h)) / (2 * h) for x in xs]
        d2f = [(f(x + h) - 2 * f(x) + f(x - h)) / (h * h) for x in xs]
        out.append({"name": name, "display_name": display, "f": fs, "df": df, "d2f": d2f,
                    "minimum": _minimum(f, xs, fs)})
    return {"x": xs, "activations": out}


def _minimum(f, xs, fs):
    i = min(range(len(fs)), key=fs.__getitem__)
    if i in (0, len(fs) - 1) or fs[i] >= 0 or fs[i] == fs[i - 1]:
        return None  # no strict interior minimum (ReLU, tanh, ...)
    a, b = xs[i - 1], xs[i + 1]
    for _ in range(60):  # ternary search on the bracketing interval
        m1, m2 = a + (b - a) / 3, b - (b - a) / 3
        a, b = (a, m2) if f(m1) < f(m2) else (m1, b)
    x = (a + b) / 2
    return {"x": x, "value": f(x)}


# --- PNGs ----------------------------------------------------------------------

def png(width, height, pixel):
    """Encodes an RGB PNG; pixel(x, y) -> (r, g, b) bytes."""
    raw = b"".join(b"\x00" + bytes(c for x in range(width) for c in pixel(x, y)) for y in range(height))
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b"")


def output_landscape_png(names, seed, size, lo, hi):
    """Random 2-16-8-1 MLPs with the given activations, evaluated on a grid, greyscale-ish viridis."""
    size = max(16, min(size, 160))
    fields = []
    for name in names:
        rng = random.Random(seed)
        f = ACTIVATIONS[name][1]
        w1 = [[rng.gauss(0, 1) for _ in range(2)] for _ in range(16)]
        w2 = [[rng.gauss(0, 0.5) for _ in range(16)] for _ in range(8)]
        w3 = [rng.gauss(0, 0.7) for _ in range(8)]
        vals = []
        for j in range(size):
            for i in range(size):
                u = lo + (hi - lo) * i / (size - 1)
                v = lo + (hi - lo) * j / (size - 1)
                h1 = [f(a * u + b * v) for a, b in w1]
                h2 = [f(sum(w * h for w, h in zip(row, h1))) for row in w2]
                vals.append(sum(w * h for w, h in zip(w3, h2)))
        vmin, vmax = min(vals), max(vals)
        fields.append([(v - vmin) / (vmax - vmin or 1) for v in vals])
    gap = 4
    width = len(names) * size + (len(names) - 1) * gap

    def pixel(x, y):
        panel, i = divmod(x, size + gap)
        if i >= size:
            return (255, 255, 255)
        t = fields[panel][y * size + i]
        return (int(68 + 185 * t * t), int(1 + 230 * t), int(84 + 60 * math.sin(math.pi * t)))
    return png(width, size, pixel)


def hessian_result(run_id, body):
    """Synthetic spectra shaped like GET /api/hessian/{id} (mock numbers, not a computation)."""
    spectra = []
    for i, model in enumerate(body["models"]):
        scale = 40.0 * (1 + 0.3 * i)
        top = [scale / (k + 1) for k in range(body.get("top", 5))]
        grid = [-5 + 0.5 * k for k in range(int(2 * scale / 0.5) + 11)]
        density = [math.exp(-(g / 2) ** 2) + 1e-4 for g in grid] if body.get("density") else None
        listing = model_listing(model)
        spectra.append({
            "format_version": 1, "model": {"name": model, "sha256": listing["sha256"], "architecture": "resnet20",
                                           "activation": listing["activation"]},
            "samples": body.get("samples", 1000), "seed": body.get("seed", 0), "parameter_count": listing["parameter_count"],
            "top_eigenvalues": top, "top_residuals": [0.0] * len(top), "lanczos_steps": body.get("lanczos_steps", 100),
            "trace": 900.0 + 150 * i if body.get("trace_probes") else None,
            "trace_stderr": 40.0 if body.get("trace_probes") else None, "trace_probes": body.get("trace_probes", 0),
            "density": {"grid": grid, "density": density, "variance": 0.1, "runs": [], "steps": body.get("density_steps", 100)}
            if density else None,
            "timing": {"seconds": 3.0, "products": 10, "seconds_per_product": 0.3, "threads": 2}})
    run = {"id": run_id, "models": body["models"], "files": [f"{m}.hessian.json" for m in body["models"]],
           "dataset": body.get("dataset", "fashion-mnist"), "samples": body.get("samples", 1000), "seed": body.get("seed", 0),
           "top": body.get("top", 5), "created": "2026-12-06T00:00:00Z"}
    return {"run": run, "spectra": spectra}


def study_result(study_id, body, seeds, points):
    """Synthetic seed study shaped like GET /api/studies/{id} (mock numbers, not a computation)."""
    def estimate(values):
        n = len(values)
        mean = sum(values) / n
        sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
        half = 12.706 * sd / math.sqrt(n) if n == 2 else 2.0 * sd / math.sqrt(n)
        return {"n": n, "mean": mean, "sd": sd, "ci_low": mean - half, "ci_high": mean + half, "confidence": 0.95}
    models = []
    for i, name in enumerate(body["models"]):
        listing = model_listing(name)
        per_seed = [{"seed": s, "surface_id": f"mock-{name}-{s}", "surface_file": None, "centre_loss": 0.3,
                     "curvature": 2.0 + i + 0.1 * ((s * 7 + i) % 5), "width": 0.8 - 0.1 * i + 0.02 * (s % 3),
                     "width_bounded": True, "axes": []} for s in seeds]
        models.append({"model": {"name": name, "sha256": listing["sha256"], "architecture": "resnet20",
                                 "activation": listing["activation"]},
                       "label": listing["activation"].capitalize(), "per_seed": per_seed,
                       "curvature": estimate([p["curvature"] for p in per_seed]),
                       "width": estimate([p["width"] for p in per_seed]), "unbounded_widths": 0})
    comparisons = []
    for i in range(len(models)):
        for j in range(i + 1, len(models)):
            a, b = models[i], models[j]
            comparisons.append({"a": a["label"], "b": b["label"], "seeds": len(seeds), "a_flatter": len(seeds), "b_flatter": 0,
                                "ties": 0, "curvature_ratio": None, "ratio_excluded_seeds": 0,
                                "sentence": f"{a['label']} is flatter than {b['label']} on {len(seeds)} of {len(seeds)} seeds"})
    return {"version": 1, "id": study_id, "seeds": seeds, "dimensions": 2 if body.get("y") else 1,
            "width_threshold": body.get("width_threshold", 0.1), "confidence": 0.95,
            "dataset": {"name": body.get("dataset", "fashion-mnist"), "samples": body.get("samples", 1000)},
            "normalization": "filter", "bn_mode": "eval", "models": models, "comparisons": comparisons,
            "note": "mock numbers", "producer": "mock"}
