#!/usr/bin/env bash
# Run the libFuzzer targets, each for a bounded time, starting from the seed corpus in
# fuzz/corpus/<target>/ (never modified: new inputs go to BUILD_DIR/fuzz-work/<target>/).
#   bash fuzz/run.sh BUILD_DIR [SECONDS_PER_TARGET] [TARGET...]
# Prints one line per target (executions, time, corpus size) and exits non-zero when a
# target crashed, leaked, hung (> 10 s on one input) or ran out of memory; the input that
# did it is saved in BUILD_DIR/fuzz-work/<target>/artifacts/ and the line says how to replay it.
set -uo pipefail
cd "$(dirname "$0")/.."

build="${1:?usage: fuzz/run.sh BUILD_DIR [SECONDS] [TARGET...]}"
seconds="${2:-30}"
shift $(( $# >= 2 ? 2 : $# ))
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(fuzz_items_csv fuzz_models_csv fuzz_scores_csv fuzz_lmeval fuzz_options)

dict_of() {
  case "$1" in
    fuzz_lmeval) echo "-dict=fuzz/json.dict" ;;
    fuzz_options) echo "" ;;
    *) echo "-dict=fuzz/csv.dict" ;;
  esac
}

failed=0
for t in "${targets[@]}"; do
  bin="$build/fuzz/$t"
  if [ ! -x "$bin" ]; then
    echo "fuzz: $bin is missing (build it: cmake --build $build --target fuzz)" >&2
    failed=1
    continue
  fi
  work="$build/fuzz-work/$t"
  mkdir -p "$work/corpus" "$work/artifacts"
  start=$(date +%s)
  # -timeout: one input taking longer than 10 s is a hang; -rss_limit_mb: memory blow-up.
  ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}" UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1}" \
    "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=4096 -print_final_stats=1 \
    -artifact_prefix="$work/artifacts/" $(dict_of "$t") "$work/corpus" "fuzz/corpus/$t" >"$work/log" 2>&1
  status=$?
  took=$(( $(date +%s) - start ))
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$work/log" | grep -o '[0-9]*$' | tail -1)
  units=$(find "$work/corpus" -type f | wc -l)
  if [ $status -ne 0 ]; then
    failed=1
    artifact=$(ls -t "$work/artifacts" 2>/dev/null | head -1)
    echo "fuzz: $t FAILED (exit $status) after ${took}s, ${execs:-?} executions; input: $work/artifacts/$artifact"
    echo "fuzz:   replay: $bin $work/artifacts/$artifact    log: $work/log"
    grep -m 3 -E 'ERROR|runtime error|fuzz_options:|fuzz: invariant|Timeout|out-of-memory' "$work/log" | sed 's/^/fuzz:   /'
  else
    echo "fuzz: $t ok: ${execs:-?} executions in ${took}s, working corpus $units inputs"
  fi
done
exit $failed
