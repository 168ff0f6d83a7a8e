#!/usr/bin/env bash
# Benchmark (not a test): whole-process time of the SeaBIOS boot to the MBR, side by side in one
# run: rr86 run / record / replay against QEMU 7.2 TCG run / record / replay (-icount rr with
# blkreplay), on the same 1 MiB disk whose MBR prints BOOT OK and exits via isa-debug-exit.
# Usage: tests/bench/boot_bench.sh [RR86] [RUNS]   (default build/tools/rr86, 20 runs)
source "$(dirname "$0")/boot_disk.sh"
bios=/usr/share/seabios/bios.bin
exitdev=(-device isa-debug-exit,iobase=0xf4,iosize=4)
qemu_common=(qemu-system-x86_64 -machine pc -accel tcg -nodefaults -bios "$bios" -display none
             -net none -serial null "${exitdev[@]}")
qemu_rr_disk=(-drive "file=$work/disk.img,if=none,id=img-direct,format=raw"
              -drive driver=blkreplay,if=none,image=img-direct,id=img-blkreplay
              -device ide-hd,drive=img-blkreplay)

# mean_time NAME CMD...: runs CMD $runs times (exit status ignored), prints the mean wall time.
mean_time() {
    local name="$1"; shift
    local start end
    start=$(date +%s.%N)
    for _ in $(seq "$runs"); do "$@" >/dev/null 2>&1 || true; done
    end=$(date +%s.%N)
    awk -v s="$start" -v e="$end" -v n="$runs" -v name="$name" \
        'BEGIN { t = (e - s) / n; printf "%-16s %8.4f s\n", name, t; print name, t > "/dev/stderr" }' \
        2>>"$work/times"
}

"$rr86" record -o "$work/rr86.trace" -drive "file=$work/disk.img,format=raw,if=ide" "${exitdev[@]}" \
    -serial null >/dev/null 2>&1 || true
"${qemu_common[@]}" -icount shift=auto,rr=record,rrfile="$work/qemu.rr" "${qemu_rr_disk[@]}" \
    >/dev/null 2>&1 || true
echo "SeaBIOS boot to MBR, mean of $runs runs, whole process:"
mean_time "qemu run" "${qemu_common[@]}" -drive "file=$work/disk.img,format=raw,if=ide"
mean_time "rr86 run" "$rr86" run -drive "file=$work/disk.img,format=raw,if=ide" "${exitdev[@]}" -serial null
mean_time "qemu record" "${qemu_common[@]}" -icount shift=auto,rr=record,rrfile="$work/q2.rr" "${qemu_rr_disk[@]}"
mean_time "rr86 record" "$rr86" record -o "$work/r2.trace" -drive "file=$work/disk.img,format=raw,if=ide" "${exitdev[@]}" -serial null
mean_time "qemu replay" "${qemu_common[@]}" -icount shift=auto,rr=replay,rrfile="$work/qemu.rr" "${qemu_rr_disk[@]}"
mean_time "rr86 replay" "$rr86" replay "$work/rr86.trace" -serial null
awk '{ t[$1" "$2] = $3 } END {
    printf "ratios: run %.2fx, record %.2fx, replay %.2fx faster than QEMU\n",
        t["qemu run"] / t["rr86 run"], t["qemu record"] / t["rr86 record"], t["qemu replay"] / t["rr86 replay"];
    printf "rr86 record overhead over run: %+.1f %%; replay/record: %.2f\n",
        100 * (t["rr86 record"] / t["rr86 run"] - 1), t["rr86 replay"] / t["rr86 record"] }' "$work/times"
echo "trace sizes: rr86 $(stat -c %s "$work/rr86.trace") bytes (every port/MMIO access, zstd), qemu $(stat -c %s "$work/qemu.rr") bytes (no device accesses)"
"$rr86" trace info "$work/rr86.trace" | grep -iE "events|ratio|compressed" | head -5 || true
