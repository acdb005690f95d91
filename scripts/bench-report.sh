#!/usr/bin/env bash
# Turns a bench JSON file (one line per run, from scripts/bench.sh) into a Markdown summary.
set -euo pipefail
f="$1"
commit=$(basename "$f" .json | sed 's/.*-//')
echo "## Bench $(basename "$f" .json)"
echo
workers=$(basename "$f" .json | sed -n 's/.*-w\([0-9]*\)$/\1/p'); workers=${workers:-1}
if ((workers > 1)); then
  echo "Machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), gateway with $workers workers and nginx with $workers worker processes on cores 0-$((workers - 1)); mock and load generator on core $(( $(nproc) - 1 )) (shared with a worker when the workers take every core)."
else
  echo "Machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), gateway pinned alone on core 0; mock and load generator on core 1."
fi
echo
echo "### Latency and throughput (µs; added = through the gateway minus direct to the mock)"
echo
echo "| scenario | req/s direct | req/s gateway | p50 direct | p50 gateway | added p50 | p99 direct | p99 gateway | added p99 | added p99.9 | added mean | gateway-reported overhead p50 / p99 | gateway CPU µs/req | failed |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
for s in c1 c1samecore rate2000 max64; do
  jq -rs --arg s "$s" '
    def r(x): (x * 10 | round) / 10;
    (map(select(.label == ($s + "/direct"))) | first) as $d |
    (map(select(.label | startswith($s + "/")) | select(.label != ($s + "/direct") and .label != ($s + "/nginx"))) | first) as $g |
    if $d == null or $g == null then empty else
    "| \($s) | \($d.throughput_rps | round) | \($g.throughput_rps | round) | \(r($d.latency.p50_us)) | \(r($g.latency.p50_us)) | \(r($g.latency.p50_us - $d.latency.p50_us)) | \(r($d.latency.p99_us)) | \(r($g.latency.p99_us)) | \(r($g.latency.p99_us - $d.latency.p99_us)) | \(r($g.latency.p999_us - $d.latency.p999_us)) | \(r($g.latency.mean_us - $d.latency.mean_us)) | \(if $g.gateway_overhead_header then "\(r($g.gateway_overhead_header.p50_us)) / \(r($g.gateway_overhead_header.p99_us))" else "-" end) | \(if $g.target_cpu_us_per_request then r($g.target_cpu_us_per_request) else "-" end) | \($d.failed)/\($g.failed) |"
    end' "$f"
