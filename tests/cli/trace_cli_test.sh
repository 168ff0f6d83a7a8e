#!/usr/bin/env bash
# rr86 trace info|dump|verify|repair on a real recording, and bad trace files from the host side:
# one stderr line naming the file, a non-zero exit, no crash. Usage: trace_cli_test.sh RR86 WORKDIR DISK
set -u
rr86="$1"; work="$2"; disk="$3"
rm -rf "$work"; mkdir -p "$work"
fails=0; pass=0
check() { local what="$1"; shift; if "$@"; then pass=$((pass + 1)); else echo "FAIL: $what"; fails=$((fails + 1)); fi; }
contains() { grep -qF -- "$2" "$1"; }

"$rr86" record -o "$work/t.trace" -drive "file=$disk,format=raw,if=ide" \
    -device isa-debug-exit,iobase=0xf4,iosize=4 -serial null 2>/dev/null
t="$work/t.trace"
"$rr86" trace info "$t" >"$work/info.txt"; check "info exits 0" test $? -eq 0
check "info shows the firmware image" contains "$work/info.txt" "image       firmware bios"
check "info shows counts per kind" contains "$work/info.txt" "  port"
"$rr86" trace info "$t" --json >"$work/info.json"; check "info --json exits 0" test $? -eq 0
check "info --json is JSON" grep -q '^{' "$work/info.json"
"$rr86" trace dump "$t" --port 0xcf9 --kind port >"$work/cf9.txt"
check "dump --port filters" test "$(grep -vc 0x0cf9 "$work/cf9.txt")" -eq 0
"$rr86" trace dump "$t" --kind end --json >"$work/end.json"
check "dump --kind end --json gives one JSON line" test "$(grep -c '^{' "$work/end.json")" -eq 1
"$rr86" trace dump "$t" --from 1000000 --to 2000000 >"$work/range.txt"
check "dump --from/--to stays in range" awk '{ if ($1 < 1000000 || $1 > 2000000) exit 1 }' "$work/range.txt"
"$rr86" trace verify "$t" >/dev/null; check "verify passes a good trace" test $? -eq 0

# A recorder killed before it wrote the index: cut the index off, then repair.
size=$(stat -c %s "$t")
head -c $((size - 300)) "$t" >"$work/cut.trace"
"$rr86" trace info "$work/cut.trace" >/dev/null 2>&1; check "a file without index still reads" test $? -eq 0
"$rr86" trace repair "$work/cut.trace" >/dev/null 2>&1; check "repair succeeds" test $? -eq 0
"$rr86" trace verify "$work/cut.trace" >/dev/null 2>&1; check "the repaired file verifies" test $? -eq 0

expect_bad() { # expect_bad WHAT FILE SUBCOMMAND
    local what="$1" file="$2" sub="$3" err code
    err=$("$rr86" trace "$sub" "$file" 2>&1 >/dev/null); code=$?
    check "$what: non-zero exit ($code)" test "$code" -ne 0 -a "$code" -lt 128
    check "$what: one line naming the file ($err)" test "$(printf '%s' "$err" | grep -c '')" -eq 1 -a -n "$(grep -F -- "$file" <<<"$err")"
}
: >"$work/empty.trace"; expect_bad "empty file" "$work/empty.trace" info
printf 'not a trace at all, not at all, really not\n' >"$work/magic.trace"; expect_bad "wrong magic" "$work/magic.trace" info
expect_bad "a directory" "$work" info
expect_bad "missing file" "$work/none.trace" dump
head -c 200 "$t" >"$work/trunc.trace"; expect_bad "truncated header" "$work/trunc.trace" dump
cp "$t" "$work/flip.trace"; printf '\xff' | dd of="$work/flip.trace" bs=1 seek=1000 conv=notrunc 2>/dev/null
expect_bad "flipped byte" "$work/flip.trace" verify
cp "$t" "$work/newer.trace"; printf '\x63' | dd of="$work/newer.trace" bs=1 seek=12 conv=notrunc 2>/dev/null
expect_bad "newer required reader version" "$work/newer.trace" info
echo "$pass passed, $fails failed"
[ "$fails" -eq 0 ]
