#!/bin/bash
# Issue 12's aims, two codlua binaries alternating run by run (wall / user / sys s, peak KB):
#   bench/issue12_aims.sh OLD_CODLUA NEW_CODLUA DATA_ROOT [full]
# DATA_ROOT holds s2000x2, s2000x6 and s50000x2, made by bench/gen_predict_data.lua
# (codlua bench/gen_predict_data.lua DATA_ROOT/s2000x2 2000 2 1, and so on). Without `full`
# only the two 2 x 2,000 runs; with it also --bootstrap 200 on 6 x 2,000 and 2 x 50,000.
# Scratch output goes to a temporary folder, removed at the end.
set -u
O=$1 N=$2 D=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
t() { /usr/bin/time -f "%e %U %S %M" "$@" 2>&1 >/dev/null | tail -1; }
uptime
echo "== complete 2x2k --out (old | new)"
for i in 1 2 3 4 5 6 7; do
  a=$(t "$O" predict --data "$D/s2000x2" --out "$tmp/o$i"); b=$(t "$N" predict --data "$D/s2000x2" --out "$tmp/n$i")
  echo "$a | $b"
done
echo "== 2x2k --json (old | new)"
for i in 1 2 3 4 5; do
  echo "$(t "$O" predict --data "$D/s2000x2" --json) | $(t "$N" predict --data "$D/s2000x2" --json)"
done
uptime
if [ "${4:-}" = full ]; then
  echo "== 6x2k --bootstrap 200 --json (old | new)"
  for i in 1 2; do
    a=$(/usr/bin/time -f "%e %U %S %M" "$O" predict --data "$D/s2000x6" --bootstrap 200 --json 2>&1 >"$tmp/bo$i.json" | tail -1)
    b=$(/usr/bin/time -f "%e %U %S %M" "$N" predict --data "$D/s2000x6" --bootstrap 200 --json 2>&1 >"$tmp/bn$i.json" | tail -1)
    echo "$a | $b"
  done
  cmp "$tmp/bo1.json" "$tmp/bn1.json" && echo "old and new reports identical"
  echo "== 2x50k --json (old | new)"
  for i in 1 2; do
    echo "$(t "$O" predict --data "$D/s50000x2" --json) | $(t "$N" predict --data "$D/s50000x2" --json)"
  done
  uptime
fi
