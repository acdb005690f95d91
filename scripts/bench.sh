#!/usr/bin/env bash
# Benchmarks Switchyard against the physical limit and against a plain
# reverse proxy: every scenario runs straight to switchyard-mock, through
# switchyard to the same mock, and (where nginx is installed: setup.sh
# --bench) through nginx `proxy_pass` to the same mock with proxy_buffering
# off, so the gateway's cost is a difference measured side by side, in one
# run, on this machine. Both proxies are pinned alone on core 0.
#
#   scripts/bench.sh                 full run (about 10 minutes)
#   scripts/bench.sh --quick         a 1-minute subset
#   scripts/bench.sh --only REGEX    only the scenarios whose name matches (e.g. 'paced100|burst64')
#   scripts/bench.sh --workers N     the gateway with [server] workers = N (default 1) and nginx with
#                                    worker_processes N, both pinned to cores 0..N-1; the load generator
#                                    and the mock stay on the last core (so with N = the core count
#                                    they share a core with a worker: the summary shows their CPU)
#   SWITCHYARD_BENCH_BUILD=DIR scripts/bench.sh ...   the binaries in DIR instead of a fresh build/release
#   scripts/bench.sh --target URL    compare another OpenAI-compatible gateway instead of switchyard;
#                                    point it at the mock on 127.0.0.1:19090 (send --key KEY if it needs one)
#
# Writes bench/results/<date>-<commit>.json (one line per run) and .md (the summary table).
set -euo pipefail
cd "$(dirname "$0")/.."

quick=""; target=""; target_key=""; only=""; workers=1
while (($#)); do
  case "$1" in
    --quick) quick=1 ;;
    --workers) workers="$2"; shift ;;
    --target) target="$2"; shift ;;
    --key) target_key="$2"; shift ;;
    --only) only="$2"; shift ;;
    *) echo "usage: $0 [--quick] [--only REGEX] [--workers N] [--target URL [--key KEY]]" >&2; exit 2 ;;
  esac
  shift
done

./scripts/setup.sh --bench
# SWITCHYARD_BENCH_BUILD=DIR: measure the binaries in DIR (e.g. an older commit's build, for a before/after in one session).
B="${SWITCHYARD_BENCH_BUILD:-build/release}"
[[ -z "${SWITCHYARD_BENCH_BUILD:-}" ]] && ./scripts/build.sh release
mkdir -p bench/results
commit=$(git rev-parse --short HEAD 2>/dev/null || echo nogit)
stamp=$(date -u +%Y-%m-%dT%H%M%SZ)
out="bench/results/${stamp}-${commit}$( ((workers > 1)) && echo "-w$workers" || true)"
json="$out.json"; : > "$json"

hard=$(ulimit -Hn); ulimit -n "$hard"
mock_port=19090; gw_port=18080; nginx_port=18081
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
pin_gw=(taskset -c 0); pin_other=(taskset -c $((cores - 1)))
((workers > 1)) && pin_gw=(taskset -c "0-$((workers < cores ? workers - 1 : cores - 1))")
if ((cores < 2)); then pin_gw=(); pin_other=(); fi
# The gateway's configuration with its workers (bench.toml is for one).
gw_config=$(mktemp /tmp/switchyard-bench-XXXXXX.toml)
sed "s/^\[server\]$/[server]\nworkers = $workers/" bench/bench.toml > "$gw_config"

"${pin_other[@]}" "$B/switchyard-mock" --listen "127.0.0.1:$mock_port" --hang-limit-ms 60000 > /dev/null &
pids+=($!); wait_port "$mock_port"

if [[ -z "$target" ]]; then
  SWITCHYARD_LISTEN="127.0.0.1:$gw_port" SWITCHYARD_MOCK_ADDR="127.0.0.1:$mock_port" \
    "${pin_gw[@]}" "$B/switchyard" --config "$gw_config" --log-level warn &
  gw_pid=$!; pids+=($gw_pid); wait_port "$gw_port"
  gw_url="http://127.0.0.1:$gw_port/v1/chat/completions"; gw_key="$key"; gw_name="switchyard"
else
  gw_pid=""; gw_url="$target"; gw_key="$target_key"; gw_name="target"
fi
direct_url="http://127.0.0.1:$mock_port/v1/chat/completions"

# nginx as the reference proxy: one worker on the gateway's core, a keep-alive
# upstream pool, no buffering of the answer (streams relayed as they come).
nginx_url=""; nginx_pid=""
if command -v nginx > /dev/null && [[ -z "$target" ]]; then
  nginx_dir=$(mktemp -d /tmp/switchyard-bench-nginx.XXXXXX)
  cat > "$nginx_dir/nginx.conf" <<NGINX
