#!/usr/bin/env python3
"""Re-measures the resource figures of the hardening review against a release build.

    swift build -c release --product landscape
    python3 Benchmarks/resource_figures.py [--jobs 300] [--renders 32]

1. jobs:    POST --jobs small surface requests and cancel each; the server's RSS before/after
            and how many /api/jobs lists (review: 100 MB -> 1,365 MB, all 300 listed).
2. renders: --renders concurrent 4096x4096 PNG requests; the server's peak RSS and the statuses
            (review: about 65 MB each, 32 at once 2.3 GB, no cap).
3. files:   peak RSS and time of `landscape inspect` on hostile checkpoints made here
            (review: a 1.1 MB .pt claiming 4 GB took 4.1 GB; a 71 MB safetensors header of
            1.2 M empty tensors took 4.9 GB and 13 s).
Talks to 127.0.0.1 only; every loop is bounded. Prints one line per figure.
"""
import argparse
import concurrent.futures
import json
import os
import struct
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.path.join(ROOT, ".build/release/landscape")


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def request(port, method, path, body=None, timeout=120):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method,
                                 headers={"Content-Type": "application/json"} if data else {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def start_server(port, cache):
    server = subprocess.Popen([BINARY, "serve", "--port", str(port), "--cache", cache, "--quiet"], cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            if request(port, "GET", "/api/models", timeout=2)[0] == 200:
                return server
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("server did not start")


def jobs(port, pid, count):
    status, _ = request(port, "GET", "/api/models")
    before = rss_kb(pid)
    for seed in range(count):
        status, body = request(port, "POST", "/api/surfaces",
                               {"models": ["resnet20-relu"], "x": "-1:1:3", "samples": 8, "seed": seed})
        job = json.loads(body)["job"]["id"]
        request(port, "DELETE", f"/api/jobs/{job}")
    after = rss_kb(pid)
    listed = len(json.loads(request(port, "GET", "/api/jobs")[1])["jobs"])
    print(f"jobs: {count} create/cancel cycles: RSS {before / 1024:.0f} MB -> {after / 1024:.0f} MB, /api/jobs lists {listed}")


def renders(port, pid, count):
    peak = [rss_kb(pid)]
    done = threading.Event()

    def watch():
        while not done.is_set():
            peak[0] = max(peak[0], rss_kb(pid))
            time.sleep(0.02)
    watcher = threading.Thread(target=watch)
    watcher.start()
    start = rss_kb(pid)
    with concurrent.futures.ThreadPoolExecutor(count) as pool:
        paths = [f"/api/activations.png?names=relu,mish&range=-{5 + i}:5&width=4096&height=4096" for i in range(count)]
        statuses = list(pool.map(lambda p: request(port, "GET", p)[0], paths))
    done.set()
    watcher.join()
    summary = {s: statuses.count(s) for s in sorted(set(statuses))}
    print(f"renders: {count} concurrent 4096x4096: RSS {start / 1024:.0f} MB, peak {peak[0] / 1024:.0f} MB; statuses {summary}")


def measured(args):
    result = subprocess.run(["/usr/bin/time", "-f", "%M %e"] + args, capture_output=True, text=True, cwd=ROOT)
    kb, seconds = result.stderr.strip().splitlines()[-1].split()
    message = (result.stderr.strip().splitlines() or [""])[0]
    return int(kb), float(seconds), message


def files():
    with tempfile.TemporaryDirectory() as d:
        # A .pt (zip) whose central directory claims 4 GB uncompressed for a small deflated entry.
        pt = os.path.join(d, "claims-4gb.pt")
        with zipfile.ZipFile(pt, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr("archive/data.pkl", b"\x00" * (1 << 20))
        raw = bytearray(open(pt, "rb").read())
        at = raw.rfind(b"PK\x01\x02")
        struct.pack_into("<I", raw, at + 24, 0xFFFFFFF0)   # uncompressed size in the central directory
        open(pt, "wb").write(raw)
        kb, seconds, message = measured([BINARY, "inspect", pt])
        print(f"files: {len(raw) / 1e3:.0f} kB .pt claiming 4 GB: peak RSS {kb / 1024:.0f} MB, {seconds:.2f} s; {message[:120]}")
        # A safetensors header of 1.2 M empty tensors (71 MB of JSON).
        st = os.path.join(d, "many-tensors.safetensors")
        header = "{" + ",".join(f'"t{i}":{{"dtype":"F32","shape":[0],"data_offsets":[0,0]}}' for i in range(1_200_000)) + "}"
        with open(st, "wb") as f:
            f.write(struct.pack("<Q", len(header)))
            f.write(header.encode())
        kb, seconds, message = measured([BINARY, "inspect", st])
        print(f"files: {len(header) / 1e6:.0f} MB safetensors header, 1.2 M tensors: peak RSS {kb / 1024:.0f} MB, {seconds:.2f} s; {message[:120]}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=300)
    parser.add_argument("--renders", type=int, default=32)
    parser.add_argument("--port", type=int, default=8434)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as cache:
        server = start_server(args.port, cache)
        try:
            jobs(args.port, server.pid, args.jobs)
            renders(args.port, server.pid, args.renders)
        finally:
            server.terminate()
            server.wait(timeout=30)
    files()


if __name__ == "__main__":
    main()
