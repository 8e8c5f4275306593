#!/usr/bin/env bash
# CI, after the main tests (issue #6): the sanitizer build (ASan + UBSan, LeakSanitizer on)
# of the engine, the bindings and codlua with the whole test suite under it, then every
# libFuzzer target for a bounded time (FUZZ_SECONDS each, default 20). Installs clang when
# missing (through tools/bootstrap.sh). Prints the time each part took.
#   bash tools/ci-hardening.sh
#   FUZZ_SECONDS=600 bash tools/ci-hardening.sh     (a longer fuzzing run)
set -euo pipefail
cd "$(dirname "$0")/.."

export JOBS="${JOBS:-2}"
export FUZZ_SECONDS="${FUZZ_SECONDS:-20}"

t0=$(date +%s)
bash tools/bootstrap.sh sanitize
t1=$(date +%s)
bash tools/bootstrap.sh fuzz-build
t2=$(date +%s)
bash fuzz/run.sh build-fuzz "$FUZZ_SECONDS"
t3=$(date +%s)
echo "ci-hardening: sanitizer build and tests $((t1 - t0)) s, fuzz build $((t2 - t1)) s," \
  "fuzzing $((t3 - t2)) s; total $((t3 - t0)) s"
