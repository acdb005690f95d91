#!/usr/bin/env bash
# ThreadSanitizer over the state every worker reactor shares (keys' limits and
# budgets, the health table, breakers and quotas, the cache's store and its
# board of fetches in flight, the ledger's rings, the memory budgets, a reload
# adopting them under load): test/concurrency, those components alone built
# with -fsanitize=thread into build/tsan, then run. Exits non-zero on a race.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S test/concurrency -B build/tsan -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build build/tsan -j "$(nproc 2>/dev/null || echo 2)" >/dev/null
TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1" build/tsan/concurrency_tsan_test --report_level=short
