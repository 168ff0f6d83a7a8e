#!/bin/bash
# SeaBIOS boots the demo disk to the same state hash under interp, jit and tiered; a trace recorded
# with one engine replays under the other without divergence (DESIGN.md, determinism contract 6).
# Usage: engines_test.sh RR86 BOOT_OK_IMG WORKDIR
rr86="$1"; img="$2"; work="$3"
mkdir -p "$work"
pass=0; fails=0
check() {
    local what="$1"; shift
    if "$@"; then pass=$((pass + 1)); else echo "FAIL: $what"; fails=$((fails + 1)); fi
}
machine=(-drive "file=$img,format=raw,if=ide" -device isa-debug-exit,iobase=0xf4,iosize=4
         --max-instructions 100000000 --summary)
hash_of() { grep -o 'state hash [0-9a-f]*' "$1" | head -1; }

for e in interp jit tiered; do
    "$rr86" run "${machine[@]}" -serial "file:$work/serial_$e.txt" --exec "$e" </dev/null \
        2>"$work/run_$e.txt"
    check "run --exec $e: exit status 1" test $? -eq 1
    check "run --exec $e: BOOT OK" grep -q "BOOT OK" "$work/serial_$e.txt"
    grep "jit (" "$work/run_$e.txt"
done
ref=$(hash_of "$work/run_interp.txt")
echo "interp: $ref"
check "interp printed a state hash" test -n "$ref"
for e in jit tiered; do
    check "$e state hash equals interp's" test "$(hash_of "$work/run_$e.txt")" = "$ref"
done

for pair in "jit interp" "interp jit" "tiered jit"; do
    set -- $pair
    trace="$work/rec_$1.trace"
    "$rr86" record -o "$trace" "${machine[@]}" -serial "file:$work/rec_serial_$1.txt" \
        --exec "$1" </dev/null 2>"$work/rec_$1.txt"
    check "record --exec $1: exit status 1" test $? -eq 1
    "$rr86" replay "$trace" --exec "$2" --summary 2>"$work/replay_$1_$2.txt"
    check "recorded under $1, replayed under $2: no divergence" test $? -eq 0
    check "replay under $2 ends in interp's state" test "$(hash_of "$work/replay_$1_$2.txt")" = "$ref"
done
echo "$pass passed, $fails failed"
[ "$fails" -eq 0 ]
