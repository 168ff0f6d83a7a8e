#!/usr/bin/env bash
# Platform acceptance tests (issue 3). Usage: platform_test.sh CASE RR86 IMAGES WORKDIR
set -u
case_name="$1"; rr86="$2"; imgs="$3"; work="$4"
mkdir -p "$work"
fails=0; pass=0
exitdev=(-device isa-debug-exit,iobase=0xf4,iosize=4)

check() { # check DESCRIPTION CONDITION...
    local what="$1"; shift
    if "$@"; then pass=$((pass + 1)); else echo "FAIL: $what"; fails=$((fails + 1)); fi
}
contains() { grep -qF -- "$2" "$1"; }
count_of() { grep -cF -- "$2" "$1"; }

case "$case_name" in
boot_ok)
    "$rr86" run -drive "file=$imgs/boot_ok.img,format=raw,if=ide" "${exitdev[@]}" \
        -serial "file:$work/serial.txt" -debugcon "file:$work/seabios.log" \
        --max-instructions 100000000 </dev/null
    code=$?
    check "exit status 1 from isa-debug-exit (got $code)" test "$code" -eq 1
    check "BOOT OK on COM1" contains "$work/serial.txt" "BOOT OK"
    check "SeaBIOS banner in the 0x402 log" contains "$work/seabios.log" "SeaBIOS (version"
    check "boot path in the log" contains "$work/seabios.log" "Booting from Hard Disk"
    check "MBR entry in the log" contains "$work/seabios.log" "Booting from 0000:7c00"
    ;;
bootindex)
    # Two disks; the second carries the bootindex and boots.
    "$rr86" run -drive "file=$imgs/disk_a.img,format=raw,if=ide" \
        -drive "file=$imgs/disk_b.img,format=raw,if=none,id=b" \
        -device ide-hd,drive=b,bus=ide.1,unit=0,bootindex=1 "${exitdev[@]}" \
        -serial "file:$work/serial.txt" --max-instructions 100000000 </dev/null
    check "second disk boots with bootindex" contains "$work/serial.txt" "DISK B"
    # Without a bootindex, SeaBIOS's default order boots the first disk.
    "$rr86" run -drive "file=$imgs/disk_a.img,format=raw,if=ide" \
        -drive "file=$imgs/disk_b.img,format=raw,if=ide" "${exitdev[@]}" \
        -serial "file:$work/serial2.txt" --max-instructions 100000000 </dev/null
    check "first disk boots without bootindex" contains "$work/serial2.txt" "DISK A"
    ;;
prelaunch_hotplug)
    # Seed 000: both disks added from the monitor in prelaunch, then cont.
    cmds="drive_add 0 file=$imgs/disk_a.img,format=raw,if=none,id=a
device_add ide-hd,drive=a,bus=ide.0,unit=0,id=da
drive_add 0 file=$imgs/disk_b.img,format=raw,if=none,id=b
device_add ide-hd,drive=b,bus=ide.0,unit=1,bootindex=1,id=db
info status
cont"
    for mode in on-run reset-only; do
        printf '%s\n' "$cmds" | "$rr86" run -S -monitor stdio -machine "pc,fw-cfg-refresh=$mode" \
            "${exitdev[@]}" -serial "file:$work/serial-$mode.txt" --max-instructions 100000000 \
            >"$work/monitor-$mode.txt"
    done
    check "prelaunch shown by info status" contains "$work/monitor-on-run.txt" "VM status: paused (prelaunch)"
    check "on-run: the hot-added bootindex disk boots" contains "$work/serial-on-run.txt" "DISK B"
    check "reset-only: stale bootorder boots the first disk" contains "$work/serial-reset-only.txt" "DISK A"
    ;;
fw_cfg_blob)
    "$rr86" run -drive "file=$imgs/fw_cfg_blob.img,format=raw,if=ide" "${exitdev[@]}" \
        -fw_cfg "name=opt/rr86/greeting,string=hello from the host" \
        -serial "file:$work/serial.txt" --max-instructions 100000000 </dev/null
    check "blob read through the port interface" contains "$work/serial.txt" "PORT:hello from the host"
    check "blob read through the DMA interface" contains "$work/serial.txt" "DMA:hello from the host"
    printf 'from a file' >"$work/blob.txt"
    "$rr86" run -drive "file=$imgs/fw_cfg_blob.img,format=raw,if=ide" "${exitdev[@]}" \
        -fw_cfg "name=opt/rr86/greeting,file=$work/blob.txt" \
        -serial "file:$work/serial2.txt" --max-instructions 100000000 </dev/null
    check "file= blob through DMA" contains "$work/serial2.txt" "DMA:from a file"
    ;;
reboot)
    # The MBR jumps to the reset vector: SeaBIOS reboots through 0xCF9 and boots again.
    "$rr86" run -drive "file=$imgs/reboot.img,format=raw,if=ide" -serial "file:$work/serial.txt" \
        -debugcon "file:$work/seabios.log" --max-instructions 40000000 </dev/null
    code=$?
    boots=$(count_of "$work/serial.txt" "BOOT OK")
    check "booted at least 3 times (got $boots)" test "$boots" -ge 3
    check "ran until the instruction budget (exit $code)" test "$code" -eq 124
    "$rr86" run -drive "file=$imgs/reboot.img,format=raw,if=ide" -serial "file:$work/serial2.txt" \
        -no-reboot --max-instructions 40000000 </dev/null
    code=$?
    boots=$(count_of "$work/serial2.txt" "BOOT OK")
    check "-no-reboot: one boot (got $boots)" test "$boots" -eq 1
    check "-no-reboot: the reset exits (exit $code)" test "$code" -eq 0
    ;;
monitor)
    # While running, IDE hot-plug is refused; malformed commands get an error line.
    printf 'drive_add 0 file=%s,format=raw,if=none,id=x\ndevice_add ide-hd,drive=x\nfrobnicate\ndevice_add\ninfo bogus\ndrive_add 0 file=%s/none.img,if=none,id=y\ninfo status\nstop\ninfo status\nquit\n' \
        "$imgs/disk_a.img" "$work" |
        "$rr86" run -monitor stdio -drive "file=$imgs/hang.img,format=raw,if=ide" \
            -serial null --max-instructions 100000000 >"$work/monitor.txt"
    code=$?
    check "quit ends the session (exit $code)" test "$code" -eq 0
    check "hot-plug refused while running" contains "$work/monitor.txt" "does not support hot-plug"
    check "unknown command" contains "$work/monitor.txt" "unknown command 'frobnicate'"
    check "device_add without arguments" contains "$work/monitor.txt" "Error: device_add"
    check "unknown info topic" contains "$work/monitor.txt" "unknown info topic 'bogus'"
    check "missing image named" contains "$work/monitor.txt" "$work/none.img"
    check "status running" contains "$work/monitor.txt" "VM status: running"
    check "status paused after stop" contains "$work/monitor.txt" "VM status: paused"
    ;;
*) echo "unknown case $case_name"; exit 2 ;;
esac
echo "$pass passed, $fails failed"
[ "$fails" -eq 0 ]
