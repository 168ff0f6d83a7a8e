; A triple fault in protected mode: the IDT holds only a not-present #GP gate, so loading a
; selector beyond the GDT limit raises #GP(sel), its delivery raises #NP, which makes a double
; fault, whose gate (vector 8) is an empty descriptor: shutdown (SDM vol. 3 §6.15, table 6-5).
;
; expect: exit=triple-fault mem8[0x5000]=0x11 mem8[0x5001]=0 cs=0x08
%include "pmode.inc"
bits 16
org LOAD_ADDR

start:
    enter_pm32 idt

bits 32
pm32:
    mov ax, 0x10
    mov ds, ax
    mov ss, ax
    mov esp, 0x90000
    mov byte [0x5000], 0x11
    mov ax, 0x48                        ; beyond the GDT limit: #GP(0x48)
    mov es, ax
    mov byte [0x5001], 0x22             ; never reached
    hlt

    gdt_start
    table_end gdt

    align 8
idt:                                    ; vectors 0..13; 13 (#GP) not present
    times 13 dq 0
    gate 0x08, 0, 0x0e
    table_end idt
