#!/usr/bin/env bash
# Counts the gateway's instructions per request under valgrind's callgrind:
# repeatable where wall-clock figures on a shared VM are not.
#   bench/callgrind.sh [BUILD_DIR] [REQUESTS] [--stream] [--limits|--team] [--burst|--paced] [--anthropic] [--cached|--cachemiss]
# --limits: with the key that has every rate limit and a budget (bench/bench.toml).
# --team: the same key in a team with every limit and a budget, for an end user with limits and a budget.
# --burst: the mock sends each stream's events together (one upstream read).
# --paced: 2.5 ms between events, so that each arrives in a read of its own (a wake-up per event, as in real streams).
# --anthropic: an Anthropic-type target (bench.toml): the stream is translated;
#   its mock behaviour comes from the provider's headers (16 tokens at once; with --burst, 8 tokens in one read).
# --cached: the route with the response cache, the same request each time (hits after the first);
# --cachemiss: the same route, every request different (misses, each stored).
# Prints instructions per request and leaves callgrind.out.<pid> in bench/results/ for callgrind_annotate.
set -euo pipefail
cd "$(dirname "$0")/.."
B="${1:-build/release}"; n="${2:-2000}"; stream=""; unique=""; key=sy-bench-key-0123456789; extra=(); model=fast
for a in "${@:3}"; do
  case "$a" in
    --stream) stream=--stream ;;
    --limits) key=sy-bench-limited-0123456789 ;;
    --team) key=sy-bench-team-0123456789; extra=(--extra '"user":"bench-user"') ;;
    --burst) extra=(--extra '"mock":{"burst":1}'); [[ $model == anthropic-plain ]] && model=anthropic-burst ;;
    --paced) extra=(--extra '"mock":{"tokens_per_second":400}') ;;
    --anthropic) model=anthropic-plain; [[ ${#extra[@]} -gt 0 ]] && model=anthropic-burst ;;
    --cached) model=cached ;;
    --cachemiss) model=cached; unique=--unique ;;
  esac
done
mock_port=19190; gw_port=18180
"$B/switchyard-mock" --listen "127.0.0.1:$mock_port" > /dev/null &
mock=$!
mkdir -p bench/results
# One reactor (thread 1 serves every request); a binary from before [server] workers takes bench.toml as it is.
config=$(mktemp /tmp/switchyard-callgrind-XXXXXX.toml)
sed 's/^\[server\]$/[server]\nworkers = 1/' bench/bench.toml > "$config"
SWITCHYARD_LISTEN="127.0.0.1:$gw_port" SWITCHYARD_MOCK_ADDR="127.0.0.1:$mock_port" "$B/switchyard" --check --config "$config" > /dev/null 2>&1 || cp bench/bench.toml "$config"
out="bench/results/callgrind.out"
SWITCHYARD_LISTEN="127.0.0.1:$gw_port" SWITCHYARD_MOCK_ADDR="127.0.0.1:$mock_port" \
  valgrind --tool=callgrind --separate-threads=yes --compress-strings=no --compress-pos=no --callgrind-out-file="$out.%p" "$B/switchyard" --config "$config" --log-level warn 2>/dev/null &
gw=$!
for _ in $(seq 1 200); do (exec 3<>"/dev/tcp/127.0.0.1/$gw_port") 2>/dev/null && break; sleep 0.1; done
# Warm the pool, then zero the counters and measure n requests.
"$B/switchyard-bench" --url "http://127.0.0.1:$gw_port/v1/chat/completions" --key "$key" \
  --requests-per-connection 20 --warmup-ms 0 --label warm --model "$model" $stream $unique "${extra[@]}" > /dev/null
callgrind_control -z "$gw" > /dev/null
"$B/switchyard-bench" --url "http://127.0.0.1:$gw_port/v1/chat/completions" --key "$key" \
  --requests-per-connection "$n" --warmup-ms 0 --label measured --model "$model" $stream $unique "${extra[@]}" > /dev/null
callgrind_control -d "$gw" > /dev/null
kill -INT "$gw"; wait "$gw" 2>/dev/null || true
kill "$mock"; wait "$mock" 2>/dev/null || true
# One dump per thread: thread 1 is the io_context (the request path); the
# others are the usage ledger's writer (SQLite) and idle helpers.
total=0; io=0
for d in "$out.$gw".1-*; do
  t=$(callgrind_annotate "$d" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",","",$1); print $1}')
  total=$((total + ${t:-0}))
  [[ "$d" == *-01 ]] && io=${t:-0} && dump="$d"
done
echo "instructions per request: $((total / n)) ($total over $n requests${stream:+, streamed}), io thread alone: $((io / n))"
echo "profile: callgrind_annotate $dump"
