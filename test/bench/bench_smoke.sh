#!/usr/bin/env bash
# Smoke test for the bench tool: switchyard-bench drives a real switchyard-mock
# for half a second, plain and streamed, and must report completed requests
# and no failures.
set -euo pipefail
. "$(dirname "$0")/../support/listening_port.sh"
mock_bin="$1"; bench_bin="$2"
log=$(mktemp); out=$(mktemp)
"$mock_bin" --listen 127.0.0.1:0 --tokens 4 > "$log" &
mock=$!
trap 'kill $mock 2>/dev/null || true; rm -f "$log" "$out"' EXIT
port=$(listening_port "$log")
"$bench_bin" --url "http://127.0.0.1:$port/v1/chat/completions" --connections 4 --warmup-ms 100 --duration-ms 500 --json "$out" --label plain
"$bench_bin" --url "http://127.0.0.1:$port/v1/chat/completions" --stream --connections 4 --warmup-ms 100 --duration-ms 500 --json "$out" --label stream
grep -q '"label":"plain"' "$out"
if grep -q '"failed":[1-9]' "$out"; then echo "bench_smoke: failures reported" >&2; exit 1; fi
if grep -q '"ok":0,' "$out"; then echo "bench_smoke: nothing completed" >&2; exit 1; fi
grep -q '"ttfb"' "$out"
echo "1 passed, 0 failed"
