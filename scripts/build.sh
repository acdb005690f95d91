#!/usr/bin/env bash
# Builds Switchyard.  scripts/build.sh [release|debug|sanitize]   (default: release)
# Output: build/<kind>/switchyard, build/<kind>/switchyard-mock, tests.
set -euo pipefail
cd "$(dirname "$0")/.."
kind="${1:-release}"
case "$kind" in
  release)  args=(-DCMAKE_BUILD_TYPE=Release -DSWITCHYARD_TESTS=OFF -DSWITCHYARD_PCH=OFF) ;;
  debug)    args=(-DCMAKE_BUILD_TYPE=Debug) ;;
  # -g1 (line tables: ASan and UBSan reports keep file:line) builds and links much faster than
  # full debug info on Asio's coroutine templates; the bench tools are not built here.
  sanitize) args=(-DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG=-g1 -DSWITCHYARD_SANITIZE=ON -DSWITCHYARD_BENCH_TOOLS=OFF -DSWITCHYARD_PCH=ON) ;;
  *) echo "usage: $0 [release|debug|sanitize]" >&2; exit 2 ;;
esac
# One job more than cores: a core is not idle while another job links or waits on the disk.
jobs=$(( $(nproc 2>/dev/null || echo 2) + 1 ))
cmake -S . -B "build/$kind" "${args[@]}" >/dev/null
cmake --build "build/$kind" -j "$jobs"
