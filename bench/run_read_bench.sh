#!/bin/sh
# Reading benchmark (see bench/README.md, "Reading"): generate a 1,000,000-row items CSV and a
# 200 MB lm-eval --log_samples folder under a scratch folder (never committed), then time the
# readers (best of 3 in-process runs) and measure the peak memory of the whole process.
#
# usage: bench/run_read_bench.sh <build-dir> [scratch=/tmp/codlua-read-bench]
set -eu
build=${1:?usage: run_read_bench.sh <build-dir> [scratch]}
scratch=${2:-/tmp/codlua-read-bench}
bin=$build/bench
[ -f "$scratch/items/items.csv" ] || "$bin/gen_items" "$scratch/items" 1000000
[ -d "$scratch/lmeval/samples" ] || "$bin/gen_lmeval" "$scratch/lmeval" 200
for mode in items lmeval; do
  /usr/bin/time -v "$bin/read_bench" "$mode" "$scratch/$mode" 3 2>"$scratch/$mode.time"
  grep -E "Maximum resident set size|Elapsed \(wall clock\)" "$scratch/$mode.time"
done
lscpu | grep -E "^Model name|^CPU\(s\)"
