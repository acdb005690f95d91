#!/usr/bin/env bash
# Builds the Debian package: build/release/switchyard_<version>_<arch>.deb
# (the release build, installed under /usr with its configuration in /etc).
#   scripts/package.sh        then: sudo apt-get install ./build/release/switchyard_*.deb
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh --package
./scripts/build.sh release
# The install prefix is not a compile flag: reconfiguring rebuilds nothing.
cmake -S . -B build/release -DCMAKE_INSTALL_PREFIX=/usr > /dev/null
(cd build/release && cpack -G DEB > /dev/null)
ls build/release/switchyard_*.deb