worker_processes $workers;
worker_cpu_affinity $( ((cores < 2 || workers > 1)) && echo auto || echo 01);
worker_rlimit_nofile $hard;
pid $nginx_dir/nginx.pid;
error_log $nginx_dir/error.log error;
$( [[ $(id -u) == 0 ]] && echo "user root;")
events { worker_connections $(( hard - 100 )); multi_accept on; }
http {
  access_log off;
  client_body_temp_path $nginx_dir/body;
  proxy_temp_path $nginx_dir/proxy;
  upstream mock { server 127.0.0.1:$mock_port; keepalive 1024; }
  server {
    listen 127.0.0.1:$nginx_port backlog=4096;
    keepalive_requests 1000000;
    location / {
      proxy_pass http://mock;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
      proxy_request_buffering off;
    }
  }
}
NGINX
  "${pin_gw[@]}" nginx -c "$nginx_dir/nginx.conf" -p "$nginx_dir" -g 'daemon off;' 2> "$nginx_dir/stderr" &
  pids+=($!); wait_port "$nginx_port"
  nginx_pid=$(pgrep -P "${pids[-1]}" | head -1)  # the worker: where the proxying happens
  if ((workers > 1)); then  # several workers: the process stats follow the master and its workers
    nginx_pid=$(pgrep -P "${pids[-1]}" | paste -sd, -)
  fi
  nginx_url="http://127.0.0.1:$nginx_port/v1/chat/completions"
fi
idle_rss_kb=""; [[ -n "$gw_pid" ]] && idle_rss_kb=$(rss_kb "$gw_pid")

d() { if [[ -n "$quick" ]]; then echo "$2"; else echo "$1"; fi; }  # full / quick durations (ms)

run() {  # run LABEL URL KEY ARGS... : one measurement, appended to the JSON file
  local label=$1 url=$2 k=$3; shift 3
  if [[ -n "$only" && ! "${label%%/*}" =~ ^($only)$ ]]; then return 0; fi
  local pidarg=()
  if [[ "$url" == "$gw_url" && -n "$gw_pid" ]]; then pidarg=(--pid "$gw_pid"); fi
  if [[ -n "$nginx_url" && "$url" == "$nginx_url" ]]; then pidarg=(--pid "$nginx_pid"); fi
  "${pin_other[@]}" "$B/switchyard-bench" --url "$url" --key "$k" --label "$label" --json "$json" "${pidarg[@]}" "$@" || true
}
pair() {  # pair NAME ARGS... : the same run direct, through the gateway and through nginx
  local name=$1; shift
  run "$name/direct" "$direct_url" "" "$@"
  run "$name/$gw_name" "$gw_url" "$gw_key" "$@"
  if [[ -n "$nginx_url" ]]; then run "$name/nginx" "$nginx_url" "" "$@"; fi
}

