#!/bin/sh
# Threads, bootstrap rounds and growth (bench/README.md, "Threads and bootstrap"): time
# `codlua predict` end to end under /usr/bin/time -v on synthetic data written by
# bench/gen_predict_data.lua into a scratch folder (never committed):
#   - 6 sets x 2,000 items with --bootstrap 200, --threads 1 and 2;
#   - 2 sets x 2,000 items (default run), --threads 1 and 2, and with --out (report, charts);
#   - 2 sets x 50,000 items end to end (backtests on the default 10,000-item subsample);
#   - one set of N items for N in $SIZES (default 2000 10000 50000), --threads 2,
#     no backtest (the growth of one set's main run);
# each line with the load average before and after (the machine may be shared).
#
# usage: bench/parallel_bench.sh <build-dir> [scratch=/tmp/codlua-parallel-bench]
set -eu
build=${1:?usage: parallel_bench.sh <build-dir> [scratch]}
scratch=${2:-/tmp/codlua-parallel-bench}
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$build/codlua
sizes=${SIZES:-2000 10000 50000}
mkdir -p "$scratch"

gen() {  # gen DIR ITEMS SETS
  [ -f "$1/items.csv" ] || "$bin" "$root/bench/gen_predict_data.lua" "$1" "$2" "$3" 1 >/dev/null
}

summary="$scratch/summary.txt"
printf '%-34s %9s %9s %9s %8s  %s\n' "run" "wall (s)" "user (s)" "sys (s)" "RSS MB" "load before / after" >"$summary"

# run NAME ARGS...: codlua ARGS under /usr/bin/time -v; stdout to $scratch/NAME.out.
run() {
  name=$1
  shift
  before=$(cut -d' ' -f1-3 /proc/loadavg)
  /usr/bin/time -v "$bin" "$@" >"$scratch/$name.out" 2>"$scratch/$name.time"
  after=$(cut -d' ' -f1-3 /proc/loadavg)
  wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$scratch/$name.time" |
    awk -F: '{ if (NF == 3) printf "%.2f", $1 * 3600 + $2 * 60 + $3; else printf "%.2f", $1 * 60 + $2 }')
  user=$(sed -n 's/.*User time (seconds): //p' "$scratch/$name.time")
  sys=$(sed -n 's/.*System time (seconds): //p' "$scratch/$name.time")
  rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$scratch/$name.time")
  printf '%-34s %9s %9s %9s %8.1f  %s / %s\n' "$name" "$wall" "$user" "$sys" "$(echo "$rss / 1024" | bc -l)" \
    "$before" "$after" >>"$summary"
}

gen "$scratch/s2000x6" 2000 6
gen "$scratch/s2000x2" 2000 2
for t in 2 1; do
  run "6x2000-bootstrap200-threads$t" predict --items "$scratch/s2000x6/items.csv" \
    --models "$scratch/s2000x6/models.csv" --bootstrap 200 --threads "$t" --json
done
cmp "$scratch/6x2000-bootstrap200-threads1.out" "$scratch/6x2000-bootstrap200-threads2.out" &&
  echo "6x2000 bootstrap: report.json identical with --threads 1 and 2" >>"$summary"
for t in 2 1; do
  run "2x2000-threads$t" predict --items "$scratch/s2000x2/items.csv" --models "$scratch/s2000x2/models.csv" \
    --threads "$t" --json
done
rm -rf "$scratch/out2"
run "2x2000-out-threads2" predict --items "$scratch/s2000x2/items.csv" --models "$scratch/s2000x2/models.csv" \
  --threads 2 --out "$scratch/out2"
gen "$scratch/s50000x2" 50000 2
run "2x50000-threads2" predict --items "$scratch/s50000x2/items.csv" --models "$scratch/s50000x2/models.csv" \
  --threads 2 --json
for n in $sizes; do
  gen "$scratch/s${n}x1" "$n" 1
  run "1x$n-no-backtest" predict --items "$scratch/s${n}x1/items.csv" --models "$scratch/s${n}x1/models.csv" \
    --no-backtest --threads 2 --json
done
cat "$summary"
lscpu | grep -E "^Model name|^CPU\(s\)"
