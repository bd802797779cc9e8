#!/usr/bin/env python3
"""Hostile HTTP clients against an already-running `landscape serve` (Python 3 stdlib, raw sockets).

    .build/release/landscape serve --port 8460 --cache "$(mktemp -d)" >server.log &
    scripts/hostile-http.py --port 8460 --pid $! [--log server.log] [--family NAME ...]

Sends families of hostile requests to 127.0.0.1 only (malformed request lines, bare LF, odd
Content-Length, slowloris, too many headers, path traversal, control characters, bad API bodies),
then checks that the server process is still alive, that its RSS grew by less than 100 MB and
that its open descriptors came back to where they started. Every socket operation has a timeout,
the connection count is bounded (a few hundred) and the whole run stops after --max-seconds.
Prints one line per failed check and ends with exactly "N passed, M failed"; exits 1 if M > 0.

--log: the server's access log (its standard output); checked for forged lines and raw ESC bytes.
--family: run only these families (repeatable); the process checks always run.
--match: run only the request checks whose name matches (e.g. "api: x range").
Slowloris binds other loopback source addresses (127.0.0.2, .3) to play other clients.
"""
import argparse
import json
import os
import re
import resource
import socket
import sys
import threading
import time

HOST = "127.0.0.1"
OTHER_CLIENT = "127.0.0.2"         # all of 127/8 is loopback on Linux: a second client address
DRIBBLER = "127.0.0.3"             # and a third, for the byte-at-a-time head
ANSWER_TIMEOUT = 3.0               # a refusal must come this fast (the server's own timeouts are 10 s and more)
IDLE_CONNECTIONS = 260             # just over the server's default 256 slots (HTTPLimits.maxConnections)
HEADER_DEADLINE_WAIT = 15.0        # HTTPLimits.defaultHeaderTimeout (10 s) plus slack
RSS_GROWTH_LIMIT_KB = 100 * 1024   # the brief: within +100 MB of the start
FD_SLACK = 8                       # descriptors the server may legitimately hold open more at the end (caches, logs)
FD_SETTLE_SECONDS = 15.0           # how long to wait for the server to close what we left


