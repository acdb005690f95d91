#!/usr/bin/env bash
# Admission through Redis against admission in memory, side by side in one run
# (issue 15): the same gateway config (bench/bench.toml) started twice, once with
# [state] backend = "memory" and once with "redis" (a redis-server on loopback, no
# persistence), driven with a key limited per minute in requests and tokens
# (bench-rpm: two windows, one Lua call) and with the key that has every limit and
# a budget (bench-limited: seven windows), at 1 and 16 connections against the
# zero-delay mock. Prints req/s and latency per run.
#   bench/state_bench.sh [BUILD_DIR]     (default build/release)
set -euo pipefail
cd "$(dirname "$0")/.."
B="${1:-build/release}"
command -v redis-server > /dev/null || { echo "state_bench: redis-server missing (scripts/setup.sh --test)" >&2; exit 1; }
dir=$(mktemp -d /tmp/switchyard-state-bench.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$dir"; }
trap cleanup EXIT
wait_port() { for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.05; done; echo "nothing on $1" >&2; exit 1; }
pin_gw=(taskset -c 0); pin_other=(taskset -c 1)
"${pin_other[@]}" redis-server --port 16379 --bind 127.0.0.1 --save "" --appendonly no --dir "$dir" > /dev/null & pids+=($!)
"${pin_other[@]}" "$B/switchyard-mock" --listen 127.0.0.1:19290 > /dev/null & pids+=($!)
wait_port 16379; wait_port 19290
for backend in memory redis; do
  conf="$dir/$backend.toml"
  cp bench/bench.toml "$conf"
  printf '\n[state]\nbackend = "%s"\nredis_url = "redis://127.0.0.1:16379/0"\n' "$backend" >> "$conf"
  SWITCHYARD_LISTEN=127.0.0.1:18280 SWITCHYARD_MOCK_ADDR=127.0.0.1:19290 "${pin_gw[@]}" "$B/switchyard" --config "$conf" --log-level warn &
  gw=$!; pids+=($gw); wait_port 18280
  for key in rpm limited; do
    for c in 1 16; do
      "${pin_other[@]}" "$B/switchyard-bench" --url http://127.0.0.1:18280/v1/chat/completions --key "sy-bench-$key-0123456789" \
        --model uncached --connections "$c" --warmup-ms 1000 --duration-ms 5000 --label "state-$backend-$key-c$c" --pid "$gw" | sed 's/^/  /'
    done
  done
  kill "$gw"; wait "$gw" 2>/dev/null || true
done
