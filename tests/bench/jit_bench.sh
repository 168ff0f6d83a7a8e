#!/usr/bin/env bash
# Benchmark (not a test): a compute-bound 32-bit protected-mode guest (tests/bench/compute_boot.asm,
# booted by SeaBIOS from a 1 MiB disk; about 1.1 G instructions by default), side by side in one
# run: rr86 run --exec interp / jit / tiered, QEMU 7.2 TCG on the same disk, and the same loop in C
# compiled for the host (tests/bench/compute_native.c, cc -O2). Each is the best (min) wall time of
# RUNS runs. MIPS: rr86's instruction count (`run --summary`, SeaBIOS boot included) per wall
# second for rr86 and QEMU (the guest is deterministic, so QEMU runs the same instructions); for
# native, the loop's length in guest instructions per second of the loop. Every engine's result
# line on the debug console must equal native's, or the script fails.
# Usage: tests/bench/jit_bench.sh [RR86] [ITERATIONS]   (default build/tools/rr86, 6450000)
# Environment: RUNS (default 3), ENGINES (default "interp jit tiered qemu native"), QEMU, CC.
set -euo pipefail
here="$(cd "$(dirname "$0")/../.." && pwd)"
rr86="${1:-$here/build/tools/rr86}"
iterations="${2:-6450000}"
runs="${RUNS:-3}"
engines="${ENGINES:-interp jit tiered qemu native}"
qemu="${QEMU:-qemu-system-x86_64}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

nasm -f bin -I "$here/tests/guests/include/" -DITERATIONS="$iterations" "$here/tests/bench/compute_boot.asm" -o "$work/disk.img"
"${CC:-cc}" -O2 -o "$work/native" "$here/tests/bench/compute_native.c"
bios=/usr/share/seabios/bios.bin
exitdev=(-device isa-debug-exit,iobase=0xf4,iosize=4)
drive=(-drive "file=$work/disk.img,format=raw,if=ide")
# QEMU 7.2 ignores -debugcon under -nodefaults, hence the explicit isa-debugcon device.
qemu_cmd=("$qemu" -machine pc -accel tcg -nodefaults -bios "$bios" -display none -net none
          -serial null "${exitdev[@]}" -chardev "file,id=dbg,path=$work/debugcon.txt"
          -device isa-debugcon,iobase=0x402,chardev=dbg "${drive[@]}")

# The expected result line, from the host.
"$work/native" "$iterations" >"$work/native.out"
expected="$(grep '^compute:' "$work/native.out")"
loop_insns="$(sed -n 's/^native: [0-9.]* s, \([0-9]*\) guest.*/\1/p' "$work/native.out")"

now() { date +%s.%N; }
# min A B: the smaller of two decimal numbers (A empty: B).
min() { awk -v a="$1" -v b="$2" 'BEGIN { print ((a == "" || b + 0 < a + 0) ? b : a) }'; }

failed=0
instructions=""
declare -A best
# check NAME RC FILE: the run must exit with status 1 and leave the expected line in FILE.
check() {
    local got
    got="$(grep -a '^compute:' "$3" 2>/dev/null | tail -1 || true)"
    if [[ "$2" != 1 || "$got" != "$expected" ]]; then
        echo "$1: exit code $2, result '${got:-none}', expected '$expected'" >&2
        failed=1
    fi
}

for engine in $engines; do
    for _ in $(seq "$runs"); do
        rm -f "$work/debugcon.txt"
        case "$engine" in
        interp|jit|tiered)
            rc=0
            start=$(now)
            "$rr86" run "${drive[@]}" "${exitdev[@]}" -debugcon "file:$work/debugcon.txt" \
                -serial null --summary --exec "$engine" >/dev/null 2>"$work/summary.txt" || rc=$?
            end=$(now)
            check "rr86 $engine" "$rc" "$work/debugcon.txt"
            n="$(sed -n 's/^rr86: \([0-9]*\) instructions.*/\1/p' "$work/summary.txt")"
            if [[ -z "$instructions" ]]; then
                instructions="$n"
            elif [[ "$n" != "$instructions" ]]; then
                echo "rr86 $engine: $n instructions, another engine ran $instructions" >&2
                failed=1
            fi
            ;;
        qemu)
            rc=0
            start=$(now)
            "${qemu_cmd[@]}" >/dev/null 2>&1 || rc=$?
            end=$(now)
            check "qemu" "$rc" "$work/debugcon.txt"
            ;;
        native)
            "$work/native" "$iterations" >"$work/native.out"
            check "native" 1 "$work/native.out"
            start=0
            end="$(sed -n 's/^native: \([0-9.]*\) s.*/\1/p' "$work/native.out")"
            ;;
        *) echo "unknown engine '$engine' (interp jit tiered qemu native)" >&2; exit 2 ;;
        esac
        best[$engine]="$(min "${best[$engine]:-}" "$(awk -v s="$start" -v e="$end" 'BEGIN { print e - s }')")"
    done
done

if [[ -z "$instructions" ]]; then
    # No rr86 engine ran: count the instructions with the interpreter once.
    "$rr86" run "${drive[@]}" "${exitdev[@]}" -debugcon null -serial null --summary \
        >/dev/null 2>"$work/summary.txt" || true
    instructions="$(sed -n 's/^rr86: \([0-9]*\) instructions.*/\1/p' "$work/summary.txt")"
fi

echo "compute guest: $iterations rounds, $instructions instructions on rr86 (loop $loop_insns," \
     "$(awk -v a="$instructions" -v b="$loop_insns" 'BEGIN { print a - b }') SeaBIOS boot and exit);" \
     "best of $runs runs; result ${expected#compute: }"
printf "%-16s %10s %10s\n" engine "time (s)" MIPS
declare -A mips
for engine in $engines; do
    label="rr86 $engine"; count="$instructions"
    case "$engine" in qemu) label="qemu tcg" ;; native) label="native (cc -O2)"; count="$loop_insns" ;; esac
    mips[$engine]="$(awk -v n="$count" -v t="${best[$engine]}" 'BEGIN { printf "%.6g", (t > 0 ? n / t / 1e6 : 0) }')"
    printf "%-16s %10.3f %10.1f\n" "$label" "${best[$engine]}" "${mips[$engine]}"
done
ratio() {
    if [[ -n "${mips[$2]:-}" && -n "${mips[$3]:-}" ]]; then
        awk -v a="${mips[$2]}" -v b="${mips[$3]}" -v name="$1" 'BEGIN { printf "%-16s %10.2fx\n", name, (b > 0 ? a / b : 0) }'
    fi
}
ratio "jit/qemu" jit qemu
ratio "native/jit" native jit
ratio "jit/interp" jit interp
ratio "tiered/qemu" tiered qemu
ratio "interp/qemu" interp qemu
if [[ "$failed" != 0 ]]; then
    echo "FAILED: results or instruction counts differ (above)" >&2
    exit 1
fi
