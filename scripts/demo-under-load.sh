#!/usr/bin/env bash
# `npm run demo:under-load [-- N]`: runs `npm run demo` N times (default 10)
# while two CPU-bound processes keep both cores busy, and prints
# "N passed, M failed" with the wall time of each run. Each run's output is
# kept in .guardian/demo-under-load/run-K.log; a failed run's demo directory
# (store, daemon log) is copied next to it as run-K-demo/.
set -uo pipefail
cd "$(dirname "$0")/.."

runs="${1:-10}"
hogs="${DEMO_LOAD_PROCESSES:-2}"
if ! [[ "$runs" =~ ^[1-9][0-9]*$ ]]; then
  echo "demo-under-load: N must be a positive whole number of runs, got \"$runs\"" >&2
  exit 1
fi
if ! [[ "$hogs" =~ ^[0-9]+$ ]]; then
  echo "demo-under-load: DEMO_LOAD_PROCESSES must be a whole number, got \"$hogs\"" >&2
  exit 1
fi

out=.guardian/demo-under-load
rm -rf "$out"
mkdir -p "$out"

# The CPU-bound load: busy loops, stopped by their own pids whatever happens.
load_pids=()
stop_load() {
  for pid in "${load_pids[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${load_pids[@]}"; do wait "$pid" 2>/dev/null; done
  load_pids=()
}
trap stop_load EXIT
trap 'stop_load; exit 130' INT TERM

node scripts/ensure-setup.mjs || exit 1
npm run --silent build:contracts -- --quiet >"$out/build.log" 2>&1 || { echo "demo-under-load: contract build failed, see $out/build.log" >&2; exit 1; }

for ((i = 0; i < hogs; i++)); do
  ( while :; do :; done ) &
  load_pids+=("$!")
done
echo "demo-under-load: $runs runs of npm run demo, $hogs CPU-bound processes running (pids ${load_pids[*]}), $(nproc) cores"

passed=0
failed=0
times=()
for ((k = 1; k <= runs; k++)); do
  start=$(date +%s.%N)
  npm run demo >"$out/run-$k.log" 2>&1
  code=$?
  secs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
  times+=("$secs")
  if [[ $code -eq 0 ]]; then
    passed=$((passed + 1))
    echo "run $k/$runs: passed in ${secs} s"
  else
    failed=$((failed + 1))
    cp -r .guardian/demo "$out/run-$k-demo" 2>/dev/null
    reason=$(grep -m1 -E "^demo failed|FAILED|Error" "$out/run-$k.log" | cut -c1-300)
    echo "run $k/$runs: FAILED in ${secs} s (exit $code): ${reason:-see $out/run-$k.log}"
  fi
done

stop_load
sorted=$(printf '%s\n' "${times[@]}" | sort -n | tr '\n' ' ')
echo "wall time per run (s, sorted): $sorted"
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
