#!/usr/bin/env bash
# Installs what is missing, builds with AddressSanitizer + UndefinedBehaviorSanitizer
# and runs every test (unit, integration on loopback, TLS, and the end-to-end test
# with the official openai npm SDK), after a short run of every fuzz target
# (4 s each: a regression in a parser fails here; scripts/fuzz.sh runs longer).
set -euo pipefail
cd "$(dirname "$0")/.."

phase() { echo "test.sh: $1 done at ${SECONDS} s"; }  # where the 10 minutes go
./scripts/setup.sh --test
( cd test/e2e && if [[ ! -d node_modules ]] || [[ package-lock.json -nt node_modules ]]; then npm ci --no-audit --no-fund --loglevel=error; fi )
phase "setup"
./scripts/fuzz.sh "${SWITCHYARD_FUZZ_SECONDS:-4}"
phase "fuzz"
./scripts/tsan.sh
phase "thread sanitizer (the state every worker shares)"
./scripts/build.sh sanitize
phase "sanitizer build"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
ctest --test-dir build/sanitize --output-on-failure -j "$(nproc 2>/dev/null || echo 2)" --timeout 300
