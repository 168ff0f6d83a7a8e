; Benchmark (not a test): a bootable 1 MiB disk image with a compute-bound 32-bit protected-mode
; guest, the same on rr86 and on QEMU (tests/bench/jit_bench.sh runs both side by side). SeaBIOS
; loads the MBR at 0x7C00; the MBR reads the rest of the program (LBA 1..) to 0x7E00 with INT 13h
; AH=42h, enables A20 through port 0x92, loads its own GDT and enters flat 32-bit protected mode.
; The loop is tests/guests/include/compute_loop.inc, as in tests/guests/bench/compute.asm: each
; of ITERATIONS rounds hashes a 16-dword buffer (loads, IMUL, ADD, XOR, ROL, stores, a counted
; inner loop), copies it with REP MOVSD and takes a data-dependent branch. A round is 170 instructions when the hash is even
; and 171 when odd (each REP MOVSD iteration counts as one, as in QEMU's icount); with the 55
; before the first round, the loop is 55 + 170 * ITERATIONS + odd rounds (odd = (edx + N) / 4).
; The default of 6 450 000 rounds makes about 1.1 G instructions. At the end the guest writes
; "compute: ebx=XXXXXXXX edx=XXXXXXXX" to the debug console (port 0x402; tests/bench/
; compute_native.c prints the same line) and exits through isa-debug-exit (status 1).
;   nasm -f bin -I tests/guests/include/ [-DITERATIONS=N] tests/bench/compute_boot.asm -o compute.img
%ifndef ITERATIONS
%define ITERATIONS 6450000
%endif
BUF equ 0x10000                         ; 16 dwords hashed in place
COPY equ 0x11000                        ; REP MOVSD destination
DEBUGCON equ 0x402
STAGE2 equ 0x7e00                       ; where the MBR loads sectors 1..

bits 16
org 0x7c00

mbr:
    cli
    xor ax, ax
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov sp, 0x7c00
    sti
    mov si, dap                         ; DL = the boot drive, from the BIOS
    mov ah, 0x42                        ; extended read (EDD)
    int 0x13
    jc disk_error
    jmp 0:stage2

disk_error:
    mov si, disk_error_text
    mov dx, DEBUGCON
.next:
    lodsb
    test al, al
    jz .exit
    out dx, al
    jmp .next
.exit:
    mov al, 1
    out 0xf4, al                        ; isa-debug-exit, status 3
    cli
.halt:
    hlt
    jmp .halt

disk_error_text: db "compute: disk read failed", 10, 0

    align 4
dap:                                    ; disk address packet for INT 13h AH=42h
    db 16, 0
    dw STAGE2_SECTORS
    dw STAGE2, 0                        ; offset, segment
    dq 1                                ; from LBA 1

    times 510 - ($ - $$) db 0
    dw 0xaa55

; ---- sector 1 onwards, at 0x7E00 ----
stage2:
    cli
    in al, 0x92                         ; fast A20 gate
    or al, 2
    and al, 0xfe                        ; (bit 0 would reset the machine)
    out 0x92, al
    lgdt [gdtr]
    mov eax, cr0
    or al, 1
    mov cr0, eax
    jmp 0x08:pm32

bits 32
pm32:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov esp, 0x90000

    %include "compute_loop.inc"        ; the benchmark loop

    ; Report "compute: ebx=XXXXXXXX edx=XXXXXXXX\n" on the debug console, then exit.
    mov ebp, edx
    mov esi, text_ebx
    call put_str
    mov eax, ebx
    call put_hex
    mov esi, text_edx
    call put_str
    mov eax, ebp
    call put_hex
    mov al, 10
    out dx, al
    xor al, al
    out 0xf4, al                        ; isa-debug-exit, status (0 << 1) | 1 = 1
    cli
.halt:
    hlt
    jmp .halt

; put_str: writes the NUL-terminated string at ESI to the debug console; leaves DX = DEBUGCON.
put_str:
    mov dx, DEBUGCON
.next:
    lodsb
    test al, al
    jz .done
    out dx, al
    jmp .next
.done:
    ret

; put_hex: writes EAX as 8 lower-case hex digits to the debug console; needs DX = DEBUGCON.
put_hex:
    mov ecx, 8
.digit:
    rol eax, 4
    push eax
    and al, 0x0f
    add al, '0'
    cmp al, '9'
    jbe .out
    add al, 'a' - '0' - 10
.out:
    out dx, al
    pop eax
    loop .digit
    ret

text_ebx: db "compute: ebx=", 0
text_edx: db " edx=", 0

    align 8
gdt:
    dq 0
    dw 0xffff, 0                        ; 0x08 ring 0 code, flat, 32-bit
    db 0, 0x9a, 0xcf, 0
    dw 0xffff, 0                        ; 0x10 ring 0 data, flat
    db 0, 0x92, 0xcf, 0
gdt_end:
gdtr:
    dw gdt_end - gdt - 1
    dd gdt

stage2_end:
STAGE2_SECTORS equ (stage2_end - stage2 + 511) / 512
    times 1048576 - ($ - $$) db 0       ; a 1 MiB disk image
