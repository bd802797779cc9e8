#!/usr/bin/env python3
"""Development mock of `landscape serve` for the browser page (standard library only).

Serves Public/ and implements the HTTP API of /work/notes/api.md with synthetic
data (mock_data.py): three shipped 41×41 surfaces sharing directions, jobs that
fill a surface coarse-to-fine over about 3 s with SSE progress/point/done events,
GET /api/limits and the request schema of GET /api/openapi.json. Points with |x|
or |y| beyond 1.5 diverge (null loss, diverged: true), so a grid such as
-2:2:9 shows diverged cells. POST /api/hessian runs a mock Hessian job (progress in
products over about 3 s) whose GET /api/hessian/{id} holds synthetic spectra (not real
numbers), for the Sharpness tab.

    python3 Tests/browser/mock_api.py --port 8421
"""
import argparse
import datetime
import json
import mimetypes
import os
import re
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mock_data as data  # noqa: E402

PUBLIC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Public")
JOB_SECONDS = 3.0  # how long a mock job takes, whatever its size
# GET /api/limits (the shape the page reads, Public/js/limits.js); requests are checked against it too.
LIMITS = {"max_models": 6, "max_grid_points": 101 * 101, "max_samples": 10000, "max_activations": 8,
          "activations": ["relu", "swish", "mish", "gelu", "elu", "leaky_relu", "softplus", "tanh", "nish"],
          "levels": {"min": 2, "max": 100, "default": 20},
          "output_landscape": {"sizes": [128, 192, 256], "default": 256, "max": 512}}
# The Hessian request's fields as the real server publishes them (HessianSpec.fields), for the Sharpness tab.
HESSIAN_FIELD = lambda name, type_, default, minimum=None, maximum=None, allowed=None: {
    "name": name, "type": type_, "description": name, "default": default, "allowed": allowed, "minimum": minimum,
    "maximum": maximum, "required": name == "models", "exclusive_minimum": False}
LIMITS["hessian_fields"] = [
    HESSIAN_FIELD("models", "array", None, 1, 6), HESSIAN_FIELD("dataset", "string", "fashion-mnist"),
    HESSIAN_FIELD("split", "string", "test", allowed=["train", "test"]), HESSIAN_FIELD("samples", "integer", "1000", 1, 10000),
    HESSIAN_FIELD("subset", "string", "first", allowed=["first", "random", "balanced"]), HESSIAN_FIELD("subset_seed", "integer", "0", 0),
    HESSIAN_FIELD("top", "integer", "5", 0, 500), HESSIAN_FIELD("negative", "boolean", "false"),
    HESSIAN_FIELD("lanczos_steps", "integer", "100", 1, 500), HESSIAN_FIELD("trace_probes", "integer", "0", 0, 2000),
    HESSIAN_FIELD("density", "boolean", "false"), HESSIAN_FIELD("density_runs", "integer", "1", 1, 20),
    HESSIAN_FIELD("density_steps", "integer", "100", 2, 500), HESSIAN_FIELD("seed", "integer", "0", 0)]
# The seed study request's fields as the real server publishes them (SeedStudySpec.fields: its own, then the
# surface's less seed), for the Sharpness tab's study form.
LIMITS["study_fields"] = [
    dict(HESSIAN_FIELD("seeds", "string", None, 2, 100), required=True),
    HESSIAN_FIELD("width_threshold", "number", "0.1", allowed=["0.1", "1.0"]),
    HESSIAN_FIELD("models", "array", None, 1, 6), HESSIAN_FIELD("dataset", "string", "fashion-mnist"),
    HESSIAN_FIELD("split", "string", "test", allowed=["train", "test"]), dict(HESSIAN_FIELD("x", "string", "-1:1:21"), required=True),
    HESSIAN_FIELD("y", "string", None), HESSIAN_FIELD("samples", "integer", "1000", 1, 10000),
    HESSIAN_FIELD("subset", "string", "first", allowed=["first", "random", "balanced"]), HESSIAN_FIELD("subset_seed", "integer", "0", 0),
    HESSIAN_FIELD("norm", "string", "filter", allowed=["filter", "layer", "weight", "none"]),
    HESSIAN_FIELD("bn_mode", "string", "eval", allowed=["eval", "recompute"])]
