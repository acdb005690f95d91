#!/usr/bin/env bash
# Runs every libFuzzer target (fuzz/*_fuzz.cpp) with AddressSanitizer and
# UndefinedBehaviorSanitizer, built with clang-14 into build/fuzz.
#   scripts/fuzz.sh [SECONDS] [TARGET ...]    (default: 60 s each, every target)
# Each target starts from its seed corpus in fuzz/corpus/<target>/ (copied
# into build/fuzz/corpus/, which keeps what the runs find). Targets run two
# at a time (one per core; FUZZ_JOBS=N to change). Exits non-zero on the first finding; the crashing
# input is left in build/fuzz/findings/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
shift || true

./scripts/setup.sh --fuzz
CC=clang-14 CXX=clang++-14 cmake -S . -B build/fuzz -DSWITCHYARD_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build/fuzz -j "$(nproc 2>/dev/null || echo 2)" >/dev/null

targets=("$@")
if ((${#targets[@]} == 0)); then
  for f in fuzz/*_fuzz.cpp; do targets+=("$(basename "$f" .cpp)"); done
fi
mkdir -p build/fuzz/findings build/fuzz/logs
run_one() {
  local t="$1" seconds="$2"
  local corpus="build/fuzz/corpus/$t"
  mkdir -p "$corpus"
  if [[ -d "fuzz/corpus/$t" ]]; then cp -n fuzz/corpus/"$t"/* "$corpus"/ 2>/dev/null || true; fi
  if ASAN_OPTIONS="detect_leaks=1:abort_on_error=1" UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
      "build/fuzz/$t" -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 -timeout=10 \
      -artifact_prefix="build/fuzz/findings/$t-" -print_final_stats=1 "$corpus" >"build/fuzz/logs/$t.log" 2>&1; then
    local runs
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "build/fuzz/logs/$t.log" | grep -o '[0-9]*$' || echo "?")
    echo "fuzz: $t passed: $runs executions in ${seconds}s"
  else
    echo "fuzz: $t FAILED (build/fuzz/logs/$t.log):"
    grep -E 'ERROR|SUMMARY|Test unit written' "build/fuzz/logs/$t.log" | head -5
    return 1
  fi
}
export -f run_one
printf '%s\n' "${targets[@]}" | xargs -P "${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 2)}" -I{} bash -c 'run_one "$@"' _ {} "$seconds"
echo "fuzz: ${#targets[@]} targets ran ${seconds}s each without a finding"
