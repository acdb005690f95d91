#!/usr/bin/env bash
# The core library as an embedder gets it: `cmake --install --component dev` into a fresh prefix
# (headers, libswitchyard.a, the CMake package), then a separate project (test/packaging/consumer)
# configured with find_package(Switchyard) and only that prefix, built, and run against the mock:
# a chat and a streamed chat through the pipeline, answered by the mock.
#   find_package_test.sh BUILD_DIR SOURCE_DIR MOCK_BIN      installs BUILD_DIR's dev component into a fresh prefix
#   find_package_test.sh --prefix PREFIX SOURCE_DIR MOCK_BIN uses what is installed there (/usr: the switchyard-dev package)
set -euo pipefail
. "$(dirname "$0")/../support/listening_port.sh"
if [[ "$1" == --prefix ]]; then prefix="$2"; shift; else prefix=""; fi
build="$1"; src=$(cd "$2" && pwd); mock_bin="$3"
dir=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$dir"; }
trap cleanup EXIT
fail() { echo "find_package_test: $*" >&2; exit 1; }

if [[ -z "$prefix" ]]; then
  prefix="$dir/prefix"
  cmake --install "$build" --component dev --prefix "$prefix" > "$dir/install.log"
fi
for f in include/switchyard/gateway.hpp include/switchyard/asio_config.hpp libswitchyard.a \
         cmake/Switchyard/SwitchyardConfig.cmake cmake/Switchyard/SwitchyardConfigVersion.cmake cmake/Switchyard/SwitchyardTargets.cmake; do
  [[ "$f" == include/* ]] && { [[ -e "$prefix/$f" ]] || fail "the install lacks $f"; continue; }
  compgen -G "$prefix/lib*/$f" > /dev/null || compgen -G "$prefix/lib/*/$f" > /dev/null || fail "the install lacks lib/$f"
done
# Nothing of the source tree may leak into what the consumer sees.
grep -rq "$src" "$prefix"/lib*/cmake/Switchyard/ "$prefix"/lib/*/cmake/Switchyard/ 2>/dev/null && fail "the CMake package names the source tree"
cmake -S "$src/test/packaging/consumer" -B "$dir/build" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release > "$dir/configure.log" \
  || { cat "$dir/configure.log"; fail "find_package(Switchyard) failed"; }
cmake --build "$dir/build" > "$dir/build.log" 2>&1 || { tail -40 "$dir/build.log"; fail "the consumer does not build"; }

"$mock_bin" --listen 127.0.0.1:0 --tokens 3 > "$dir/mock.log" &
pids+=($!)
mock_port=$(listening_port "$dir/mock.log")
cat > "$dir/gw.toml" <<TOML
[usage]
path = "$dir/usage.db"
[[providers]]
name = "mock"
type = "openai"
base_url = "http://127.0.0.1:$mock_port/v1"
[[models]]
name = "fast"
targets = [ { provider = "mock", model = "mock-fast" } ]
TOML
out=$("$dir/build/consumer" "$dir/gw.toml") || fail "the consumer failed: $out"
grep -q '^chat mock .*"chat.completion"' <<< "$out" || fail "no chat answer: $out"
grep -q '^stream chunks [1-9]' <<< "$out" || fail "no stream: $out"
echo "find_package_test: installed, found, built and ran an embedding program against the mock"
