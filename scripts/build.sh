#!/usr/bin/env bash
# Builds Switchyard.  scripts/build.sh [release|debug|sanitize]   (default: release)
# Output: build/<kind>/switchyard, build/<kind>/switchyard-mock, tests.
set -euo pipefail
cd "$(dirname "$0")/.."
kind="${1:-release}"
case "$kind" in
  release)  args=(-DCMAKE_BUILD_TYPE=Release -DSWITCHYARD_TESTS=OFF) ;;
  debug)    args=(-DCMAKE_BUILD_TYPE=Debug) ;;
  sanitize) args=(-DCMAKE_BUILD_TYPE=Debug -DSWITCHYARD_SANITIZE=ON) ;;
  *) echo "usage: $0 [release|debug|sanitize]" >&2; exit 2 ;;
esac
jobs=$(nproc 2>/dev/null || echo 2)
cmake -S . -B "build/$kind" "${args[@]}" >/dev/null
cmake --build "build/$kind" -j "$jobs"
