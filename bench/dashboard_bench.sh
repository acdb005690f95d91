#!/usr/bin/env bash
# What the status dashboard costs (issue 16): the gateway's CPU over 20 s with
# no page open, then with one page's event stream (GET /admin/events, one
# snapshot a second with the newest 100 ledger rows) and then with five, while
# a steady load of 200 requests/s runs (so the snapshots carry real figures).
# CPU from /proc/<pid>/stat (user + system, all threads).
#   bench/dashboard_bench.sh [BUILD_DIR]     (default build/release)
set -euo pipefail
cd "$(dirname "$0")/.."
B="${1:-build/release}"
dir=$(mktemp -d /tmp/switchyard-dashboard-bench.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$dir"; }
trap cleanup EXIT
wait_port() { for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.05; done; echo "nothing on $1" >&2; exit 1; }
"$B/switchyard-mock" --listen 127.0.0.1:19491 > /dev/null & pids+=($!)
cp bench/bench.toml "$dir/g.toml"
sed -i 's|^\[server\]|[server]\nadmin_key = "sy-bench-admin-0123456789"|' "$dir/g.toml"
SWITCHYARD_LISTEN=127.0.0.1:18491 SWITCHYARD_MOCK_ADDR=127.0.0.1:19491 "$B/switchyard" --config "$dir/g.toml" --log-level warn & gw=$!; pids+=($gw)
wait_port 19491; wait_port 18491
ticks() { awk '{print $14 + $15}' "/proc/$gw/stat"; }
hz=$(getconf CLK_TCK)
measure() {
  local label="$1" watchers="$2" w=()
  for _ in $(seq 1 "$watchers"); do
    curl -sN -H "Authorization: Bearer sy-bench-admin-0123456789" http://127.0.0.1:18491/admin/events > "$dir/events.$RANDOM" & w+=($!)
  done
  sleep 1
  local a b
  a=$(ticks); sleep 20; b=$(ticks)
  for p in "${w[@]}"; do kill "$p" 2>/dev/null || true; done
  awk -v l="$label" -v t=$((b - a)) -v hz="$hz" 'BEGIN { printf "  %-22s gateway CPU %.2f%% of a core\n", l, 100 * t / hz / 20 }'
}
sleep 1
echo "idle (no requests):"
measure "no page open" 0
measure "one page open" 1
echo "with ~200 requests/s:"
# A steady 200 requests/s in the background (the bench tool paced by --rate if it has it, else curl in a loop).
( while sleep 0.005; do curl -s -o /dev/null -H "Authorization: Bearer sy-bench-key-0123456789" \
    -d '{"model":"uncached","messages":[{"role":"user","content":"hi"}]}' http://127.0.0.1:18491/v1/chat/completions; done ) & pids+=($!)
sleep 2
measure "no page open" 0
measure "one page open" 1
measure "five pages open" 5
ls -la "$dir"/events.* | awk 'NR == 1 { printf "  one event: %d bytes a second\n", $5 / 21 }'
