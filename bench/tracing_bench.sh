#!/usr/bin/env bash
# What tracing costs (issue 29): two gateways on the same mock in one run, one
# with [telemetry] off and one exporting every request (sample_ratio = 1.0) to
# an OTLP collector (the mock takes POST /v1/traces), under the same open-loop
# load, alternated five times: the gateway's CPU per request (user + system,
# all threads: the exporter's thread included) and the latency quantiles.
#   bench/tracing_bench.sh [BUILD_DIR] [RATE]     (default build/release, 2000 requests/s)
set -euo pipefail
cd "$(dirname "$0")/.."
B="${1:-build/release}"
RATE="${2:-2000}"
dir=$(mktemp -d /tmp/switchyard-tracing-bench.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$dir"; }
trap cleanup EXIT
wait_port() { for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.05; done; echo "nothing on $1" >&2; exit 1; }
"$B/switchyard-mock" --listen 127.0.0.1:19591 > /dev/null & pids+=($!)
cp bench/bench.toml "$dir/off.toml"
cp bench/bench.toml "$dir/on.toml"
printf '\n[telemetry]\notlp_endpoint = "http://127.0.0.1:19591"\nsample_ratio = 1.0\n' >> "$dir/on.toml"
SWITCHYARD_LISTEN=127.0.0.1:18591 SWITCHYARD_MOCK_ADDR=127.0.0.1:19591 "$B/switchyard" --config "$dir/off.toml" --log-level warn & off=$!; pids+=($off)
SWITCHYARD_LISTEN=127.0.0.1:18592 SWITCHYARD_MOCK_ADDR=127.0.0.1:19591 "$B/switchyard" --config "$dir/on.toml" --log-level warn & on=$!; pids+=($on)
wait_port 19591; wait_port 18591; wait_port 18592
run() {  # label port pid
  "$B/switchyard-bench" --url "http://127.0.0.1:$2/v1/chat/completions" --key sy-bench-key-0123456789 --model fast \
    --connections 16 --rate "$RATE" --warmup-ms 1000 --duration-ms 8000 --pid "$3" --label "$1" --json "$dir/runs.jsonl" > /dev/null
}
for round in 1 2 3 4 5; do  # alternated, and the order swapped each round (a VM's noise drifts)
  if (( round % 2 )); then run "off r$round" 18591 "$off"; run "on r$round" 18592 "$on"
  else run "on r$round" 18592 "$on"; run "off r$round" 18591 "$off"; fi
done
python3 - "$dir/runs.jsonl" "$RATE" <<'PY'
import json, sys
runs = [json.loads(l) for l in open(sys.argv[1])]
def pick(r, *keys):
    for k in keys:
        if k in r: return r[k]
    return None
print(f"{'run':10} {'req/s':>8} {'CPU us/req':>11} {'p50 us':>8} {'p99 us':>8} {'p99.9 us':>9} {'errors':>6}")
agg = {}
for r in runs:
    lat = r.get("latency", {})
    cpu = pick(r, "target_cpu_us_per_request")
    print(f"{r['label']:10} {r.get('throughput_rps', 0):8.0f} {cpu if cpu is not None else float('nan'):11.1f} "
          f"{lat.get('p50_us', 0):8.0f} {lat.get('p99_us', 0):8.0f} {lat.get('p999_us', 0):9.0f} {r.get('failed', 0):6}")
    k = r['label'].split()[0]
    agg.setdefault(k, []).append((cpu or 0, lat.get('p99_us', 0)))
med = lambda xs: sorted(xs)[len(xs) // 2]
off_cpu, on_cpu = med([c for c, _ in agg['off']]), med([c for c, _ in agg['on']])
off_p99, on_p99 = med([p for _, p in agg['off']]), med([p for _, p in agg['on']])
print(f"median of 5: CPU/request off {off_cpu:.1f} us, on {on_cpu:.1f} us ({100 * (on_cpu / off_cpu - 1):+.1f}%); "
      f"p99 off {off_p99:.0f} us, on {on_p99:.0f} us")
PY
# The exporter's own thread (named sy-otlp-export): its CPU over every request the traced gateway served.
hz=$(getconf CLK_TCK)
ticks=0
for t in /proc/$on/task/*; do  # (its resolver thread inherits the name: added up)
  [[ "$(cat "$t/comm")" == sy-otlp-export ]] && ticks=$((ticks + $(awk '{print $14 + $15}' "$t/stat")))
done
served=$(curl -s http://127.0.0.1:18592/metrics | awk '/^switchyard_telemetry_traces_total/ {print $2}')
awk -v t="$ticks" -v hz="$hz" -v n="$served" 'BEGIN { printf "exporter thread: %.2f s of CPU for %d traced requests = %.1f us a request\n", t / hz, n, 1e6 * t / hz / n }'
curl -s http://127.0.0.1:18592/metrics | grep -E "^switchyard_telemetry_(spans_exported|spans_dropped|export_failures)" || true