done
echo
echo "### Side by side with nginx (proxy_pass, proxy_buffering off, one worker on the same core)"
echo
echo "CPU is the proxy process's own (user + system), per request or per relayed event (the client receives"
echo "tokens + 3 events a stream: role, tokens, finish, [DONE]). Added = through the proxy minus direct to the mock."
echo
echo "| scenario | path | req/s | CPU µs/req | CPU µs/event | added p50 µs | added p99 µs | added TTFB p50 / p99 µs | added gap p50 / p99 µs | stalls | incomplete | RSS peak MB | failed |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
for s in c1 max64 burst64 paced1 paced100 paced1000 paced5000 translated100 translated1000 bedrock100 bedrock1000 translatedburst64; do
  case "$s" in burst64|translatedburst64) ev=11 ;; paced*|translated1*|bedrock1*) ev=67 ;; *) ev=0 ;; esac
  jq -rs --arg s "$s" --argjson ev "$ev" '
    def r(x): (x * 10 | round) / 10;
    (map(select(.label == ($s + "/direct"))) | first) as $d |
    ((map(select(.label == ("paced" + ($s | ltrimstr("translated") | ltrimstr("bedrock")) + "/direct"))) | first) // (map(select(.label == "burst64/direct")) | first)) as $dt |
    (if $d then $d else $dt end) as $base |
    map(select(.label | startswith($s + "/"))) | .[] |
    "| \($s) | \(.label | split("/") | .[1]) | \(.throughput_rps | round) | \(if .target_cpu_us_per_request then r(.target_cpu_us_per_request) else "-" end) | \(if .target_cpu_us_per_request and $ev > 0 then r(.target_cpu_us_per_request / $ev) else "-" end) | \(if $base then r(.latency.p50_us - $base.latency.p50_us) else "-" end) | \(if $base then r(.latency.p99_us - $base.latency.p99_us) else "-" end) | \(if .ttfb and $base.ttfb then "\(r(.ttfb.p50_us - $base.ttfb.p50_us)) / \(r(.ttfb.p99_us - $base.ttfb.p99_us))" else "-" end) | \(if .gap and $base.gap then "\(r(.gap.p50_us - $base.gap.p50_us)) / \(r(.gap.p99_us - $base.gap.p99_us))" else "-" end) | \(.stalls // "-") | \(.incomplete_streams // "-") | \(if .target_rss_peak_bytes then r(.target_rss_peak_bytes / 1048576) else "-" end) | \(.failed) |"' "$f"
done
if jq -e -s 'map(select(.label | startswith("board"))) | length > 0' "$f" > /dev/null; then
  echo
  echo "### The AI-gateway board's method (the mock answers in 20 ms; a sweep of connections)"
  echo
  echo "| connections | path | req/s | p50 µs | p99 µs | proxy CPU µs/req | load generator CPU µs/req | failed |"
  echo "|---|---|---|---|---|---|---|---|"
  for n in 1 64 256 1024 4096; do
    jq -rs --arg l "board$n" '
      def r(x): (x * 10 | round) / 10;
      map(select(.label | startswith($l + "/"))) | .[] |
      "| \($l | ltrimstr("board")) | \(.label | split("/") | .[1]) | \(.throughput_rps | round) | \(r(.latency.p50_us)) | \(r(.latency.p99_us)) | \(if .target_cpu_us_per_request then r(.target_cpu_us_per_request) else "-" end) | \(if .load_generator_cpu_us_per_request then r(.load_generator_cpu_us_per_request) else "-" end) | \(.failed) |"' "$f"
  done
fi
echo
jq -rs '
  (map(select(.label | startswith("scale"))) | first) as $s |
  (map(select(.label == "memory")) | first) as $m |
  if $s == null then empty else
  "### Scale and memory\n\n| figure | value |\n|---|---|\n" +
  "| concurrent slow streams | \($s.connections) (completed \($s.ok), failed \($s.failed), stalls over 1 s \($s.stalls), incomplete \($s.incomplete_streams)) |\n" +
  "| gateway RSS idle | \(($m.idle_rss_kb / 1024 * 10 | round) / 10) MB |\n" +
  "| gateway RSS peak with the streams open | \(($s.target_rss_peak_bytes / 1048576 * 10 | round) / 10) MB |\n" +
  "| RSS per open stream | \((($s.target_rss_peak_bytes / 1024 - $m.before_scale_rss_kb) / $s.connections * 10 | round) / 10) KiB |\n" +
  "| RSS during soak (samples) | \($m.soak_rss_kb | map(. / 1024 | round) | map(tostring) | join(", ")) MB |\n" +
  "| RSS after load, at rest | \(($m.after_load_rss_kb / 1024 * 10 | round) / 10) MB |"
  end' "$f"

if jq -e -s 'map(select(.label | startswith("cache"))) | length > 0' "$f" > /dev/null; then
  echo
  echo "### Response cache (zero-delay mock; overhead = x-switchyard-overhead-us)"
  echo
  echo "| scenario | path | req/s | p50 µs | p99 µs | overhead p50 / p99 µs | gateway CPU µs/req | failed |"
  echo "|---|---|---|---|---|---|---|---|"
  for c in 1 16; do
    for s in cacheoff cachemiss cachehit cachehitstream; do
      jq -rs --arg l "$s$c" '
        def r(x): (x * 10 | round) / 10;
        map(select(.label | startswith($l + "/"))) | .[] |
        "| \($l) | \(.label | split("/") | .[1]) | \(.throughput_rps | round) | \(r(.latency.p50_us)) | \(r(.latency.p99_us)) | \(if .gateway_overhead_header then "\(r(.gateway_overhead_header.p50_us)) / \(r(.gateway_overhead_header.p99_us))" else "-" end) | \(if .target_cpu_us_per_request then r(.target_cpu_us_per_request) else "-" end) | \(.failed) |"' "$f"
    done
  done
  jq -rs '
    map(select(.label == "cachememory")) | .[] |
    "\nFill and evict (max_bytes \(.max_bytes / 1048576) MiB, \(.evictions) evictions, \(.entries) entries at the end, \(.cache_bytes_end / 1048576 * 10 | round / 10) MiB counted): gateway RSS \(.base_rss_kb / 1024 | round) MiB before, peak \(.nocache_peak_rss_kb / 1024 | round) MiB through the route without a cache, \(.cache_peak_rss_kb / 1024 | round) MiB through the cached one: the cache took \((.cache_peak_rss_kb - .nocache_peak_rss_kb) / 1024 | round) MiB, \(((.cache_peak_rss_kb - .nocache_peak_rss_kb) * 1024 / .max_bytes * 100) | round)% of max_bytes."' "$f"
fi
