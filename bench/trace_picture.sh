#!/usr/bin/env bash
# Draws a failover as a collector would show it, from real spans: the daemon
# and the mock, provider "a" answering 503 and "b" answering, one request,
# the spans received by a small OTLP/HTTP JSON collector (Python's
# http.server) and drawn as a timeline. The README's picture comes from here.
#   bench/trace_picture.sh [BUILD_DIR]     (default build/release)
set -euo pipefail
cd "$(dirname "$0")/.."
B="${1:-build/release}"
dir=$(mktemp -d /tmp/switchyard-trace.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$dir"; }
trap cleanup EXIT
wait_port() { for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.05; done; echo "nothing on $1" >&2; exit 1; }
cat > "$dir/collector.py" <<'PY'
import http.server, sys
out = open(sys.argv[2], "ab")
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["content-length"]))
        out.write(body + b"\n"); out.flush()
        self.send_response(200); self.send_header("content-type", "application/json"); self.send_header("content-length", "2"); self.end_headers()
        self.wfile.write(b"{}")
    def log_message(self, *a): pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
python3 "$dir/collector.py" 19691 "$dir/spans.jsonl" & pids+=($!)
"$B/switchyard-mock" --listen 127.0.0.1:19692 > /dev/null & pids+=($!)
cat > "$dir/g.toml" <<'TOML'
[server]
listen = "127.0.0.1:18691"
access_log = false
[routing]
attempts_per_target = 1
[[providers]]
name = "a"
type = "openai"
base_url = "http://127.0.0.1:19692/v1"
api_key = "provider-a-key"
headers = { x-mock-status = "503" }
[[providers]]
name = "b"
type = "openai"
base_url = "http://127.0.0.1:19692/v1"
api_key = "provider-b-key"
headers = { x-mock-ttft-ms = "30" }
[[models]]
name = "fast"
targets = [{ provider = "a", model = "gpt-4o-mini" }, { provider = "b", model = "gpt-4o-mini" }]
[[keys]]
name = "team-search"
key = "sy-trace-picture-0123456789"
[telemetry]
otlp_endpoint = "http://127.0.0.1:19691"
TOML
"$B/switchyard" --config "$dir/g.toml" --log-level warn & gw=$!; pids+=($gw)
wait_port 19691; wait_port 19692; wait_port 18691
curl -s -o /dev/null -w "HTTP %{http_code}\n" -H "Authorization: Bearer sy-trace-picture-0123456789" \
  -H "traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" \
  -d '{"model":"fast","messages":[{"role":"user","content":"hello"}],"max_tokens":64}' http://127.0.0.1:18691/v1/chat/completions
kill -TERM "$gw"; wait "$gw" 2>/dev/null || true  # the shutdown flushes the spans
python3 - "$dir/spans.jsonl" <<'PY'
import json, sys
spans = []
for line in open(sys.argv[1]):
    for rs in json.loads(line)["resourceSpans"]:
        for ss in rs["scopeSpans"]:
            spans += ss["spans"]
def attr(s, k):
    for a in s.get("attributes", []):
        if a["key"] == k:
            v = a["value"]; return next(iter(v.values()))
    return None
spans.sort(key=lambda s: int(s["startTimeUnixNano"]))
t0 = int(spans[0]["startTimeUnixNano"]); t1 = max(int(s["endTimeUnixNano"]) for s in spans)
width = 40
def bar(s):
    a = (int(s["startTimeUnixNano"]) - t0) * width // max(1, t1 - t0); b = (int(s["endTimeUnixNano"]) - t0) * width // max(1, t1 - t0)
    return " " * a + "█" * max(1, b - a) + " " * (width - max(b, a + 1))
print(f"trace {spans[0]['traceId']} (continued from the client's traceparent)")
for s in spans:
    ms = (int(s["endTimeUnixNano"]) - int(s["startTimeUnixNano"])) / 1e6
    if s["kind"] == 2:
        label = f"{s['name']}  SERVER  status {attr(s, 'http.response.status_code')}  route={attr(s, 'switchyard.route')} key={attr(s, 'switchyard.key')}"
    else:
        err = attr(s, "error.type")
        what = f"error.type={err} (HTTP {attr(s, 'http.response.status_code')})" if err else f"tokens {attr(s, 'gen_ai.usage.input_tokens')} in / {attr(s, 'gen_ai.usage.output_tokens')} out, finish {','.join(attr(s, 'gen_ai.response.finish_reasons') and [v['stringValue'] for v in attr(s, 'gen_ai.response.finish_reasons')['values']] or [])}"
        label = f"  └ {s['name']}  CLIENT  {attr(s, 'gen_ai.provider.name')} via {attr(s, 'switchyard.provider')}  {what}"
    print(f"|{bar(s)}| {ms:7.2f} ms  {label}")
    for e in s.get("events", []):
        at = (int(e["timeUnixNano"]) - t0) / 1e6
        detail = ", ".join(f"{a['key']}={next(iter(a['value'].values()))}" for a in e.get("attributes", []))
        print(f"{'':{width + 2}} {'':10} · event {e['name']} at {at:.2f} ms {detail}")
PY
