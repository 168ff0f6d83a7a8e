#!/usr/bin/env bash
# Benchmark (not a test): the SeaBIOS boot to the MBR under --exec tiered with a cold and a warm
# JIT code cache, against --exec interp (issue 6), whole process, mean of RUNS runs each. The
# three take turns run after run, so that a slow spell of the machine weighs on all of them.
# Usage: tests/bench/tiered_bench.sh [RR86] [RUNS]   (default build/tools/rr86, 20 runs)
source "$(dirname "$0")/boot_disk.sh"
machine=(-drive "file=$work/disk.img,format=raw,if=ide" -device isa-debug-exit,iobase=0xf4,iosize=4
         -serial null)
names=("interp" "tiered, cold cache" "tiered, warm cache")
total=(0 0 0)

# timed K ARGS...: one run, its wall time added to total[K].
timed() {
    local k="$1" start end
    shift
    start=$(date +%s%N)
    "$rr86" run "${machine[@]}" "$@" >/dev/null 2>&1 || true
    end=$(date +%s%N)
    total[k]=$((total[k] + end - start))
}

"$rr86" run "${machine[@]}" --exec tiered --jit-cache "$work/warm" >/dev/null 2>&1 || true
for i in $(seq "$runs"); do
    timed 0 --exec interp
    timed 1 --exec tiered --jit-cache "$work/cold$i" # a new, empty cache every run
    timed 2 --exec tiered --jit-cache "$work/warm"
done
echo "SeaBIOS boot to MBR, mean of $runs runs, whole process:"
for k in 0 1 2; do
    awk -v t="${total[k]}" -v n="$runs" -v name="${names[k]}" -v i="${total[0]}" 'BEGIN {
        printf "%-22s %8.4f s  %+6.1f %% against interp\n", name, t / n / 1e9, (t - i) * 100 / i }'
done
"$rr86" run "${machine[@]}" --exec tiered --jit-cache "$work/warm" --summary 2>&1 | grep "jit (" || true
