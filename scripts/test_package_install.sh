#!/usr/bin/env bash
# On a bare Debian 12 machine (as root; e.g. ../shared/tools/bare-root.sh . ./scripts/test_package_install.sh):
# builds the package, installs it with apt-get (which pulls its dependencies), and checks what an
# operator gets: the switchyard user and its private state directory, the conffiles' modes,
# `switchyard --check` of the installed configuration, and the unit's ExecStart run as the
# switchyard user with /etc/default/switchyard's environment: /health and a chat through the mock;
# then switchyard-dev, used by a separate CMake project through find_package(Switchyard).
set -euo pipefail
cd "$(dirname "$0")/.."
[[ $(id -u) -eq 0 ]] || { echo "test_package_install: run as root (it installs the package)" >&2; exit 2; }
fail() { echo "test_package_install: $*" >&2; exit 1; }
./scripts/package.sh > /dev/null
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends curl systemd > /dev/null  # the checks' tools
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ./build/release/switchyard_*.deb > /dev/null
getent passwd switchyard > /dev/null || fail "no switchyard user"
[[ $(stat -c '%U %a' /var/lib/switchyard) == "switchyard 700" ]] || fail "/var/lib/switchyard: $(stat -c '%U %a' /var/lib/switchyard)"
[[ $(stat -c '%U:%G %a' /etc/default/switchyard) == "root:switchyard 640" ]] || fail "/etc/default/switchyard: $(stat -c '%U:%G %a' /etc/default/switchyard)"
switchyard --version | grep -q "^switchyard " || fail "--version"
key="sy-$(openssl rand -hex 16)"
{ echo "SWITCHYARD_KEY=$key"; echo "SWITCHYARD_LISTEN=127.0.0.1:18491"; echo "SWITCHYARD_MOCK_ADDR=127.0.0.1:18492"; echo "SWITCHYARD_MOCK_KEY=mock-provider-key"; } \
  >> /etc/default/switchyard
runuser -u switchyard -- /usr/bin/switchyard-mock --listen 127.0.0.1:18492 > /dev/null 2>&1 &
mock=$!
# The unit's ExecStartPre and ExecStart, as systemd runs them: the switchyard user, the environment file, the state directory.
start=(env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin bash -c 'set -a; . /etc/default/switchyard; set +a; cd /var/lib/switchyard; exec "$@"' _)
"${start[@]}" runuser -u switchyard -- /usr/bin/switchyard --config /etc/switchyard/switchyard.toml --check > /dev/null || fail "--check as the service"
"${start[@]}" runuser -u switchyard -- /usr/bin/switchyard --config /etc/switchyard/switchyard.toml --log-level warn &
gw=$!
trap 'kill $gw $mock 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -sf http://127.0.0.1:18491/health > /dev/null && break; sleep 0.1; done
curl -sf http://127.0.0.1:18491/health | grep -q '"status":"ok"' || fail "/health"
answer=$(curl -sf http://127.0.0.1:18491/v1/chat/completions -H "Authorization: Bearer $key" -H "Content-Type: application/json" \
  -d '{"model":"fast","messages":[{"role":"user","content":"Hello!"}]}')
grep -q '"chat.completion"' <<< "$answer" || fail "a chat: $answer"
[[ -f /var/lib/switchyard/usage.db ]] || fail "no usage ledger in /var/lib/switchyard"
systemd-analyze verify /lib/systemd/system/switchyard.service 2>&1 | grep . && fail "the installed unit does not verify"
kill "$gw" "$mock"; wait "$gw" "$mock" 2>/dev/null || true  # as prerm's `systemctl stop` would: nothing runs as the user
# The library package: installed with its -dev dependencies, found under /usr by a separate CMake project, run against the mock.
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ./build/release/switchyard-dev_*.deb > /dev/null
test/packaging/find_package_test.sh --prefix /usr "$PWD" /usr/bin/switchyard-mock || fail "find_package(Switchyard) from switchyard-dev"
apt-get purge -y -qq switchyard-dev switchyard > /dev/null
getent passwd switchyard > /dev/null && fail "the purge left the switchyard user"
echo "test_package_install: installed with apt-get, served /health and a chat as the switchyard user; switchyard-dev used through find_package; purged cleanly"
