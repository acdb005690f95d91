#!/usr/bin/env bash
# Installs the Debian packages Switchyard needs, only those missing.
#   scripts/setup.sh          build and run dependencies
#   scripts/setup.sh --test   also what the tests need (Node.js and npm for the end-to-end tests, redis-server, chromium, universal-ctags, systemd, postgresql)
#   scripts/setup.sh --bench  also what scripts/bench.sh needs (taskset, jq, Google Benchmark, nginx as the reference proxy)
#   scripts/setup.sh --fuzz   clang-14 and its libFuzzer runtime (scripts/fuzz.sh; --test includes them)
#   scripts/setup.sh --package  also what scripts/package.sh needs (dpkg-shlibdeps for the Depends line, file)
set -euo pipefail

packages=(g++ cmake make pkg-config openssl ca-certificates
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev libboost-test1.81-dev
  libtomlplusplus-dev libssl-dev libjemalloc-dev libsqlite3-dev libhiredis-dev libpq-dev zlib1g-dev)
if [[ "${1:-}" == "--test" ]]; then
  # redis-server: the shared-state tests start their own, on a free port; chromium: the dashboard's browser test;
  # universal-ctags: scripts/check_structure.sh (no function over 80 lines); systemd: systemd-analyze for scripts/check_unit.sh;
  # postgresql: the shared-store tests start their own server (initdb into a temporary directory, a free port)
  # prometheus: `promtool check rules` / `test rules` on conf/prometheus (the alerting rules shipped)
  packages+=(nodejs npm curl redis-server chromium universal-ctags systemd postgresql prometheus)
fi
if [[ "${1:-}" == "--test" || "${1:-}" == "--fuzz" ]]; then
  packages+=(clang-14 libclang-rt-14-dev)  # libFuzzer, for scripts/fuzz.sh
fi
if [[ "${1:-}" == "--package" ]]; then
  packages+=(dpkg-dev file)
fi
if [[ "${1:-}" == "--bench" ]]; then
  packages+=(util-linux jq libbenchmark-dev nginx-light)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
# node and npm may come from elsewhere than Debian's packages; accept them if they run.
if [[ " ${missing[*]} " == *" nodejs "* ]] && command -v node >/dev/null; then missing=("${missing[@]/nodejs}"); fi
if [[ " ${missing[*]} " == *" npm "* ]] && command -v npm >/dev/null; then missing=("${missing[@]/npm}"); fi
read -r -a missing <<< "${missing[*]:-}"

if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo=""
  if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
