#!/usr/bin/env bash
# Counts the gateway's instructions per request under valgrind's callgrind:
# repeatable where wall-clock figures on a shared VM are not.
#   bench/callgrind.sh [BUILD_DIR] [REQUESTS] [--stream] [--limits]
# --limits: with the key that has every rate limit and a budget (bench/bench.toml).
# Prints instructions per request and leaves callgrind.out.<pid> in bench/results/ for callgrind_annotate.
set -euo pipefail
cd "$(dirname "$0")/.."
B="${1:-build/release}"; n="${2:-2000}"; stream=""; key=sy-bench-key-0123456789
for a in "${@:3}"; do
  case "$a" in
    --stream) stream=--stream ;;
    --limits) key=sy-bench-limited-0123456789 ;;
  esac
done
mock_port=19190; gw_port=18180
"$B/switchyard-mock" --listen "127.0.0.1:$mock_port" > /dev/null &
mock=$!
mkdir -p bench/results
out="bench/results/callgrind.out"
SWITCHYARD_LISTEN="127.0.0.1:$gw_port" SWITCHYARD_MOCK_ADDR="127.0.0.1:$mock_port" \
  valgrind --tool=callgrind --compress-strings=no --compress-pos=no --callgrind-out-file="$out.%p" "$B/switchyard" --config bench/bench.toml --log-level warn 2>/dev/null &
gw=$!
for _ in $(seq 1 200); do (exec 3<>"/dev/tcp/127.0.0.1/$gw_port") 2>/dev/null && break; sleep 0.1; done
# Warm the pool, then zero the counters and measure n requests.
"$B/switchyard-bench" --url "http://127.0.0.1:$gw_port/v1/chat/completions" --key "$key" \
  --requests-per-connection 20 --warmup-ms 0 --label warm $stream > /dev/null
callgrind_control -z "$gw" > /dev/null
"$B/switchyard-bench" --url "http://127.0.0.1:$gw_port/v1/chat/completions" --key "$key" \
  --requests-per-connection "$n" --warmup-ms 0 --label measured $stream > /dev/null
callgrind_control -d "$gw" > /dev/null
kill -INT "$gw"; wait "$gw" 2>/dev/null || true
kill "$mock"; wait "$mock" 2>/dev/null || true
dump=$(ls -t "$out.$gw"* | grep -v "\.$gw$" | head -1)
total=$(callgrind_annotate "$dump" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",","",$1); print $1}')
echo "instructions per request: $((total / n)) ($total over $n requests${stream:+, streamed})"
echo "profile: callgrind_annotate $dump"
