#!/bin/sh
# Prediction end to end (bench/README.md, "Prediction end to end"): time `codlua predict`
# from files to a written report folder (--out) on the bundled BIG-bench data and on
# synthetic datasets of 8 sets x 2,000 and 8 sets x 10,000 items (written as CSV first by
# bench/gen_predict_data.lua, into a scratch folder that is never committed), with the
# default candidates and with cod alone, no backtests (--recipe cod --no-backtest), plus 200
# bootstrap rounds on one 2,000-item set, each under
# /usr/bin/time -v (wall, user, peak RSS); then a per-stage breakdown (bench/predict_stages.lua).
#
# usage: bench/predict_bench.sh <build-dir> [scratch=/tmp/codlua-predict-bench]
set -eu
build=${1:?usage: predict_bench.sh <build-dir> [scratch]}
scratch=${2:-/tmp/codlua-predict-bench}
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$build/codlua
mkdir -p "$scratch"
[ -f "$scratch/s2000/items.csv" ] || "$bin" "$root/bench/gen_predict_data.lua" "$scratch/s2000" 2000 8 1
[ -f "$scratch/s10000/items.csv" ] || "$bin" "$root/bench/gen_predict_data.lua" "$scratch/s10000" 10000 8 1

summary="$scratch/summary.txt"
printf '%-34s %10s %10s %12s\n' "run" "wall (s)" "user (s)" "peak RSS MB" >"$summary"

# run NAME ARGS...: codlua ARGS under /usr/bin/time -v; stdout to $scratch/NAME.out.
run() {
  name=$1
  shift
  rm -rf "$scratch/r-$name"
  /usr/bin/time -v "$bin" "$@" >"$scratch/$name.out" 2>"$scratch/$name.time"
  wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$scratch/$name.time" |
    awk -F: '{ if (NF == 3) printf "%.2f", $1 * 3600 + $2 * 60 + $3; else printf "%.2f", $1 * 60 + $2 }')
  user=$(sed -n 's/.*User time (seconds): //p' "$scratch/$name.time")
  rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$scratch/$name.time")
  printf '%-34s %10s %10s %12.1f\n' "$name" "$wall" "$user" "$(echo "$rss / 1024" | bc -l)" >>"$summary"
}

S2=$scratch/s2000
S10=$scratch/s10000
run bigbench "predict" --data "$root/data/bigbench-bigg" --target BIG-G_T0_27b --out "$scratch/r-bigbench"
run bigbench-cod-only "predict" --data "$root/data/bigbench-bigg" --target BIG-G_T0_27b --recipe cod --no-backtest \
  --out "$scratch/r-bigbench-cod-only"
run synth-8x2000 "predict" --items "$S2/items.csv" --models "$S2/models.csv" --out "$scratch/r-synth-8x2000"
run synth-8x2000-cod-only "predict" --items "$S2/items.csv" --models "$S2/models.csv" --recipe cod --no-backtest \
  --out "$scratch/r-synth-8x2000-cod-only"
run synth-8x10000-cod-only "predict" --items "$S10/items.csv" --models "$S10/models.csv" --recipe cod --no-backtest \
  --out "$scratch/r-synth-8x10000-cod-only"
run bootstrap200-1x2000 "predict" --items "$S2/items.csv" --models "$S2/models.csv" --sets set-1 --bootstrap 200 \
  --recipe cod --no-backtest --out "$scratch/r-bootstrap200-1x2000"
run synth-8x10000 "predict" --items "$S10/items.csv" --models "$S10/models.csv" --out "$scratch/r-synth-8x10000"
# The default candidates plus cod_no_mapping: its Improved-KMeans k scan, backtested.
run synth-8x2000-candidates-5 "predict" --items "$S2/items.csv" --models "$S2/models.csv" \
  --candidates default,cod_no_mapping --out "$scratch/r-synth-8x2000-candidates-5"
cat "$summary"

# Where the time goes (in-process, wrapped module functions).
"$bin" "$root/bench/predict_stages.lua" --items "$S2/items.csv" --models "$S2/models.csv" \
  --out "$scratch/r-stages-8x2000" | tail -n 30
"$bin" "$root/bench/predict_stages.lua" --items "$S2/items.csv" --models "$S2/models.csv" --recipe cod --no-backtest \
  --out "$scratch/r-stages-8x2000-cod-only" | tail -n 20
"$bin" "$root/bench/predict_stages.lua" --items "$S10/items.csv" --models "$S10/models.csv" --recipe cod --no-backtest \
  --out "$scratch/r-stages-8x10000" | tail -n 30
lscpu | grep -E "^Model name|^CPU\(s\)"
uptime
