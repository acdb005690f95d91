#!/usr/bin/env bash
# Builds the Debian package and checks it without installing it on this machine:
# its Depends line (computed from the shared libraries) and conffiles, its files,
# and the unpacked daemon: --version, --check of the packaged configuration, the
# unit (systemd-analyze), then /health and a chat through switchyard-mock with the
# packaged configuration and the environment file's settings, as the service runs it.
# Not part of ./scripts/test.sh (a release build of its own): run it before a release.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/package.sh > /dev/null
deb=$(ls build/release/switchyard_*.deb)
fail() { echo "test_package: $*" >&2; exit 1; }
info=$(dpkg-deb --info "$deb")
for dep in libssl3 libboost-json1.81.0 libsqlite3-0 libhiredis0.14 libtomlplusplus3 adduser; do
  grep -q "Depends:.*$dep" <<< "$info" || fail "Depends lacks $dep"
done
# The library for embedders in its own package: headers, libswitchyard.a, the CMake package; none of it in the daemon's.
dev=$(ls build/release/switchyard-dev_*.deb)
dev_files=$(dpkg-deb -c "$dev")
for f in usr/include/switchyard/gateway.hpp libswitchyard.a cmake/Switchyard/SwitchyardConfig.cmake cmake/Switchyard/SwitchyardTargets.cmake; do
  grep -q "$f" <<< "$dev_files" || fail "switchyard-dev lacks $f"
done
dpkg-deb --info "$dev" | grep -q "Depends:.*libboost-json1.81-dev" || fail "switchyard-dev's Depends lacks the -dev packages"
dpkg-deb -c "$deb" | grep -q 'usr/include' && fail "the daemon's package carries headers"
conffiles=$(dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles)
for f in /etc/switchyard/switchyard.toml /etc/default/switchyard; do grep -qx "$f" <<< "$conffiles" || fail "$f is not a conffile"; done
root=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$root"' EXIT
dpkg -x "$deb" "$root"
for f in usr/bin/switchyard usr/bin/switchyard-mock etc/switchyard/switchyard.toml etc/default/switchyard lib/systemd/system/switchyard.service \
         usr/lib/systemd/system/switchyard.service usr/share/doc/switchyard/README.md; do
  [[ -e "$root/$f" ]] && continue
  [[ "$f" == lib/systemd/* ]] && continue  # either /lib or /usr/lib
  fail "the package lacks /$f"
done
"$root/usr/bin/switchyard" --version | grep -q "^switchyard [0-9.]* (commit " || fail "--version"
./scripts/check_unit.sh "$root/usr/bin/switchyard" > /dev/null || fail "the unit does not verify"
# The service's environment: /etc/default/switchyard's settings, a state directory, keys.
set -a; . "$root/etc/default/switchyard"; set +a
export SWITCHYARD_DATA="$root/var/lib/switchyard" SWITCHYARD_KEY="sy-$(openssl rand -hex 16)"
export SWITCHYARD_LISTEN=127.0.0.1:18481 SWITCHYARD_MOCK_ADDR=127.0.0.1:18482 SWITCHYARD_MOCK_KEY=mock-provider-key
mkdir -p "$SWITCHYARD_DATA"
"$root/usr/bin/switchyard" --check --config "$root/etc/switchyard/switchyard.toml" > /dev/null || fail "--check of the packaged configuration"
"$root/usr/bin/switchyard-mock" --listen "$SWITCHYARD_MOCK_ADDR" > /dev/null 2>&1 & pids+=($!)
"$root/usr/bin/switchyard" --config "$root/etc/switchyard/switchyard.toml" --log-level warn & pids+=($!)
for _ in $(seq 1 100); do curl -sf "http://$SWITCHYARD_LISTEN/health" > /dev/null && break; sleep 0.1; done
curl -sf "http://$SWITCHYARD_LISTEN/health" | grep -q '"status":"ok"' || fail "/health"
answer=$(curl -sf "http://$SWITCHYARD_LISTEN/v1/chat/completions" -H "Authorization: Bearer $SWITCHYARD_KEY" \
  -H "Content-Type: application/json" -d '{"model":"fast","messages":[{"role":"user","content":"Hello!"}]}')
grep -q '"chat.completion"' <<< "$answer" || fail "a chat through the mock: $answer"
[[ -f "$SWITCHYARD_DATA/usage.db" ]] || fail "no usage ledger in the state directory"
echo "test_package: $deb and $dev: Depends, conffiles and files right; --version, --check, the unit, /health and a chat from the unpacked package pass"
