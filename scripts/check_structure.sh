#!/usr/bin/env bash
# The code's shape, checked on every test run:
#   - no function in src/ longer than 80 lines (universal-ctags finds them);
#   - includes point down only: nothing below gateway/ and server/ includes
#     their headers or the public gateway.hpp, and pipeline/ never includes server/.
# Usage: scripts/check_structure.sh [source root]   (exit 1 with what is wrong)
set -euo pipefail
root="${1:-$(cd "$(dirname "$0")/.." && pwd)}"
cd "$root"
ctags_bin="$(command -v ctags-universal || command -v ctags || true)"
if [[ -z "$ctags_bin" ]]; then
  echo "check_structure: universal-ctags is not installed (scripts/setup.sh --test installs it)" >&2
  exit 1
fi
status=0
max_lines=80
long=$(find src -name '*.cpp' -o -name '*.hpp' | sort | xargs "$ctags_bin" -o - --fields=+ne --kinds-c++=f 2>/dev/null |
  awk -F'\t' -v max="$max_lines" '{
    line = 0; end = 0
    for (i = 4; i <= NF; i++) {
      if ($i ~ /^line:/) line = substr($i, 6)
      if ($i ~ /^end:/) end = substr($i, 5)
    }
    if (end > 0 && end - line + 1 > max) printf "%s:%d: %s is %d lines (at most %d)\n", $2, line, $1, end - line + 1, max
  }')
if [[ -n "$long" ]]; then
  echo "$long"
  status=1
fi
# Includes running up a layer.
for dir in src/*/; do
  layer=$(basename "$dir")
  case "$layer" in gateway|server|ui) continue ;; esac
  up=$(grep -rnE '#include ("(gateway|server)/|<switchyard/gateway\.hpp>)' "$dir" || true)
  if [[ -n "$up" ]]; then
    echo "$up" | sed 's/$/   <- includes a higher layer/'
    status=1
  fi
done
if [[ $status -eq 0 ]]; then echo "check_structure: functions at most $max_lines lines, includes point down"; fi
exit $status
