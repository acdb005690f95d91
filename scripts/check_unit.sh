#!/usr/bin/env bash
# Checks conf/systemd/switchyard.service: `systemd-analyze verify` accepts it
# with no warning (unknown keys and bad values are warnings there), and its
# exposure (`systemd-analyze security`) stays "OK" (below 2.0).
# Usage: scripts/check_unit.sh SWITCHYARD_BINARY [source root]
set -euo pipefail
bin=$(realpath "$1")
root="${2:-$(cd "$(dirname "$0")/.." && pwd)}"
if ! command -v systemd-analyze > /dev/null; then
  echo "check_unit: systemd-analyze is not installed (scripts/setup.sh --test installs systemd)" >&2
  exit 1
fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
# The unit names the installed binary; verify wants an executable there: the one just built.
sed "s|/usr/bin/switchyard|$bin|g" "$root/conf/systemd/switchyard.service" > "$dir/switchyard.service"
out=$(SYSTEMD_LOG_LEVEL=warning systemd-analyze verify "$dir/switchyard.service" 2>&1 || echo "systemd-analyze verify failed")
if [[ -n "$out" ]]; then
  echo "check_unit: systemd-analyze verify:"
  echo "$out"
  exit 1
fi
exposure=$(systemd-analyze security --offline=true "$dir/switchyard.service" 2>&1 | sed -n 's/.*Overall exposure level for switchyard.service: \([0-9.]*\).*/\1/p')
if [[ -z "$exposure" ]]; then
  echo "check_unit: systemd-analyze security gave no exposure level"
  exit 1
fi
if ! awk -v e="$exposure" 'BEGIN { exit !(e < 2.0) }'; then
  echo "check_unit: exposure $exposure, more than the 2.0 this unit keeps"
  exit 1
fi
echo "check_unit: the unit verifies; exposure $exposure"
