#!/bin/sh
# lm-eval features (bench/README.md, "lm-eval features"): a generated lm-eval ladder of
# 3 sets x 20,000 four-choice items x 9 models (bench/gen_lmeval_ladder.lua, into a scratch
# folder never committed), then under /usr/bin/time -v: reading it with every feature, a
# prediction with --feature choice_prob, and the item-response recipe on BIG-G.
#
# usage: bench/lmeval_features.sh <build-dir> [scratch=/tmp/codlua-lmeval-features]
set -eu
build=${1:?usage: lmeval_features.sh <build-dir> [scratch]}
scratch=${2:-/tmp/codlua-lmeval-features}
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$build/codlua
mkdir -p "$scratch"
[ -f "$scratch/logs/models.csv" ] || "$bin" "$root/bench/gen_lmeval_ladder.lua" "$scratch/logs" 20000 3 1
du -sh "$scratch/logs/samples"

run() {
  name=$1
  shift
  /usr/bin/time -v "$@" >"$scratch/$name.out" 2>"$scratch/$name.time"
  printf '%-28s wall %s  user %ss  peak RSS %s kB\n' "$name" \
    "$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$scratch/$name.time")" \
    "$(sed -n 's/.*User time (seconds): //p' "$scratch/$name.time")" \
    "$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$scratch/$name.time")"
}

cat >"$scratch/read.lua" <<LUA
local ds = require("cod.data").read{models = "$scratch/logs/models.csv", lmeval = "$scratch/logs/samples"}
print(#ds:sets(), #ds:items(1), table.concat(ds:feature_names(1), ","))
LUA
run read "$bin" "$scratch/read.lua"
rm -rf "$scratch/report"
run predict_choice_prob "$bin" predict --models "$scratch/logs/models.csv" --lmeval "$scratch/logs/samples" \
  --feature choice_prob --out "$scratch/report"
rm -rf "$scratch/report"
run predict_metric "$bin" predict --models "$scratch/logs/models.csv" --lmeval "$scratch/logs/samples" \
  --out "$scratch/report"
run backtest_bigg_cod_irt "$bin" backtest --data "$root/data/bigbench-bigg" --target BIG-G_T0_128b --recipes cod_irt
run backtest_bigg_cod "$bin" backtest --data "$root/data/bigbench-bigg" --target BIG-G_T0_128b --recipes cod
grep -A4 "^set" "$scratch/predict_choice_prob.out" | head -6
grep -A4 "^set" "$scratch/predict_metric.out" | head -6
