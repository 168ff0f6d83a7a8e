#!/usr/bin/env bash
# Bad input from the host side: every case must give exactly one line on stderr that names the
# problem, a non-zero exit (2), and no crash. Usage: host_input_test.sh RR86 WORKDIR
set -u
rr86="$1"
work="$2"
mkdir -p "$work"
fails=0
pass=0

# expect_error EXPECTED_SUBSTRING ARGS... : exit code 2, one stderr line containing the substring.
expect_error() {
    local want="$1"
    shift
    local err
    err=$("$rr86" "$@" 2>&1 >/dev/null </dev/null)
    local code=$?
    local lines
    lines=$(printf '%s' "$err" | grep -c '')
    if [ "$code" -ne 2 ] || [ "$lines" -ne 1 ] || ! grep -qF -- "$want" <<<"$err"; then
        echo "FAIL: rr86 $* -> exit $code, stderr: $err (wanted one line with '$want')"
        fails=$((fails + 1))
    else
        pass=$((pass + 1))
    fi
}

printf 'x' >"$work/tiny.img"
touch "$work/noread.img" && chmod 000 "$work/noread.img"
printf 'blob' >"$work/blob.txt"

expect_error "--no-such-option"        run --no-such-option
expect_error "invalid RAM size"        run -m lots
expect_error "out of range"            run -m 1
expect_error "needs a value"           run -m
expect_error "missing file="           run -drive format=raw,if=ide
expect_error "unsupported format 'qcow2'" run -drive file=x.img,format=qcow2
expect_error "unknown parameter 'bogus'" run -drive file=x.img,bogus=1
expect_error "no drive with id 'd9'"   run -device ide-hd,drive=d9
expect_error "unsupported device 'virtio-blk'" run -device virtio-blk
expect_error "duplicate fw_cfg file name: opt/a" run -fw_cfg name=opt/a,string=1 -fw_cfg name=opt/a,string=2
expect_error "exactly one of file= and string=" run -fw_cfg name=opt/a
expect_error "name too long"           run -fw_cfg "name=opt/$(printf 'n%.0s' {1..60}),string=x"
expect_error "reset-delivery"          run -machine pc,reset-delivery=later
expect_error "unsupported target"      run -serial tcp:1234
expect_error "-icount"                 run -icount shift=99
expect_error "-rtc"                    run -rtc base=yesterday
expect_error "$work/missing.bin"       run -bios "$work/missing.bin"
expect_error "$work/missing.img"       run -drive "file=$work/missing.img,format=raw,if=ide"
if [ "$(id -u)" -ne 0 ]; then
    expect_error "$work/noread.img"    run -drive "file=$work/noread.img,format=raw,if=ide"
fi
expect_error "$work"                   run -drive "file=$work,format=raw,if=ide"
expect_error "$work/missing.txt"       run -fw_cfg "name=opt/x,file=$work/missing.txt"
expect_error "$work/a,b.txt"           run -fw_cfg "name=opt/x,file=$work/a,,b.txt" # ",," is a comma
expect_error "unknown parameter 'strin'" run -fw_cfg name=opt/a,strin=x

# --version and --help succeed.
"$rr86" --version >/dev/null 2>&1 && pass=$((pass + 1)) || { echo "FAIL: --version"; fails=$((fails + 1)); }
"$rr86" run --help >/dev/null 2>&1 && pass=$((pass + 1)) || { echo "FAIL: run --help"; fails=$((fails + 1)); }

echo "$pass passed, $fails failed"
[ "$fails" -eq 0 ]
