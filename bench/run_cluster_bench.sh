#!/bin/sh
# Runs cluster_bench over the grid of bench/README.md ("Clustering") under
# /usr/bin/time -v and prints one markdown row per run:
#   method | data | n | distinct | d | options | method time (s) | wall (s) | user (s) | peak RSS (MB) | result
# Usage: bench/run_cluster_bench.sh [build-dir] [grid]   grid: quick | full (default full)
set -eu
build=${1:-build}
grid=${2:-full}
bin="$build/bench/cluster_bench"
[ -x "$bin" ] || { echo "no $bin: configure with -DCOD_BENCH=ON and build cluster_bench" >&2; exit 1; }

run() {  # run <method> <n> <d> [flags...]
  method=$1 n=$2 d=$3
  shift 3
  out=$(mktemp) err=$(mktemp)
  /usr/bin/time -v "$bin" "$method" "$n" "$d" "$@" >"$out" 2>"$err"
  wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$err" |
         awk -F: '{ if (NF == 3) print $1*3600 + $2*60 + $3; else print $1*60 + $2 }')
  user=$(sed -n 's/.*User time (seconds): //p' "$err")
  rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$err")
  line=$(grep -E "^(improved_meanshift|kmeans|estimate_bandwidth|meanshift) " "$out" | head -1)
  distinct=$(sed -n 's/^rows *\([0-9]*\) distinct.*/\1/p' "$out")
  secs=$(echo "$line" | awk '{ print $2 }')
  rest=$(echo "$line" | sed 's/^[a-z_]* *[0-9.]* s *//')
  data=curve
  case " $* " in *" --noise "*) data=sampled ;; esac
  flags=$(echo "$*" | sed 's/--noise//; s/^ *//; s/ *$//')
  printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %.0f | %s |\n' \
    "$method" "$data" "$n" "$distinct" "$d" "${flags:--}" "$secs" "$wall" "$user" "$(echo "$rss / 1024" | bc -l)" "$rest"
  rm -f "$out" "$err"
}

echo "| method | data | n | distinct | d | options | method time (s) | wall (s) | user (s) | peak RSS (MB) | result |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
for d in 8 12; do
  for n in 10000 100000 1000000; do
    [ "$grid" = quick ] && [ "$n" = 1000000 ] && continue
    run improved_meanshift "$n" "$d"
    run kmeans "$n" "$d"
  done
done
# Sampled (binomial) pass rates: 8-dimensional noise, the hard case.
run improved_meanshift 10000 8 --noise
# estimate_bandwidth alone at the sizes predict meets (Q = 0.1: Improved MeanShift's R; 0.3: MeanShift's h).
for n in 2000 10000; do
  for q in 0.1 0.3; do run estimate_bandwidth "$n" 8 --noise --quantile "$q"; done
done
[ "$grid" = quick ] && exit 0
run improved_meanshift 100000 8 --noise --bin-seeding --n-samples 20000
run improved_meanshift 1000000 8 --noise --bin-seeding --n-samples 20000
run kmeans 1000000 8 --noise
