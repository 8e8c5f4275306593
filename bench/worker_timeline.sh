#!/bin/bash
# Are both workers busy to the end? Run `codlua predict ARGS...` and sample, every 0.25 s,
# how many worker processes it has, how many of them are running (ps state R) and the
# caller's own state; prints one line per sample and a count of each (bench/README.md,
# "Threads and bootstrap").
#
# usage: bench/worker_timeline.sh <build-dir> predict-args...
set -eu
build=${1:?usage: worker_timeline.sh <build-dir> predict-args...}
shift
"$build/codlua" predict "$@" >/dev/null &
pid=$!
t0=$(date +%s.%N)
samples=$(mktemp)
while kill -0 "$pid" 2>/dev/null; do
  n=$(ps -o pid= --ppid "$pid" | wc -l)
  r=$(ps -o stat= --ppid "$pid" | grep -c '^R' || true)
  me=$(ps -o stat= -p "$pid" | tr -d ' ' || true)
  printf '%.2f workers=%s running=%s caller=%s\n' "$(echo "$(date +%s.%N) - $t0" | bc)" "$n" "$r" "$me" | tee -a "$samples"
  sleep 0.25
done
wait "$pid"
echo "samples: $(wc -l <"$samples")"
for k in 2 3; do awk -v k=$k '{print $k}' "$samples" | sort | uniq -c; done
rm -f "$samples"
