#!/usr/bin/env bash
# Benchmark (not a test): the SeaBIOS boot to the MBR under --exec tiered with a cold and a warm
# JIT code cache, against --exec interp (issue 6), whole process, mean of RUNS runs each.
# Usage: tests/bench/tiered_bench.sh [RR86] [RUNS]   (default build/tools/rr86, 20 runs)
source "$(dirname "$0")/boot_disk.sh"
machine=(-drive "file=$work/disk.img,format=raw,if=ide" -device isa-debug-exit,iobase=0xf4,iosize=4
         -serial null)

# mean NAME CACHE-MODE ARGS...: CACHE-MODE cold gives every run an empty cache directory.
mean() {
    local name="$1" mode="$2"; shift 2
    local total=0 start end
    for i in $(seq "$runs"); do
        local cache="$work/warm"
        [ "$mode" = cold ] && cache="$work/cold$i"
        start=$(date +%s%N)
        "$rr86" run "${machine[@]}" "$@" --jit-cache "$cache" >/dev/null 2>&1 || true
        end=$(date +%s%N)
        total=$((total + end - start))
    done
    awk -v t="$total" -v n="$runs" -v name="$name" 'BEGIN { printf "%-22s %8.4f s\n", name, t / n / 1e9 }'
}

"$rr86" run "${machine[@]}" --exec tiered --jit-cache "$work/warm" >/dev/null 2>&1 || true
echo "SeaBIOS boot to MBR, mean of $runs runs, whole process:"
for round in 1 2; do
    mean "interp" none --exec interp
    mean "tiered, cold cache" cold --exec tiered
    mean "tiered, warm cache" warm --exec tiered
done
"$rr86" run "${machine[@]}" --exec tiered --jit-cache "$work/warm" --summary 2>&1 | grep "jit (" || true
