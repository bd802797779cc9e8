#!/usr/bin/env bash
# Load check (a script, not a timed test): wrk with 64 connections for 30 s on
# a cached surface PNG and on /api/models against the release server; prints
# wrk's summary, the error counts and the server's resident memory before,
# between and after, so "zero errors, memory flat" can be read off.
#   Benchmarks/load.sh [ROOT]      ROOT holds Models/ and Public/ (default: the repository)
set -euo pipefail
cd "$(dirname "$0")/.."
root="${1:-$PWD}"
port="${LANDSCAPE_LOAD_PORT:-8450}"
duration="${LANDSCAPE_LOAD_SECONDS:-30}"
command -v wrk >/dev/null || { echo "load.sh: wrk is not installed (apt-get install wrk)" >&2; exit 1; }
swift build -c release --product landscape >/dev/null
cache="$(mktemp -d)"
.build/release/landscape serve --root "$root" --port "$port" --cache "$cache" --quiet &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true; rm -rf "$cache"' EXIT
for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$port/api/models" >/dev/null 2>&1 && break; sleep 0.2; done
id="$(curl -fsS "http://127.0.0.1:$port/api/surfaces" | python3 -c 'import json,sys; s=json.load(sys.stdin)["surfaces"]; print(s[0]["id"] if s else "")')"
[[ -n "$id" ]] || { echo "load.sh: no surface to fetch under $root/Models/surfaces" >&2; exit 1; }
png="http://127.0.0.1:$port/api/surfaces/$id.png?kind=heatmap"
curl -fsS -o /dev/null "$png"   # render once; later requests are served from the picture cache
rss() { awk '/VmRSS/ {print $2 " kB"}' "/proc/$server/status"; }
echo "server RSS before: $(rss)"
for url in "$png" "http://127.0.0.1:$port/api/models"; do
  echo "== wrk -t2 -c64 -d${duration}s $url"
  wrk -t2 -c64 -d"${duration}s" --latency "$url" | grep -E "Requests/sec|Transfer/sec|Latency|50%|99%|Non-2xx|Socket errors|requests in"
  echo "server RSS after: $(rss)"
done
