#!/bin/bash
# Two source trees of formcheck, A and B (e.g. `git worktree add --detach ../base COMMIT`), timed
# alternately on the same files with the same venv: analyze of the 60 fps clip and batch of the
# 8-clip folder, 2 workers, 3 rounds each. Waits for a 1-minute load average under 0.9 first;
# record `uptime` before and after. Usage: benchmarks/ab_trees.sh TREE_A TREE_B [PYTHON]
set -u
A=$(realpath "$1"); B=$(realpath "$2"); PY=${3:-$(realpath .venv/bin/python)}
BENCH=$(realpath out/bench)
wait_quiet() { while awk '{exit !($1 >= 0.9)}' /proc/loadavg; do sleep 10; done; echo "== quiet: $(uptime)"; }
timed() { # tree label args... (batch gets an empty --out each time)
  local tree=$1; shift; local label=$1; shift
  local out; out=$(mktemp -d); local t0 t1 rc
  t0=$(date +%s.%N)
  (cd "$tree" && PYTHONPATH="$tree/src" "$PY" -m formcheck.cli "${@//@OUT@/$out}" >/dev/null 2>&1); rc=$?
  t1=$(date +%s.%N); rm -rf "$out"
  echo "$label rc=$rc $(echo "$t1 - $t0" | bc) s"
}
wait_quiet
for r in 1 2 3; do
  timed "$A" A-60fps analyze "$BENCH/bench_60fps_1080p.mp4" --report /tmp/ab_r.json
  timed "$B" B-60fps analyze "$BENCH/bench_60fps_1080p.mp4" --report /tmp/ab_r.json
done
for r in 1 2 3; do
  timed "$A" A-batch2 batch "$BENCH/folder8" --out @OUT@ --workers 2
  timed "$B" B-batch2 batch "$BENCH/folder8" --out @OUT@ --workers 2
done
echo "== end: $(uptime)"
