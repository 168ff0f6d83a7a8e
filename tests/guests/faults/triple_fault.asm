; A triple fault in real mode: with an IDT limit of 0, INT3 cannot read its vector, nor can the
; #GP that follows, nor the double fault: the CPU shuts down (SDM vol. 3 §6.15, interrupt 8),
; which the runner reports as a triple fault.
;
; expect: exit=triple-fault mem8[0x5000]=0x11 mem8[0x5001]=0
%include "x86.inc"
bits 16
org LOAD_ADDR

start:
    real_mode_start
    mov byte [0x5000], 0x11
    lidt [idt_empty]
    int3
    mov byte [0x5001], 0x22             ; never reached
    hlt

idt_empty:
    dw 0
    dd 0
