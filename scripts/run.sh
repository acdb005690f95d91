#!/usr/bin/env bash
# Installs what is missing, builds in Release and starts the gateway with
# conf/switchyard.toml. With no provider key in the environment it also starts
# switchyard-mock and enables the "mock" provider, so it works out of the box.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/setup.sh
./scripts/build.sh release

listen="${SWITCHYARD_LISTEN:-127.0.0.1:8080}"
export SWITCHYARD_LISTEN="$listen"
if [[ -z "${SWITCHYARD_KEY:-}" ]]; then
  SWITCHYARD_KEY="sy-$(openssl rand -hex 16)"
  export SWITCHYARD_KEY
  echo "run: generated a client key for this run: SWITCHYARD_KEY=$SWITCHYARD_KEY"
fi

if [[ -z "${SWITCHYARD_ADMIN_KEY:-}" ]]; then
  SWITCHYARD_ADMIN_KEY="sy-admin-$(openssl rand -hex 16)"
  export SWITCHYARD_ADMIN_KEY
  echo "run: generated an admin key for this run (the dashboard, /admin): SWITCHYARD_ADMIN_KEY=$SWITCHYARD_ADMIN_KEY"
fi

mock_pid=""
have_key=""
for k in OPENAI_API_KEY ANTHROPIC_API_KEY OPENROUTER_API_KEY MISTRAL_API_KEY DEEPSEEK_API_KEY GEMINI_API_KEY; do
  if [[ -n "${!k:-}" ]]; then have_key=1; fi
done
if [[ -z "$have_key" ]]; then
  export SWITCHYARD_MOCK_ADDR="${SWITCHYARD_MOCK_ADDR:-127.0.0.1:9090}"
  export SWITCHYARD_MOCK_KEY="mock-provider-key"
  echo "run: no provider key set: starting switchyard-mock on $SWITCHYARD_MOCK_ADDR (tokens at 50/s)"
  ./build/release/switchyard-mock --listen "$SWITCHYARD_MOCK_ADDR" --ttft-ms 150 --tps 50 --tokens 24 &
  mock_pid=$!
fi
cleanup() { if [[ -n "$mock_pid" ]]; then kill "$mock_pid" 2>/dev/null || true; fi; }
trap cleanup EXIT

cat <<MSG

Switchyard on http://$listen/v1 — try it:

  curl -s http://$listen/v1/chat/completions \\
    -H "Authorization: Bearer $SWITCHYARD_KEY" -H "Content-Type: application/json" \\
    -d '{"model":"fast","messages":[{"role":"user","content":"Hello!"}]}'

Add "stream": true for a streamed answer (curl -N). The status dashboard: http://$listen/ui
(paste SWITCHYARD_ADMIN_KEY). Ctrl-C stops it.

MSG
./build/release/switchyard --config conf/switchyard.toml &
gw_pid=$!
trap 'kill -TERM $gw_pid 2>/dev/null || true; wait $gw_pid 2>/dev/null || true; cleanup' INT TERM
wait "$gw_pid"