# The part of GET /api/openapi.json the page reads: the request schema's defaults, choices and examples.
# Downloads the mock offers (the real server lists PNG, SVG, PDF and every export format): PNG and CSV.
DOWNLOAD = lambda summary, ctype: {"get": {"summary": summary, "parameters": [], "responses": {
    "200": {"description": ctype, "content": {ctype: {"schema": {"type": "string", "format": "binary"}}}}}}}
OPENAPI = {"openapi": "3.0.3", "info": {"title": "landscape (mock)", "version": "0.1.0"},
           "paths": {"/api/surfaces/{id}.png": DOWNLOAD("picture (mock: a tiny gradient)", "image/png"),
                     "/api/surfaces/{id}.csv": DOWNLOAD("CSV, long form", "text/csv")},
           "components": {"schemas": {"SurfaceRequest": {"type": "object", "required": ["models", "x"], "properties": {
               "models": {"type": "array", "items": {"type": "string"}}, "dataset": {"type": "string"},
               "x": {"type": "string", "example": "-1:1:21"}, "y": {"type": "string", "example": "-1:1:21"},
               "samples": {"type": "integer", "default": 1000}, "seed": {"type": "integer", "default": 0},
               "norm": {"type": "string", "enum": ["filter", "layer", "weight", "none"]},
               "bn_mode": {"type": "string", "enum": ["eval", "recompute"], "default": "eval"},
               "bn_batches": {"type": "integer", "minimum": 1, "default": 8},
               "bn_batch_size": {"type": "integer", "minimum": 2, "default": 128}}}}}}
LOCK = threading.Condition()
SURFACES = {}
JOBS = {}


class ApiError(Exception):
    def __init__(self, status, error, detail=""):
        super().__init__(error)
        self.status, self.error, self.detail = status, error, detail


def link(surfaces):
    for s in surfaces:
        s.shared_with = [o.id for o in surfaces if o is not s]


def ship():
    shipped = [data.Surface(m, (-1, 1, 41), (-1, 1, 41), 0, 1000, "filter", "eval", "fashion-mnist", True)
               for m in data.MODELS]
    for s in shipped:
        s.fill()
        s.seconds = 812.3
        SURFACES[s.id] = s
    link(shipped)


class Job:
    def __init__(self, surfaces):
        self.id = "j-%06d" % (len(JOBS) + 1)
        self.surfaces, self.state, self.error = surfaces, "queued", None
        self.events, self.done, self.started = [], 0, time.time()
        self.total = sum(s.total - s.computed() for s in surfaces)
        self.created = datetime.datetime.now(datetime.timezone.utc).isoformat()

    def json(self):
        elapsed = max(time.time() - self.started, 1e-3)
        rate = self.done / elapsed
        eta = (self.total - self.done) / rate if rate > 0 else None
        return {"id": self.id, "state": self.state, "surface_ids": [s.id for s in self.surfaces],
                "progress": {"done": self.done, "total": self.total, "rate": round(rate, 2),
                             "eta_seconds": round(eta, 2) if eta is not None else None},
                "error": self.error, "created": self.created}

    def emit(self, kind, payload):
        with LOCK:
            self.events.append((kind, payload))
            LOCK.notify_all()

    def run(self):
        self.state, self.started = "running", time.time()
        self.emit("progress", {"job": self.json()})
        delay = JOB_SECONDS / max(self.total, 1)
        for s in self.surfaces:
            for index in data.progressive_order(s.xs, s.ys):
                if self.state == "cancelled":
                    return
                row, col = divmod(index, s.columns)
                if s.is_done(row, col):
                    continue
                time.sleep(delay)
                with LOCK:
                    point = s.compute(index)
                    self.done += 1
                self.emit("point", point)
                if self.done % 5 == 0:
                    self.emit("progress", {"job": self.json()})
            s.seconds = time.time() - self.started
        self.state = "done"
        self.emit("progress", {"job": self.json()})
        self.emit("done", {"job": self.json()})


