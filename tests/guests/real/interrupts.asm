; Real-mode interrupts and exceptions through the IVT (SDM vol. 3 §20.1.4): INT n, INT3 and INTO
; push the address of the next instruction; #DE (DIV by zero), #BR (BOUND out of range) and #UD
; (UD2) push the address of the faulting instruction. Each delivery pushes FLAGS, CS, IP and
; clears IF; IRET restores them. Each handler records, at 0x5000 + 16 * vector: the pushed IP, CS
; and FLAGS, the FLAGS it runs with, and a count; faults skip the faulting instruction by the
; length stored in `skip`.
;
; expect: exit=halt
; expect: mem16[0x5400]=0x7c50 mem16[0x5402]=0 mem16[0x5404]=0x0247 mem16[0x5406]=0x0047
; expect: mem16[0x5408]=1 mem16[0x5500]=0x0247
; expect: mem16[0x5000]=0x7c62 mem16[0x5004]=0x0246 mem16[0x5006]=0x0046
; expect: mem16[0x5008]=1 mem16[0x5502]=1 mem16[0x5504]=0
; expect: mem16[0x5030]=0x7c6c mem16[0x5038]=1
; expect: mem16[0x5040]=0x7c72 mem16[0x5044]&0x8d5=0x890 mem16[0x5048]=1
; expect: mem16[0x5050]=0x7c7b mem16[0x5058]=1 mem16[0x5060]=0x7c85 mem16[0x5068]=1
; expect: mem16[0x5070]=0 mem16[0x5506]=0x7c00 flags&0x200=0
%include "x86.inc"
bits 16
org LOAD_ADDR

REC equ 0x5000

start:
    real_mode_start
    mov di, 0
    mov cx, 256
.clear:                                 ; every vector -> `unexpected`
    mov word [di], unexpected
    mov word [di + 2], 0
    add di, 4
    loop .clear
    mov word [0 * 4], h0
    mov word [3 * 4], h3
    mov word [4 * 4], h4
    mov word [5 * 4], h5
    mov word [6 * 4], h6
    mov word [0x40 * 4], h64
    mov word [skip], 0
    xor ax, ax                          ; ZF PF: FLAGS = 0x0046
    sti                                 ; nothing can interrupt: the runner has no devices
    stc
    int 0x40
    pushf
    pop word [REC + 0x500]              ; FLAGS after IRET: as before the INT (0x0247)
    ; #DE: the pushed IP is the DIV's
    xor dx, dx
    mov ax, 1
    xor cx, cx                          ; ZF PF, CF clear
    mov word [skip], 2
de_insn:
    div cx
    mov [REC + 0x502], ax               ; AX unchanged by the faulting DIV: 1
    mov [REC + 0x504], dx
    ; INT3: a trap, the pushed IP is the next instruction's
    int3
    ; INTO traps only with OF set
    into
    mov al, 0x7f
    add al, 1                           ; OF SF AF
    into
    ; BOUND out of range: #BR, a fault
    mov ax, 100
    mov word [skip], 4
br_insn:
    bound ax, [bounds]
    mov word [skip], 2
ud_insn:
    ud2
    mov word [REC + 0x506], sp          ; the stack is balanced again: 0x7c00
    cli
    hlt

%macro handler 1
h%1:
    push bp
    mov bp, sp
    push ax
    pushf
    pop ax
    mov [REC + %1 * 16 + 6], ax         ; FLAGS inside the handler: IF clear
    mov ax, [bp + 2]
    mov [REC + %1 * 16 + 0], ax         ; pushed IP
    mov ax, [bp + 4]
    mov [REC + %1 * 16 + 2], ax         ; pushed CS
    mov ax, [bp + 6]
    mov [REC + %1 * 16 + 4], ax         ; pushed FLAGS
    inc word [REC + %1 * 16 + 8]
    mov ax, [skip]
    add [bp + 2], ax                    ; faults: resume after the faulting instruction
    mov word [skip], 0
    pop ax
    pop bp
    iret
%endmacro

    handler 0
    handler 3
    handler 4
    handler 5
    handler 6
    handler 64

unexpected:
    mov word [REC + 0x70], 0xdead
    cli
    hlt

bounds:
    dw 0, 50
skip:
    dw 0
