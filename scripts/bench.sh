#!/usr/bin/env bash
# Benchmarks Switchyard against the physical limit: every scenario runs twice,
# straight to switchyard-mock and through switchyard to the same mock, so the
# gateway's cost is a difference measured side by side on this machine.
#
#   scripts/bench.sh                 full run (about 5 minutes)
#   scripts/bench.sh --quick         a 1-minute subset
#   scripts/bench.sh --target URL    compare another OpenAI-compatible gateway instead of switchyard;
#                                    point it at the mock on 127.0.0.1:19090 (send --key KEY if it needs one)
#
# Writes bench/results/<date>-<commit>.json (one line per run) and .md (the summary table).
set -euo pipefail
cd "$(dirname "$0")/.."

quick=""; target=""; target_key=""
while (($#)); do
  case "$1" in
    --quick) quick=1 ;;
    --target) target="$2"; shift ;;
    --key) target_key="$2"; shift ;;
    *) echo "usage: $0 [--quick] [--target URL [--key KEY]]" >&2; exit 2 ;;
  esac
  shift
done

./scripts/setup.sh --bench
./scripts/build.sh release
B=build/release
mkdir -p bench/results
commit=$(git rev-parse --short HEAD 2>/dev/null || echo nogit)
stamp=$(date -u +%Y-%m-%dT%H%M%SZ)
out="bench/results/${stamp}-${commit}"
json="$out.json"; : > "$json"

hard=$(ulimit -Hn); ulimit -n "$hard"
mock_port=19090; gw_port=18080
key="sy-bench-key-0123456789"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

wait_port() {  # bounded wait for a listening port
  for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.05
  done
  echo "bench: nothing listening on port $1" >&2; exit 1
}
rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }

cores=$(nproc)
pin_gw=(taskset -c 0); pin_other=(taskset -c 1)
if ((cores < 2)); then pin_gw=(); pin_other=(); fi

"${pin_other[@]}" "$B/switchyard-mock" --listen "127.0.0.1:$mock_port" --hang-limit-ms 60000 > /dev/null &
pids+=($!); wait_port "$mock_port"

if [[ -z "$target" ]]; then
  SWITCHYARD_LISTEN="127.0.0.1:$gw_port" SWITCHYARD_MOCK_ADDR="127.0.0.1:$mock_port" \
    "${pin_gw[@]}" "$B/switchyard" --config bench/bench.toml --log-level warn &
  gw_pid=$!; pids+=($gw_pid); wait_port "$gw_port"
  gw_url="http://127.0.0.1:$gw_port/v1/chat/completions"; gw_key="$key"; gw_name="switchyard"
else
  gw_pid=""; gw_url="$target"; gw_key="$target_key"; gw_name="target"
fi
direct_url="http://127.0.0.1:$mock_port/v1/chat/completions"
idle_rss_kb=""; [[ -n "$gw_pid" ]] && idle_rss_kb=$(rss_kb "$gw_pid")

d() { if [[ -n "$quick" ]]; then echo "$2"; else echo "$1"; fi; }  # full / quick durations (ms)

run() {  # run LABEL URL KEY ARGS... : one measurement, appended to the JSON file
  local label=$1 url=$2 k=$3; shift 3
  local pidarg=()
  if [[ "$url" == "$gw_url" && -n "$gw_pid" ]]; then pidarg=(--pid "$gw_pid"); fi
  "${pin_other[@]}" "$B/switchyard-bench" --url "$url" --key "$k" --label "$label" --json "$json" "${pidarg[@]}" "$@" || true
}
pair() {  # pair NAME ARGS... : the same run direct and through the gateway
  local name=$1; shift
  run "$name/direct" "$direct_url" "" "$@"
  run "$name/$gw_name" "$gw_url" "$gw_key" "$@"
}

echo "== overhead at concurrency 1, zero-delay mock"
pair c1 --connections 1 --warmup-ms 1000 --duration-ms "$(d 10000 3000)"
if [[ -n "$gw_pid" && ${#pin_gw[@]} -gt 0 ]]; then
  # On a VM, waking a process on another core costs ~40 µs per hop, and a request through the
  # gateway makes four such hops: measure once more with everything on one core.
  echo "== overhead at concurrency 1, everything on core 1"
  taskset -p -c 1 "$gw_pid" > /dev/null
  pair c1samecore --connections 1 --warmup-ms 1000 --duration-ms "$(d 10000 3000)"
  taskset -p -c 0 "$gw_pid" > /dev/null
fi
echo "== fixed rate 2000 req/s, mock answers in 20 ms"
pair rate2000 --rate 2000 --connections 256 --extra '"mock":{"ttft_ms":20}' --warmup-ms 1000 --duration-ms "$(d 10000 3000)"
echo "== max throughput, 64 connections, zero-delay mock (gateway alone on core 0)"
pair max64 --connections 64 --warmup-ms 1000 --duration-ms "$(d 10000 3000)"
echo "== streaming: 64 chunks 20 ms apart"
pair stream1 --stream --connections 1 --extra '"mock":{"tokens":64,"tokens_per_second":50}' --warmup-ms 1500 --duration-ms "$(d 10000 4000)"
pair stream1000 --stream --connections 1000 --connect-spread-ms 1000 --extra '"mock":{"tokens":64,"tokens_per_second":50}' --warmup-ms 2500 --duration-ms "$(d 10000 4000)"

if [[ -n "$gw_pid" ]]; then
  # Each stream holds a client and an upstream socket in the gateway.
  streams=$(( (hard - 500) / 2 )); ((streams > 10000)) && streams=10000
  [[ -n "$quick" ]] && streams=$((streams < 2000 ? streams : 2000))
  echo "== scale: $streams concurrent slow streams (16 chunks, 1 s apart)"
  before_kb=$(rss_kb "$gw_pid")
  run "scale$streams/$gw_name" "$gw_url" "$gw_key" --stream --connections "$streams" --requests-per-connection 1 --warmup-ms 0 \
    --connect-spread-ms 5000 --stall-ms 2000 --extra '"mock":{"tokens":16,"tokens_per_second":1}'
  echo "== soak: RSS over $(d 120 20) s of closed-loop load, then at rest"
  soak_json="$out.soak.tmp"; : > "$soak_json"
  "${pin_other[@]}" "$B/switchyard-bench" --url "$gw_url" --key "$gw_key" --label soak --connections 16 \
    --warmup-ms 0 --duration-ms "$(d 120000 20000)" --pid "$gw_pid" --json "$json" &
  soak_pid=$!
  rss_series=()
  while kill -0 "$soak_pid" 2>/dev/null; do rss_series+=("$(rss_kb "$gw_pid")"); sleep "$(d 10 2)"; done
  wait "$soak_pid" || true
  sleep 2
  after_kb=$(rss_kb "$gw_pid")
  printf '{"label":"memory","idle_rss_kb":%s,"before_scale_rss_kb":%s,"after_load_rss_kb":%s,"soak_rss_kb":[%s]}\n' \
    "$idle_rss_kb" "$before_kb" "$after_kb" "$(IFS=,; echo "${rss_series[*]}")" >> "$json"
  rm -f "$soak_json"
fi

./scripts/bench-report.sh "$json" > "$out.md"
cat "$out.md"
echo "bench: results in $json and $out.md"
