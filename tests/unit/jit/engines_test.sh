#!/bin/bash
# SeaBIOS boots the demo disk to the same state hash under interp, jit and tiered; a trace recorded
# with one engine replays under the other without divergence (DESIGN.md, determinism contract 6).
# Usage: engines_test.sh RR86 BOOT_OK_IMG WORKDIR
rr86="$1"; img="$2"; work="$3"
mkdir -p "$work"
# The default code cache goes under the work directory, not the user's home.
export XDG_CACHE_HOME="$work/xdg"
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
# The persistent code cache: a second jit run compiles nothing and ends in the same state; a
# corrupt or truncated entry is ignored (recompiled), never loaded; --jit-cache=off writes none.
cache="$work/cache"
rm -rf "$cache" "$work/nocache"
for pass_no in cold warm; do
    "$rr86" run "${machine[@]}" -serial null --exec jit --jit-cache "$cache" </dev/null \
        2>"$work/cache_$pass_no.txt"
    check "jit with a $pass_no cache: interp's state" test "$(hash_of "$work/cache_$pass_no.txt")" = "$ref"
done
grep "jit (" "$work/cache_warm.txt"
check "warm cache: nothing compiled" grep -q "jit (jit): 0 blocks compiled" "$work/cache_warm.txt"
check "warm cache: blocks loaded" grep -qE "[1-9][0-9]* loaded from the code cache" "$work/cache_warm.txt"
entries=("$cache"/*/*.o)
check "cache holds entries" test -f "${entries[0]}"
# Damage every entry: flip bytes in the object part of half of them, truncate the others.
n=0
for f in "${entries[@]}"; do
    size=$(stat -c %s "$f")
    if [ $((n % 2)) -eq 0 ]; then
        printf '\xff\xff\xff\xff' | dd of="$f" bs=1 seek=$((size - 8)) conv=notrunc status=none
    else
        truncate -s $((size / 2)) "$f"
    fi
    n=$((n + 1))
done
"$rr86" run "${machine[@]}" -serial null --exec jit --jit-cache "$cache" </dev/null \
    2>"$work/cache_corrupt.txt"
grep "jit (" "$work/cache_corrupt.txt"
check "corrupt cache: interp's state" test "$(hash_of "$work/cache_corrupt.txt")" = "$ref"
compiled_of() { grep -o 'jit (jit): [0-9]* blocks compiled' "$1" | grep -o '[0-9]*'; }
check "corrupt cache: every block compiled again, as cold" \
    test "$(compiled_of "$work/cache_corrupt.txt")" = "$(compiled_of "$work/cache_cold.txt")"
HOME="$work/nocache" XDG_CACHE_HOME="$work/nocache" "$rr86" run "${machine[@]}" -serial null \
    --exec tiered --jit-cache off </dev/null 2>/dev/null
check "--jit-cache off writes no cache" test ! -e "$work/nocache"
echo "$pass passed, $fails failed"
[ "$fails" -eq 0 ]