echo "== overhead at concurrency 1, zero-delay mock"
pair c1 --connections 1 --warmup-ms 1000 --duration-ms "$(d 10000 3000)"
if [[ -n "$gw_pid" && ${#pin_gw[@]} -gt 0 && $workers == 1 ]]; then
  # On a VM, waking a process on another core costs ~40 µs per hop, and a request through the
  # gateway makes four such hops: measure once more with everything on one core.
  echo "== overhead at concurrency 1, everything on core 1"
  taskset -a -p -c 1 "$gw_pid" > /dev/null
  [[ -n "$nginx_pid" ]] && taskset -p -c 1 "$nginx_pid" > /dev/null
  pair c1samecore --connections 1 --warmup-ms 1000 --duration-ms "$(d 10000 3000)"
  taskset -a -p -c 0 "$gw_pid" > /dev/null
  [[ -n "$nginx_pid" ]] && taskset -p -c 0 "$nginx_pid" > /dev/null
fi
echo "== fixed rate 2000 req/s, mock answers in 20 ms"
pair rate2000 --rate 2000 --connections 256 --extra '"mock":{"ttft_ms":20}' --warmup-ms 1000 --duration-ms "$(d 10000 3000)"
echo "== max throughput, 64 connections, zero-delay mock (gateway alone on core 0)"
pair max64 --connections 64 --warmup-ms 1000 --duration-ms "$(d 10000 3000)"

# The public AI-gateway board's method (onthebench.ai): an upstream that answers in 20 ms, a sweep of
# connections; req/s and p99 at each, next to nginx with as many workers as the gateway has reactors.
for n in 1 64 256 1024 4096; do
  ((n * 2 + 500 > hard)) && continue
  [[ -n "$quick" && $n -gt 256 ]] && continue
  spread=$(( n >= 1000 ? n / 2 : 0 ))
  echo "== the board's sweep: 20 ms upstream, $n connections"
  pair "board$n" --connections "$n" --connect-spread-ms "$spread" --extra '"mock":{"ttft_ms":20}' \
    --warmup-ms $(( 1000 + spread )) --duration-ms "$(d 10000 3000)"
done

echo "== a burst: an answer of 11 events arriving in one read, 64 connections"
pair burst64 --stream --connections 64 --extra '"mock":{"tokens":8,"burst":1}' --warmup-ms 1000 --duration-ms "$(d 10000 3000)"

# Paced streams: 64 chunks 20 ms apart (~1.3 s a stream), at growing concurrency.
paced='"mock":{"tokens":64,"tokens_per_second":50}'
for n in 1 100 1000 5000; do
  ((n * 2 + 500 > hard)) && continue
  [[ -n "$quick" && $n -gt 1000 ]] && continue
  spread=$(( n >= 1000 ? n : 0 ))
  echo "== paced streams: $n concurrent"
  pair "paced$n" --stream --connections "$n" --connect-spread-ms "$spread" --stall-ms 1000 --extra "$paced" \
    --warmup-ms $(( 1500 + spread )) --duration-ms "$(d 10000 4000)"
done
if [[ -n "$gw_pid" ]]; then
  # The same through an Anthropic-type target (Anthropic events translated to OpenAI chunks) and a
  # Bedrock target (ConverseStream's EventStream frames decoded and translated; SigV4 on each request).
  for kind in "translated anthropic Anthropic's API" "bedrock bedrock Bedrock's ConverseStream (EventStream)"; do
    read -r prefix model what <<< "$kind"
    for n in 100 1000; do
      spread=$(( n >= 1000 ? n : 0 ))
      echo "== paced streams from $what: $n concurrent"
      run "$prefix$n/$gw_name" "$gw_url" "$gw_key" --model "$model" --stream --connections "$n" --connect-spread-ms "$spread" \
        --stall-ms 1000 --extra "$paced" --warmup-ms $(( 1500 + spread )) --duration-ms "$(d 10000 4000)"
    done
  done
  run "translatedburst64/$gw_name" "$gw_url" "$gw_key" --model anthropic-burst --stream --connections 64 \
    --warmup-ms 1000 --duration-ms "$(d 10000 3000)"
fi

if [[ -n "$gw_pid" ]]; then
  if [[ -z "$only" || "cachefill" =~ ^($only)$ ]]; then
    # Fill and evict: 1 KiB answers, every one different, many times max_bytes (32 MiB),
    # first through the route without a cache (what the rest of the gateway grows by: the
    # ledger's in-memory rows, buffers), then through the cached one; the gateway's RSS
    # sampled every 0.5 s. The second peak over the first is the cache's.
    fill() {  # fill LABEL MODEL: prints the RSS peak (kB) during the run
      "${pin_other[@]}" "$B/switchyard-bench" --url "$gw_url" --key "$gw_key" --label "$1/$gw_name" --model "$2" --unique \
        --extra '"mock":{"tokens":200}' --connections 16 --warmup-ms 0 --duration-ms "$(d 20000 8000)" --pid "$gw_pid" --json "$json" > /dev/null &
      local p=$! peak=0 r
      while kill -0 "$p" 2>/dev/null; do
        r=$(rss_kb "$gw_pid"); ((r > peak)) && peak=$r
        sleep 0.5
      done
      wait "$p" || true
      echo "$peak"
    }
    echo "== response cache: fill and evict (max_bytes 32 MiB), without the cache, then with it"
    fill_base_kb=$(rss_kb "$gw_pid")
    nocache_peak_kb=$(fill cachefilloff uncached)
    cache_peak_kb=$(fill cachefill cached)
    m=$(curl -s "http://127.0.0.1:$gw_port/metrics")
    printf '{"label":"cachememory","max_bytes":33554432,"base_rss_kb":%s,"nocache_peak_rss_kb":%s,"cache_peak_rss_kb":%s,"cache_bytes_end":%s,"entries":%s,"evictions":%s}\n' \
      "$fill_base_kb" "$nocache_peak_kb" "$cache_peak_kb" "$(echo "$m" | awk '/^switchyard_cache_bytes / {print $2}')" \
      "$(echo "$m" | awk '/^switchyard_cache_entries / {print $2}')" "$(echo "$m" | awk '/^switchyard_cache_evictions_total / {print $2}')" >> "$json"
  fi
  # The response cache against the zero-delay mock: hits ("cached", the same request
  # each time), misses ("cached" with every request different: each one fetched and
  # stored, evicting) and no cache at all ("uncached", every request different too).
  for c in 1 16; do
    echo "== response cache, $c connection(s): no cache, misses, hits, streamed hits"
    run "cacheoff$c/$gw_name" "$gw_url" "$gw_key" --model uncached --unique --connections "$c" --warmup-ms 1000 --duration-ms "$(d 8000 3000)"
    run "cachemiss$c/$gw_name" "$gw_url" "$gw_key" --model cached --unique --connections "$c" --warmup-ms 1000 --duration-ms "$(d 8000 3000)"
    run "cachehit$c/$gw_name" "$gw_url" "$gw_key" --model cached --connections "$c" --warmup-ms 1000 --duration-ms "$(d 8000 3000)"
    run "cachehitstream$c/$gw_name" "$gw_url" "$gw_key" --model cached --stream --connections "$c" --warmup-ms 1000 --duration-ms "$(d 8000 3000)"
  done
fi

if [[ -n "$gw_pid" && -z "$only" ]]; then
  # Each stream holds a client and an upstream socket in the gateway.
  # Headroom: the pools keep idle upstream connections from the runs before (their idle timeout).
  streams=$(( (hard - 3000) / 2 )); ((streams > 10000)) && streams=10000
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
