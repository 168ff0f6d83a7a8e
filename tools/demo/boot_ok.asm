; The built-in demo disk: an MBR that SeaBIOS boots. It prints "BOOT OK" on COM1 and then either
; exits through isa-debug-exit (status (0 << 1) | 1 = 1) or, built with -DREBOOT, jumps to the reset
; vector so that SeaBIOS reboots the machine through its 0xCF9 path (seed 002). Tests build it with
; -DMESSAGE='"..."' to tell disks apart, -DHANG to stop with interrupts off, -DECHO to echo COM1
; input up to a newline before exiting, and -DFULL_DISK for a 1 MiB image.
%ifndef MESSAGE
%define MESSAGE "BOOT OK"
%endif
bits 16
org 0x7c00

start:
    cli
    xor ax, ax
    mov ds, ax
    mov ss, ax
    mov sp, 0x7c00
    mov si, message
.next:
    lodsb
    test al, al
    jz .done
    mov bl, al
    mov dx, 0x3fd           ; 16550 line status register
.wait:
    in al, dx
    test al, 0x20           ; THR empty
    jz .wait
    mov al, bl
    mov dx, 0x3f8
    out dx, al
    jmp .next
.done:
%ifdef REBOOT
    jmp 0xf000:0xfff0
%elifdef ECHO
    ; Echo what the host types on COM1 until a newline, then exit.
.rx:
    mov dx, 0x3fd
.poll:
    in al, dx
    test al, 0x01           ; data ready
    jz .poll
    mov dx, 0x3f8
    in al, dx
    mov bl, al
    mov dx, 0x3fd
.tx:
    in al, dx
    test al, 0x20
    jz .tx
    mov al, bl
    mov dx, 0x3f8
    out dx, al
    cmp bl, 10
    jne .rx
    xor al, al
    out 0xf4, al
    cli
.hang:
    hlt
    jmp .hang
%elifdef HANG
    cli
.hang:
    hlt
    jmp .hang
%else
    xor al, al
    out 0xf4, al            ; isa-debug-exit
.halt:
    hlt
    jmp .halt
%endif

message: db MESSAGE, 13, 10, 0

times 510 - ($ - $$) db 0
dw 0xaa55
%ifdef FULL_DISK
times 1048576 - ($ - $$) db 0   ; a 1 MiB disk image
%endif
