#!/usr/bin/env bash
# The daemon's stderr stops being read (a stuck log shipper, a full pipe):
# every request is still answered at full speed, the log lines that do not
# fit are dropped and counted in switchyard_log_dropped_total, and when the
# reader comes back the log flows again.
#   stuck_log_test.sh SWITCHYARD MOCK BENCH
set -euo pipefail
. "$(dirname "$0")/../support/listening_port.sh"
gw_bin="$1"; mock_bin="$2"; bench_bin="$3"
dir=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$dir"; }
trap cleanup EXIT

"$mock_bin" --listen 127.0.0.1:0 --tokens 4 > "$dir/mock.log" &
pids+=($!)
mock_port=$(listening_port "$dir/mock.log")

cat > "$dir/gw.toml" <<TOML
[server]
listen = "127.0.0.1:0"
access_log = true
[[providers]]
name = "mock"
type = "openai"
base_url = "http://127.0.0.1:$mock_port/v1"
[[models]]
name = "fast"
targets = [ { provider = "mock", model = "mock-fast" } ]
[[keys]]
name = "t"
key = "sy-stuck-log-key-0123"
TOML

# stderr is a pipe this script holds open and does not read (after the first lines).
mkfifo "$dir/stderr"
exec 3<> "$dir/stderr"
"$gw_bin" --config "$dir/gw.toml" 2> "$dir/stderr" &
pids+=($!)
port=""
while IFS= read -r -t 10 line <&3; do
  if [[ "$line" == *"listening on http://127.0.0.1:"* ]]; then port=${line##*127.0.0.1:}; port=${port%% *}; break; fi
done
[[ -n "$port" ]] || { echo "stuck_log_test: the gateway did not start" >&2; exit 1; }

# ~12,000 access-log lines (~3 MB) into a pipe that holds 64 KiB: the
# writer's ring fills and drops; the requests must not notice.
"$bench_bin" --url "http://127.0.0.1:$port/v1/chat/completions" --key sy-stuck-log-key-0123 --connections 4 \
  --requests-per-connection 3000 --warmup-ms 0 --json "$dir/out.json" --label stuck > /dev/null || true
grep -q '"ok":12000,' "$dir/out.json" || { echo "stuck_log_test: not every request was answered: $(cat "$dir/out.json")" >&2; exit 1; }
grep -q '"failed":0,' "$dir/out.json" || { echo "stuck_log_test: failures: $(cat "$dir/out.json")" >&2; exit 1; }

metric() {  # the value of switchyard_log_dropped_total
  exec 4<> "/dev/tcp/127.0.0.1/$port"
  printf 'GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' >&4
  sed -n 's/^switchyard_log_dropped_total \([0-9]*\).*/\1/p' <&4
  exec 4<&-
}
dropped=$(metric)
if [[ -z "$dropped" || "$dropped" -eq 0 ]]; then echo "stuck_log_test: no line counted as dropped ($dropped)" >&2; exit 1; fi

# The reader comes back: what the ring held arrives, then new lines again.
timeout 20 cat <&3 > "$dir/drained" &
reader=$!
"$bench_bin" --url "http://127.0.0.1:$port/v1/chat/completions" --key sy-stuck-log-key-0123 --connections 1 \
  --requests-per-connection 1 --warmup-ms 0 > /dev/null
for _ in $(seq 1 200); do
  [[ $(grep -c ' info request ' "$dir/drained" || true) -gt 1000 ]] && tail -c 2000 "$dir/drained" | grep -q 'status=200' && break
  sleep 0.05
done
kill "$reader" 2>/dev/null || true
lines=$(grep -c ' info request ' "$dir/drained" || true)
if [[ "$lines" -lt 1000 ]]; then echo "stuck_log_test: the log did not flow again ($lines lines)" >&2; exit 1; fi
echo "stuck_log_test: 12000 answered with stderr stuck, $dropped lines dropped, $lines lines after the reader came back"
echo "1 passed, 0 failed"