class HessianJob(Job):
    """A mock Hessian job: progress in products over JOB_SECONDS, then synthetic spectra (not real numbers)."""
    def __init__(self, body):
        super().__init__([])
        self.body = body
        per_model = (body.get("lanczos_steps", 100) if body.get("top", 5) else 0) + body.get("trace_probes", 0) \
            + (body.get("density_runs", 1) * body.get("density_steps", 100) if body.get("density") else 0)
        self.total = per_model * len(body["models"])
        self.hessian_id = "h%015x" % (abs(hash(json.dumps(body, sort_keys=True))) % 16 ** 15)

    def json(self):
        out = super().json()
        out.update(kind="hessian", hessian_id=self.hessian_id, surface_ids=[])
        return out

    def run(self):
        self.state, self.started = "running", time.time()
        for _ in range(self.total):
            if self.state == "cancelled":
                return
            time.sleep(JOB_SECONDS / max(self.total, 1))
            self.done += 1
            self.emit("progress", {"job": self.json()})
        HESSIAN[self.hessian_id] = data.hessian_result(self.hessian_id, self.body)
        self.state = "done"
        self.emit("done", {"job": self.json()})


HESSIAN = {}


class StudyJob(Job):
    """A mock seed-study job: progress in grid points over every seed, then a synthetic study (not real numbers)."""
    def __init__(self, body, seeds, points):
        super().__init__([])
        self.body, self.seeds, self.points = body, seeds, points
        self.total = len(seeds) * len(body["models"]) * points
        self.study_id = "%016x" % (abs(hash(json.dumps(body, sort_keys=True))) % 16 ** 16)

    def json(self):
        out = super().json()
        per_seed = max(self.total // len(self.seeds), 1)
        phase = f"seed {self.seeds[min(self.done // per_seed, len(self.seeds) - 1)]} · point {self.done % per_seed + 1}"
        out.update(kind="study", study_id=self.study_id, surface_ids=[])
        out["progress"]["phase"] = phase
        return out

    def run(self):
        self.state, self.started = "running", time.time()
        for _ in range(self.total):
            if self.state == "cancelled":
                return
            time.sleep(JOB_SECONDS / max(self.total, 1))
            self.done += 1
            self.emit("progress", {"job": self.json()})
        STUDIES[self.study_id] = data.study_result(self.study_id, self.body, self.seeds, self.points)
        self.state = "done"
        self.emit("done", {"job": self.json()})


STUDIES = {}


def create_study_job(body):
    if not isinstance(body, dict) or not isinstance(body.get("models"), list) or not body["models"]:
        raise ApiError(400, "models: expected at least one model")
    if any(m not in data.MODELS for m in body["models"]):
        raise ApiError(404, "model not found")
    seeds = body.get("seeds")
    if isinstance(seeds, str) and re.fullmatch(r"\d+:\d+", seeds):
        start, end = map(int, seeds.split(":"))
        seeds = list(range(start, end + 1))
    elif isinstance(seeds, str) and re.fullmatch(r"\d+(,\d+)*", seeds):
        seeds = [int(v) for v in seeds.split(",")]
    if not isinstance(seeds, list) or len(seeds) < 2 or len(set(seeds)) != len(seeds):
        raise ApiError(400, "seeds: expected at least 2 distinct seeds, e.g. \"0:19\" or [0, 3, 7]")
    try:
        x = data.parse_axis(body.get("x", "-1:1:21"), "x")
        y = data.parse_axis(body["y"], "y") if body.get("y") else None
    except ValueError as e:
        raise ApiError(400, str(e))
    job = StudyJob(body, seeds, x[2] * (y[2] if y else 1))
    with LOCK:
        JOBS[job.id] = job
    threading.Thread(target=job.run, daemon=True).start()
    return 202, job


def create_hessian_job(body):
    if not isinstance(body, dict) or not isinstance(body.get("models"), list) or not body["models"]:
        raise ApiError(400, "models: expected at least one model")
    if any(m not in data.MODELS for m in body["models"]):
        raise ApiError(404, "model not found")
    job = HessianJob(body)
    with LOCK:
        JOBS[job.id] = job
    threading.Thread(target=job.run, daemon=True).start()
    return 202, job


def create_job(body):
    models = body.get("models")
    if not isinstance(models, list) or not models:
        raise ApiError(400, "models: expected at least one model id", "field 'models' must be a non-empty list")
    if len(models) > LIMITS["max_models"]:
        raise ApiError(400, f"models: at most {LIMITS['max_models']} per request, got {len(models)}")
    for m in models:
        if m not in data.MODELS:
            raise ApiError(400, f"models: unknown model '{m}'", "known: " + ", ".join(data.MODELS))
    if "x" not in body:
        raise ApiError(400, "field 'x' is required")
    try:
        x_axis = data.parse_axis(body["x"], "x")
        y_axis = data.parse_axis(body["y"], "y") if body.get("y") else None
    except ValueError as e:
        raise ApiError(400, f"grid: {e}", "grid strings look like '-1:1:11'") from None
    points = x_axis[2] * (y_axis[2] if y_axis else 1)
    if points > LIMITS["max_grid_points"]:
        raise ApiError(400, f"grid: {points} points exceeds the cap of {LIMITS['max_grid_points']}")
    samples = body.get("samples", OPENAPI["components"]["schemas"]["SurfaceRequest"]["properties"]["samples"]["default"])
    if not isinstance(samples, int) or not 1 <= samples <= LIMITS["max_samples"]:
        raise ApiError(400, f"samples: expected 1...{LIMITS['max_samples']}, got {samples}")
    norm, bn = body.get("norm", "filter"), body.get("bn_mode", "eval")
    if norm not in ("filter", "layer", "weight", "none"):
        raise ApiError(400, f"norm: '{norm}' is not one of filter, layer, weight, none")
    if bn not in ("eval", "recompute"):
        raise ApiError(400, f"bn_mode: '{bn}' is not one of eval, recompute")
    dataset = body.get("dataset") or "fashion-mnist"
    if dataset != "fashion-mnist":
        raise ApiError(400, f"dataset: unknown dataset '{dataset}'")
    seed = int(body.get("seed") or 0)
    with LOCK:
        surfaces = []
        for m in models:
            s = data.Surface(m, x_axis, y_axis, seed, samples, norm, bn, dataset, False)
            surfaces.append(SURFACES.setdefault(s.id, s))
        link(surfaces)
        job = Job(surfaces)
        JOBS[job.id] = job
    if job.total == 0:
        job.state = "done"
        return 200, job
    threading.Thread(target=job.run, daemon=True).start()
    return 202, job


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def log_message(self, fmt, *args):
        if os.environ.get("MOCK_VERBOSE"):
            super().log_message(fmt, *args)

    def send_json(self, status, obj):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def send_bytes(self, status, body, ctype, headers=None):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def route(self, method):
        url = urllib.parse.urlparse(self.path)
        path, query = url.path, {k: v[-1] for k, v in urllib.parse.parse_qs(url.query).items()}
        try:
            if not path.startswith("/api/"):
                return self.static(path) if method == "GET" else self.send_json(405, {"error": "method not allowed"})
            self.api(method, path, query)
        except ApiError as e:
            self.send_json(e.status, {"error": e.error, "detail": e.detail})
        except (BrokenPipeError, ConnectionResetError):
            pass

    def do_GET(self):
        self.route("GET")

    def do_POST(self):
        self.route("POST")

    def do_DELETE(self):
        self.route("DELETE")

    def api(self, method, path, q):
        parts = path.strip("/").split("/")[1:]
        if method == "GET" and parts == ["models"]:
            return self.send_json(200, {"models": [data.model_listing(m) for m in data.MODELS]})
        if method == "GET" and parts == ["limits"]:
            return self.send_json(200, LIMITS)
        if method == "GET" and parts == ["openapi.json"]:
            return self.send_json(200, OPENAPI)
        if method == "GET" and parts == ["datasets"]:
            return self.send_json(200, {"datasets": [{"id": "fashion-mnist", "path": "/usr/share/datasets/fashion-mnist",
                                                      "available": True}]})
        if parts[:1] == ["surfaces"]:
            return self.surfaces(method, parts[1:], q)
        if parts == ["hessian"] and method == "POST":
            length = int(self.headers.get("Content-Length") or 0)
            status, job = create_hessian_job(json.loads(self.rfile.read(length) or b"null"))
            return self.send_json(status, {"job": job.json()})
        if parts[:1] == ["hessian"] and method == "GET":
            if len(parts) == 1:
                return self.send_json(200, {"hessian": [r["run"] for r in HESSIAN.values()]})
            if parts[1] in HESSIAN:
                return self.send_json(200, HESSIAN[parts[1]])
            raise ApiError(404, "Hessian run not found")
        if parts == ["studies"] and method == "POST":
            length = int(self.headers.get("Content-Length") or 0)
            status, job = create_study_job(json.loads(self.rfile.read(length) or b"null"))
            return self.send_json(status, {"job": job.json()})
        if parts[:1] == ["studies"] and method == "GET":
            if len(parts) == 1:
                return self.send_json(200, {"studies": [{"id": k, "seeds": v["seeds"]} for k, v in STUDIES.items()]})
            if parts[1] in STUDIES:
                return self.send_json(200, STUDIES[parts[1]])
            raise ApiError(404, "seed study not found")
        if parts[:1] == ["jobs"]:
            return self.jobs(method, parts[1:])
        if method == "GET" and parts == ["activations.json"]:
            names = q.get("names", "relu,swish,mish").split(",")
            bad = [n for n in names if n not in data.ACTIVATIONS]
            if bad:
                raise ApiError(400, f"names: unknown activation '{bad[0]}'", "known: " + ", ".join(data.ACTIVATIONS))
            if len(names) > LIMITS["max_activations"]:
                raise ApiError(400, f"names: at most {LIMITS['max_activations']} activations")
            lo, hi = (float(v) for v in q.get("range", "-5:5").split(":"))
            return self.send_json(200, data.activation_json(names, lo, hi, int(q.get("points", 401))))
        if method == "GET" and parts == ["output-landscape.png"]:
            names = q.get("activations", "relu,swish,mish").split(",")
            if any(n not in data.ACTIVATIONS for n in names):
                raise ApiError(400, "activations: unknown activation")
            lo, hi = (float(v) for v in q.get("range", "-5:5").split(":"))
            image = data.output_landscape_png(names, int(q.get("seed", 0)), int(q.get("size", 128)), lo, hi)
            return self.send_bytes(200, image, "image/png")
        if method == "GET" and parts in (["activations.png"],):
            return self.send_bytes(200, data.png(8, 8, lambda x, y: (68, 1 + 30 * x, 84)), "image/png")
        raise ApiError(404, "not found", f"no route for {method} {path}")

    def surfaces(self, method, rest, q):
        if method == "GET" and not rest:
            with LOCK:
                return self.send_json(200, {"surfaces": [s.listing() for s in SURFACES.values()]})
        if method == "POST" and not rest:
            length = int(self.headers.get("Content-Length") or 0)
            try:
                body = json.loads(self.rfile.read(length) or b"null")
            except json.JSONDecodeError as e:
                raise ApiError(400, "body is not valid JSON of the expected form", str(e)) from None
            if not isinstance(body, dict):
                raise ApiError(400, "empty body: expected a JSON object with models, x and optionally y")
            status, job = create_job(body)
            return self.send_json(status, {"job": job.json()})
        if method == "GET" and len(rest) == 1:
            name, ext = rest[0].split(".", 1) if "." in rest[0] else (rest[0], "")
            surface = SURFACES.get(name)
            if ext not in ("", "json", "png", "csv"):
                raise ApiError(400, f"format: '.{ext}' is not one of .json, .png, .csv (mock)")
            if surface is None:
                raise ApiError(404, "unknown surface", f"no surface with id '{name}'")
            if ext in ("png", "csv"):
                attachment = {"Content-Disposition": f'attachment; filename="{surface.model}-{name}.{ext}"'}
                if ext == "png":
                    return self.send_bytes(200, data.png(8, 8, lambda x, y: (30 * x, 30 * y, 120)), "image/png", attachment)
                with LOCK:
                    full = surface.full()
                lines = ["x,y,loss,accuracy,loss_stderr,diverged"]
                for r, y in enumerate(full["y"] or [None]):
                    for c, x in enumerate(full["x"]):
                        v = lambda grid: "" if grid is None or grid[r][c] is None else repr(grid[r][c])
                        lines.append(f"{x!r},{'' if y is None else repr(y)},{v(full['loss'])},{v(full['accuracy'])},{v(full['loss_stderr'])},0")
                return self.send_bytes(200, ("\n".join(lines) + "\n").encode(), "text/csv; charset=utf-8", attachment)
            with LOCK:
                return self.send_json(200, surface.full())
        raise ApiError(404, "not found")

    def jobs(self, method, rest):
        if method == "GET" and not rest:
            return self.send_json(200, {"jobs": [j.json() for j in JOBS.values()]})
        job = JOBS.get(rest[0]) if rest else None
        if job is None:
            raise ApiError(404, "unknown job", f"no job with id '{rest[0] if rest else ''}'")
        if method == "GET" and len(rest) == 1:
            return self.send_json(200, {"job": job.json()})
        if method == "DELETE" and len(rest) == 1:
            if job.state in ("queued", "running"):
                job.state = "cancelled"
                job.emit("cancelled", {"job": job.json()})
            return self.send_json(200, {"job": job.json()})
        if method == "GET" and rest[1:] == ["events"]:
            return self.events(job)
        raise ApiError(404, "not found")

    def events(self, job):
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        with LOCK:
            cursor = len(job.events)
        self.write_event("progress", {"job": job.json()})
        if job.state in ("done", "failed", "cancelled"):
            return self.write_event(job.state, {"job": job.json()})
        while True:
            with LOCK:
                while cursor >= len(job.events):
                    LOCK.wait(1.0)
                batch, cursor = job.events[cursor:], len(job.events)
            for kind, payload in batch:
                self.write_event(kind, payload)
                if kind in ("done", "failed", "cancelled"):
                    return

    def write_event(self, kind, payload):
        self.wfile.write(f"event: {kind}\ndata: {json.dumps(payload)}\n\n".encode())
        self.wfile.flush()

    def static(self, path):
        rel = "index.html" if path in ("", "/") else urllib.parse.unquote(path).lstrip("/")
        full = os.path.realpath(os.path.join(PUBLIC, rel))
        if not full.startswith(os.path.realpath(PUBLIC)) or not os.path.isfile(full):
            raise ApiError(404, "not found", f"no file {path}")
        ctype = "text/javascript" if full.endswith(".js") else mimetypes.guess_type(full)[0] or "application/octet-stream"
        with open(full, "rb") as f:
            self.send_bytes(200, f.read(), ctype)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8421)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args()
    ship()
    server = ThreadingHTTPServer((args.host, args.port), Handler)
    server.daemon_threads = True
    print(f"mock landscape API on http://{args.host}:{args.port}/", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