class Response:
    def __init__(self, status, reason, headers, body, head):
        self.status, self.reason, self.headers, self.body, self.head = status, reason, headers, body, head

    def json(self):
        try:
            return json.loads(self.body.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            return None

    def __repr__(self):
        return f"{self.status} {self.body[:160]!r}"


class NoAnswer(Exception):
    pass


def connect(port, source=None, timeout=ANSWER_TIMEOUT):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    if source:
        sock.bind((source, 0))
    sock.connect((HOST, port))
    return sock


def send_all(sock, data):
    """Sends what the server takes; a server that refuses early may reset before we finish."""
    try:
        sock.sendall(data)
    except (BrokenPipeError, ConnectionResetError):
        pass


class Reader:
    """Responses from one socket, keeping bytes that belong to the next one (pipelining)."""

    def __init__(self, sock):
        self.sock, self.buffer = sock, b""

    def response(self, deadline, bodyless=False):
        """The next response, or NoAnswer if none is complete by `deadline` (time.monotonic)."""
        while b"\r\n\r\n" not in self.buffer:
            self.buffer += recv_some(self.sock, deadline, self.buffer)
        head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
            raise NoAnswer(f"malformed status line {lines[0][:80]!r}")
        status, reason = int(parts[1]), parts[2] if len(parts) > 2 else ""
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if bodyless or status in (204, 304) or status < 200:
            return Response(status, reason, headers, b"", head)
        if "content-length" in headers:
            length = int(headers["content-length"])
            while len(self.buffer) < length:
                self.buffer += recv_some(self.sock, deadline, self.buffer)
            body, self.buffer = self.buffer[:length], self.buffer[length:]
            return Response(status, reason, headers, body, head)
        while True:  # no length: the body ends at close
            try:
                chunk = recv_some(self.sock, deadline, self.buffer, eof_ok=True)
            except NoAnswer:
                break
            if not chunk:
                break
            self.buffer += chunk
        body, self.buffer = self.buffer, b""
        return Response(status, reason, headers, body, head)


def recv_some(sock, deadline, so_far, eof_ok=False):
    left = deadline - time.monotonic()
    if left <= 0:
        raise NoAnswer(f"no complete answer in time (got {so_far[:80]!r})")
    sock.settimeout(left)
    try:
        chunk = sock.recv(65536)
    except socket.timeout:
        raise NoAnswer(f"no complete answer in time (got {so_far[:80]!r})")
    except ConnectionResetError:
        raise NoAnswer(f"connection reset (got {so_far[:80]!r})")
    if not chunk and not eof_ok:
        raise NoAnswer(f"connection closed (got {so_far[:80]!r})")
    return chunk


def closed_by_server(sock, wait=1.0):
    """True if the server closes the connection (EOF or reset) within `wait` seconds."""
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            if sock.recv(65536) == b"":
                return True
        except socket.timeout:
            return False
        except (ConnectionResetError, OSError):
            return True
    return False


def exchange(port, raw, timeout=ANSWER_TIMEOUT, source=None):
    """Sends raw bytes on a fresh connection; returns (response, seconds, closed_afterwards)."""
    started = time.monotonic()
    with connect(port, source) as sock:
        send_all(sock, raw)
        response = Reader(sock).response(started + timeout)
        elapsed = time.monotonic() - started
        closed = closed_by_server(sock, 1.0) if response.headers.get("connection") == "close" else False
    return response, elapsed, closed


def get(port, path, source=None, timeout=ANSWER_TIMEOUT):
    return exchange(port, f"GET {path} HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n".encode("latin-1"),
                    timeout, source)[0]


def post_json(port, path, body, timeout=10.0):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    head = (f"POST {path} HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(raw)}\r\nConnection: close\r\n\r\n").encode()
    return exchange(port, head + raw, timeout)[0]


class Checks:
    def __init__(self, pid, max_seconds, match=None):
        self.pid, self.match = pid, match
        self.passed = 0
        self.failed = []
        self.deadline = time.monotonic() + max_seconds

    def check(self, name, condition, detail=""):
        if condition:
            self.passed += 1
        else:
            self.failed.append(name)
            print(f"FAIL {name}" + (f": {detail}" if detail else ""), flush=True)

    def run(self, name, body):
        """Runs one check; an exception (no answer, reset, refused) is a failure with its reason."""
        if self.match and not re.search(self.match, name):
            return None
        if time.monotonic() > self.deadline:
            return self.check(name, False, "skipped: --max-seconds reached")
        if not server_alive(self.pid):
            return self.check(name, False, "server process is not running")
        try:
            ok, detail = body()
        except Exception as error:  # noqa: BLE001 - any failure of a check is reported, never fatal
            ok, detail = False, f"{type(error).__name__}: {error}"
        self.check(name, ok, detail)


def expect(port, raw, statuses, must_close=True, timeout=ANSWER_TIMEOUT):
    """A check body: `raw` is answered with one of `statuses` within `timeout`, then closed."""
    def body():
        response, elapsed, closed = exchange(port, raw, timeout)
        if response.status not in statuses:
            return False, f"expected {sorted(statuses)}, got {response!r} after {elapsed:.1f} s"
        if must_close and not closed:
            return False, f"{response.status} but the connection stayed open"
        return True, ""
    return body


def server_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/status") as status:
            return not any(line.startswith("State:") and "Z" in line.split()[1] for line in status)
    except OSError:
        return False


def serves(port):
    try:
        return get(port, "/api/models").status == 200
    except (NoAnswer, OSError):
        return False


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def fd_count(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


# --- families -------------------------------------------------------------------------------------

def family_request_lines(c, port):
    h = f"Host: {HOST}\r\n"
    cases = [
        ("no target or version", b"GET\r\n\r\n", {400}),
        ("extra token", f"GET / HTTP/1.1 extra\r\n{h}\r\n".encode(), {400}),
        ("double space", f"GET  / HTTP/1.1\r\n{h}\r\n".encode(), {400}),
        ("tab separator", f"GET\t/ HTTP/1.1\r\n{h}\r\n".encode(), {400}),
        ("binary garbage", b"\x00\x01\x02\x03\xff\xfe\r\n\r\n", {400}),
        ("TLS client hello", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(40) + b"\r\n\r\n", {400}),
        ("unknown version", f"GET / HTTP/9.9\r\n{h}\r\n".encode(), {505}),
        ("malformed version", f"GET / HTTQ/1.1\r\n{h}\r\n".encode(), {400}),
        ("relative target", f"GET index.html HTTP/1.1\r\n{h}\r\n".encode(), {400}),
        ("method with a bracket", f"G(T / HTTP/1.1\r\n{h}\r\n".encode(), {400}),
        ("missing Host on HTTP/1.1", b"GET / HTTP/1.1\r\n\r\n", {400}),
        ("two Host headers", f"GET / HTTP/1.1\r\n{h}{h}\r\n".encode(), {400}),
        ("request line of 64 KiB", b"GET /" + b"a" * 65536 + b" HTTP/1.1\r\n" + h.encode() + b"\r\n", {414}),
        ("request line that never ends", b"GET /" + b"a" * 20000, {414}),
        ("NUL in target", f"GET /a\x00b HTTP/1.1\r\n{h}\r\n".encode(), {400}),
    ]
    for name, raw, statuses in cases:
        c.run(f"request line: {name}", expect(port, raw, statuses))


def family_bare_lf(c, port):
    cases = [
        ("bare LF everywhere", b"GET / HTTP/1.1\nHost: x\n\n"),
        ("bare LF in headers", b"GET / HTTP/1.1\r\nHost: x\nX: y\n\n"),
        ("bare LF as the empty line", b"GET / HTTP/1.1\r\nHost: x\r\n\n"),
        ("bare LF as the only header end", b"GET / HTTP/1.1\r\n\n"),
        ("bare CR in headers", b"GET / HTTP/1.1\r\nHost: x\rX: y\r\n\r\n"),
        ("bare CR in request line", b"GET / HTTP/1.1\rHost: x\r\n\r\n"),
    ]
    for name, raw in cases:
        c.run(f"bare line ending: {name} is 400 at once", expect(port, raw, {400}))


def family_content_length(c, port):
    def post(length_field, body=b"", extra=""):
        return (f"POST /api/models HTTP/1.1\r\nHost: {HOST}\r\n{extra}Content-Length: ".encode()
                + length_field + b"\r\n\r\n" + body)

    def leading_zeros():
        # A small length with leading zeros is that number (RFC 9110: 1*DIGIT): the body is read,
        # the route answers (405: /api/models is GET only) and the next pipelined request is in sync.
        started = time.monotonic()
        with connect(port) as sock:
            send_all(sock, post(b"0000000000000005", b"hello")
                     + f"GET /api/models HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n".encode())
            reader = Reader(sock)
            first = reader.response(started + ANSWER_TIMEOUT)
            if first.status in (400, 413):
                return False, f"Content-Length 0000000000000005 refused: {first!r}"
            second = reader.response(started + ANSWER_TIMEOUT)
            return second.status == 200, f"pipelined GET after it got {second!r}"

    c.run("Content-Length: leading zeros are the number (not 413)", leading_zeros)
    for value in [b"1048577", b"99999999999999999999999", b"9223372036854775807", b"9223372036854775808",
                  b"18446744073709551617", b"0" * 20 + b"99999999999", b"9" * 2000]:
        shown = value[:24].decode() + ("..." if len(value) > 24 else "")
        c.run(f"Content-Length: {shown} is 413 (no overflow)", expect(port, post(value), {413}))
    for value in [b"-1", b"+5", b"0x10", b"5 5", b"1e3", b"5.0", b"", b"5,6", "\u0665".encode()]:
        c.run(f"Content-Length: {value!r} is 400", expect(port, post(value), {400}))
    c.run("Content-Length: two differing headers are 400",
          expect(port, post(b"6", b"hello!", extra="Content-Length: 5\r\n"), {400}))
    c.run("Transfer-Encoding: chunked is refused (400/411/501)",
          expect(port, b"POST /api/surfaces HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                 {400, 411, 501}))
    c.run("Transfer-Encoding with Content-Length is refused",
          expect(port, b"POST /api/surfaces HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n"
                 b"0\r\n\r\n", {400, 411, 501}))
    c.run("Expect: 100-continue with a huge length is 413 before the body",
          expect(port, post(b"99999999", extra="Expect: 100-continue\r\n"), {413}))


def family_headers(c, port):
    h = f"Host: {HOST}\r\n"
    many = "".join(f"X-H{i}: v\r\n" for i in range(200))
    cases = [
        ("200 header fields", f"GET / HTTP/1.1\r\n{h}{many}\r\n".encode(), {431}),
        ("a 20 KiB header", f"GET / HTTP/1.1\r\n{h}X-Big: {'b' * 20480}\r\n\r\n".encode(), {431}),
        ("a header block that never ends", f"GET / HTTP/1.1\r\n{h}X-Big: {'b' * 20480}".encode(), {431}),
        ("space before the colon", f"GET / HTTP/1.1\r\n{h}X-Bad : v\r\n\r\n".encode(), {400}),
        ("no colon", f"GET / HTTP/1.1\r\n{h}NoColon\r\n\r\n".encode(), {400}),
        ("obsolete line folding", f"GET / HTTP/1.1\r\n{h}X-A: a\r\n folded\r\n\r\n".encode(), {400}),
        ("NUL in a value", f"GET / HTTP/1.1\r\n{h}X-A: a\x00b\r\n\r\n".encode(), {400}),
        ("Expect: something else", f"GET / HTTP/1.1\r\n{h}Expect: teapot\r\n\r\n".encode(), {417}),
    ]
    for name, raw, statuses in cases:
        c.run(f"headers: {name}", expect(port, raw, statuses))


SECRETS = [b"root:x:0:0", b"swift-tools-version", b"PackageDescription", b"[core]", b"repositoryformatversion"]


def family_traversal(c, port):
    def index_is_served():
        response = get(port, "/")
        return response.status == 200 and b"<html" in response.body.lower(), f"GET / got {response!r}"
    c.run("traversal: the page itself is served (checks below are not vacuous)", index_is_served)
    paths = [
        "/../Package.swift", "/../../../../../../etc/passwd", "/%2e%2e/Package.swift", "/%2E%2E/%2E%2E/etc/passwd",
        "/..%2fPackage.swift", "/%2e%2e%2fPackage.swift", "/js/../../Package.swift", "/js/%2e%2e/%2e%2e/Package.swift",
        "/..%5cPackage.swift", "/%5c..%5cPackage.swift", "//etc/passwd", "/etc/passwd", "/%2fetc%2fpasswd",
        "/%252e%252e/Package.swift", "/Package.swift%00.html", "/index.html%00/../../Package.swift",
        "/./../Package.swift", "/%c0%ae%c0%ae/Package.swift", "/....//Package.swift", "/.git/config",
        "/Public/../Package.swift", "/js/..;/..;/Package.swift", "/api/surfaces/..%2f..%2fPackage.swift",
        "/api/surfaces/%2e%2e%2f%2e%2e%2fPackage.swift", "/api/surfaces/../../etc/passwd.png",
        "/api/surfaces/..%2f..%2fPackage.swift.png", "/api/jobs/..%2f..%2fPackage.swift",
        "http://127.0.0.1/../Package.swift", "/.landscape-cache/", "/Models/resnet20-relu.json",
    ]
    for path in paths:
        def body(path=path):
            if path.startswith("http://"):
                raw = f"GET {path} HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n".encode()
                response = exchange(port, raw)[0]
            else:
                response = get(port, path)
            leaked = [secret for secret in SECRETS if secret in response.body]
            if leaked:
                return False, f"served a file outside Public/: {response.status}, body contains {leaked[0]!r}"
            if response.status == 200 and not path.startswith("/api/"):
                return False, f"200 for a path outside Public/: {response!r}"
            if response.status >= 500:
                return False, f"server error {response!r}"
            return True, ""
        c.run(f"traversal: {path} serves nothing outside Public/", body)


def family_control_chars(c, port, log_path):
    def no_response_splitting():
        response = get(port, "/x%0d%0aX-Injected:%20yes%0d%0a%0d%0a<html>")
        injected = "x-injected" in response.headers or b"\r\nX-Injected" in response.head
        return response.status in (400, 404) and not injected, f"{response!r}, head {response.head[:200]!r}"
    c.run("control chars: encoded CRLF in the path splits no response", no_response_splitting)
    for path in ["/x%0aFORGED%20127.0.0.1:1%20%22GET%20/admin%22%20200%200B%200.0ms", "/x%1b[2J%1b[31mred",
                 "/%7f%08%07", "/x%e2%80%ae%e2%80%8b"]:
        def body(path=path):
            response = get(port, path)
            return response.status in (400, 404), f"{response!r}"
        c.run(f"control chars: {path[:40]} is 400/404", body)
    for name, raw in [("raw ESC in target", b"GET /\x1b[2J HTTP/1.1\r\nHost: x\r\n\r\n"),
                      ("raw DEL in target", b"GET /\x7f HTTP/1.1\r\nHost: x\r\n\r\n"),
                      ("raw UTF-8 in target", "GET /é HTTP/1.1\r\nHost: x\r\n\r\n".encode())]:
        c.run(f"control chars: {name} is 400", expect(port, raw, {400}))
    if log_path:
        def log_is_clean():
            time.sleep(0.5)  # the log line is written after the response
            with open(log_path, "rb") as log:
                text = log.read()
            forged = [line for line in text.split(b"\n") if line.startswith(b"FORGED")]
            if forged:
                return False, f"a request forged a log line: {forged[0][:120]!r}"
            if b"\x1b" in text:
                return False, "raw ESC byte in the access log"
            if b"FORGED" not in text:
                return False, "the forged-line request is not in the log at all (is --log the server's stdout?)"
            return True, ""
        c.run("control chars: the access log has no forged lines or raw ESC", log_is_clean)


def family_slowloris(c, port):
    """IDLE_CONNECTIONS sockets from 127.0.0.1 that send nothing, plus one that dribbles a head a byte
    at a time; meanwhile another address must be served, and the server must close them all at its
    header deadline (HTTPLimits.headerTimeout, 10 s), not after the 60 s idle timeout."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < IDLE_CONNECTIONS + 64:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, IDLE_CONNECTIONS + 256), hard))
    idle = []
    try:
        dribble_result = {}

        def dribble():
            started = time.monotonic()
            try:
                with connect(port, source=DRIBBLER, timeout=HEADER_DEADLINE_WAIT) as sock:
                    sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ")
                    while time.monotonic() - started < HEADER_DEADLINE_WAIT + 5:
                        try:
                            sock.sendall(b"a")
                        except OSError:
                            break
                        sock.settimeout(0.5)
                        try:
                            data = sock.recv(4096)
                        except socket.timeout:
                            continue
                        dribble_result["answer"] = data[:12]
                        break
            except OSError as error:
                dribble_result["error"] = str(error)
            dribble_result["seconds"] = time.monotonic() - started
        # The dribbler starts first, from its own address, so it holds a slot whatever the caps.
        dribbler = threading.Thread(target=dribble, daemon=True)
        dribbler.start()
        time.sleep(0.2)
        for _ in range(IDLE_CONNECTIONS):
            try:
                idle.append(connect(port))
            except OSError:
                break
        opened = time.monotonic()
        c.check("slowloris: opened the idle connections", len(idle) == IDLE_CONNECTIONS, f"only {len(idle)}")
        time.sleep(0.3)  # let the server admit (or refuse) them all

        def other_client_served():
            response = get(port, "/api/models", source=OTHER_CLIENT)
            return response.status == 200, f"127.0.0.2 got {response!r} while 127.0.0.1 held {len(idle)} idle sockets"
        c.run("slowloris: another client address is served while one address holds idle sockets", other_client_served)

        # Wait for the server to drop them: EOF or a 503 (over a cap) counts as dropped.
        pending = list(idle)
        while pending and time.monotonic() - opened < HEADER_DEADLINE_WAIT:
            still = []
            for sock in pending:
                sock.setblocking(False)
                try:
                    data = sock.recv(65536)
                    if data and not data.startswith(b"HTTP/1.1 503"):
                        still.append(sock)  # unexpected bytes; keep watching
                except BlockingIOError:
                    still.append(sock)
                except OSError:
                    pass
            pending = still
            time.sleep(0.25)
        c.check("slowloris: the server closes idle connections within its header deadline (~10 s)", not pending,
                f"{len(pending)} of {len(idle)} still open after {time.monotonic() - opened:.1f} s")
        dribbler.join(HEADER_DEADLINE_WAIT + 6)
        answer = dribble_result.get("answer", b"")
        c.check("slowloris: a head dribbled a byte at a time gets 408 within the header deadline",
                answer.startswith(b"HTTP/1.1 408") and dribble_result.get("seconds", 99) < HEADER_DEADLINE_WAIT,
                f"{dribble_result}")

        def same_client_served_again():
            response = get(port, "/api/models")
            return response.status == 200, f"127.0.0.1 got {response!r}"
        c.run("slowloris: afterwards the same address is served again", same_client_served_again)
    finally:
        for sock in idle:
            sock.close()


MODEL = "resnet20-relu"


def family_api(c, port):
    """Bad bodies for POST /api/surfaces: each must be 400 with a JSON error. Ordered roughly from the
    harmless to those that used to overflow, since an overflow trap ends the server (later checks then
    fail with 'server process is not running'). Anything accepted by mistake is cancelled at once."""
    def bad(name, body, statuses=(400,)):
        def run():
            response = post_json(port, "/api/surfaces", body)
            cancel_if_job(port, response)
            error = response.json() if response.status in statuses else None
            ok = isinstance(error, dict) and "error" in error
            return ok, f"expected {'/'.join(map(str, statuses))} with a JSON error, got {response!r}"
        c.run(f"api: {name} is {'/'.join(map(str, statuses))}", run)

    grid = {"models": [MODEL], "x": "-1:1:4", "y": "-1:1:4", "samples": 8}
    bad("an empty body", b"")
    bad("invalid JSON", b'{"models": [')
    bad("a JSON array", b"[1, 2, 3]")
    bad("binary garbage", bytes(range(256)))
    bad("4000-deep nesting", b"[" * 4000 + b"]" * 4000)
    bad("models as a string", {**grid, "models": MODEL})
    bad("x as a number", {**grid, "x": 5})
    bad("samples as a string", {**grid, "samples": "8"})
    bad("samples negative", {**grid, "samples": -1})
    bad("samples beyond Int64", b'{"models":["resnet20-relu"],"x":"-1:1:4","samples":99999999999999999999999}')
    bad("a model id that is a path", {**grid, "models": ["../../etc/passwd"]}, statuses=(400, 404))
    bad("x range -1e38:1e38:3", {**grid, "x": "-1e38:1e38:3"})
    bad("x range -1e308:1e308:3", {**grid, "x": "-1e308:1e308:3"})
    bad("x and y both -1:1:4294967296", {**grid, "x": "-1:1:4294967296", "y": "-1:1:4294967296"})
    bad("x -1:1:4611686018427387904 with y -1:1:4",
        {"models": [MODEL], "x": "-1:1:4611686018427387904", "y": "-1:1:4", "samples": 8})
    bad("bn_batches 9223372036854775807 x bn_batch_size 4",
        {**grid, "bn_mode": "recompute", "bn_batches": 9223372036854775807, "bn_batch_size": 4})


def cancel_if_job(port, response):
    """A hostile body the server accepted starts a job: cancel it so the run stays cheap."""
    if response.status not in (200, 202):
        return
    job = (response.json() or {}).get("job") or {}
    if isinstance(job, dict) and isinstance(job.get("id"), str) and re.fullmatch(r"[A-Za-z0-9_-]{1,128}", job["id"]):
        try:
            exchange(port, f"DELETE /api/jobs/{job['id']} HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n".encode())
        except (NoAnswer, OSError):
            pass


FAMILIES = {
    "request-lines": family_request_lines,
    "bare-lf": family_bare_lf,
    "content-length": family_content_length,
    "headers": family_headers,
    "slowloris": family_slowloris,
    "traversal": family_traversal,
    "control-chars": None,  # needs the log path; bound in main
    "api": family_api,
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True, help="port of the running server on 127.0.0.1")
    parser.add_argument("--pid", type=int, required=True, help="process id of the server (for liveness, RSS, fds)")
    parser.add_argument("--log", help="the server's access log file (its stdout), checked for forged lines")
    parser.add_argument("--family", action="append", choices=sorted(FAMILIES), help="run only these (repeatable)")
    parser.add_argument("--match", help="run only the request checks whose name matches this regular expression")
    parser.add_argument("--max-seconds", type=float, default=180, help="stop starting checks after this long")
    args = parser.parse_args()
    if not server_alive(args.pid):
        print(f"hostile-http: no running process {args.pid}", file=sys.stderr)
        print("0 passed, 1 failed")
        return 1
    c = Checks(args.pid, args.max_seconds, args.match)
    families = dict(FAMILIES, **{"control-chars": lambda c, port: family_control_chars(c, port, args.log)})
    start_rss, start_fds = rss_kb(args.pid), fd_count(args.pid)
    # api last: a check that still overflows in the service would end the process for the others.
    for name in ["request-lines", "bare-lf", "content-length", "headers", "traversal", "control-chars",
                 "slowloris", "api"]:
        if args.family and name not in args.family:
            continue
        started = time.monotonic()
        before = len(c.failed)
        families[name](c, args.port)
        print(f"-- {name}: {len(c.failed) - before} failed, {time.monotonic() - started:.1f} s", flush=True)

    time.sleep(1)  # a process that trapped is still alive while its crash handler prints a backtrace
    alive = server_alive(args.pid) and serves(args.port)
    c.check("process: the server is still running and serving", alive)
    if alive:
        rss = rss_kb(args.pid)
        c.check("process: RSS within +100 MB of the start", rss - start_rss < RSS_GROWTH_LIMIT_KB,
                f"{start_rss} kB -> {rss} kB")
        settle = time.monotonic() + FD_SETTLE_SECONDS
        fds = fd_count(args.pid)
        while fds > start_fds + FD_SLACK and time.monotonic() < settle and server_alive(args.pid):
            time.sleep(0.5)
            fds = fd_count(args.pid)
        c.check("process: open descriptors back near the start", fds <= start_fds + FD_SLACK,
                f"{start_fds} -> {fds} after {FD_SETTLE_SECONDS:.0f} s")
        print(f"-- process: RSS {start_rss} -> {rss} kB, fds {start_fds} -> {fds}", flush=True)
    print(f"{c.passed} passed, {len(c.failed)} failed")
    return 1 if c.failed else 0


if __name__ == "__main__":
    sys.exit(main())
