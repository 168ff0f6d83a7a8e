; External interrupts and single-step (SDM vol. 3 §6.8, §17.3.1.4): a request (the runner's port
; 0xF5) is held while IF = 0; after STI it is taken only once the next instruction has run (the
; STI shadow); HLT waits for it and the return address is the instruction after HLT. With TF set
; by POPF, a #DB trap follows every instruction (from the one after the POPF, up to and including
; the POPF that clears TF) except the one after MOV SS. Handlers record the return IPs.
;
; expect: exit=halt mem16[0x5000]=0 mem16[0x5002]=0 mem16[0x5004]=1 mem16[0x5006]=2
; expect: mem16[0x5010]=0x7c33 mem16[0x5012]=0x7c43 mem16[0x5020]=8
; expect: mem16[0x5030]=0x7c52 mem16[0x5032]=0x7c55 mem16[0x5034]=0x7c5a mem16[0x5036]=0x7c5b
; expect: mem16[0x5038]=0x7c5c mem16[0x503a]=0x7c5f mem16[0x503c]=0x7c60 mem16[0x503e]=0x7c61
; expect: mem32[0x5024]&0x4000=0x4000 flags&0x300=0
%include "x86.inc"
bits 16
org LOAD_ADDR

count equ 0x5008
steps equ 0x5020

start:
    real_mode_start
    set_ivt 0x20, irq_handler
    set_ivt 1, db_handler
    ; held while IF = 0
    mov al, 0x20
    out 0xf5, al
    nop
    mov ax, [count]
    mov [0x5000], ax                    ; 0
    ; STI: the next instruction runs first
    sti
    mov ax, [count]                     ; in the shadow: still 0
    mov [0x5002], ax                    ; the interrupt came before this instruction
    cli
    mov ax, [count]
    mov [0x5004], ax                    ; 1
    ; HLT wakes up for the interrupt, which returns after the HLT
    mov al, 0x20
    out 0xf5, al
    sti
    hlt
    cli
    mov ax, [count]
    mov [0x5006], ax                    ; 2
    ; single-step
    pushf
    pop ax
    or ax, 0x100
    push ax
    popf                                ; TF from here: the first trap follows the next one
    nop                                 ; trap -> 0x7c52
    mov bx, 0                           ; trap -> 0x7c55
    mov ss, bx                          ; no trap: MOV SS shadow
    mov ax, 1                           ; trap -> 0x7c5a (after MOV SS: one trap, after this)
    pushf                               ; trap -> 0x7c5b
    pop ax                              ; trap -> 0x7c5c
    and ax, ~0x100                      ; trap -> 0x7c5f
    push ax                             ; trap -> 0x7c60
    popf                                ; TF was set when it began: trap -> 0x7c61
    mov eax, dr6
    mov [0x5024], eax                   ; BS (bit 14)
    hlt

; record_return_ip counter, table: the body of a handler that stores the return IP at table +
; 2 * [counter], counts, and returns.
%macro record_return_ip 2
    push bx
    mov bx, [%1]
    shl bx, 1
    push bp
    mov bp, sp
    push ax
    mov ax, [bp + 4]
    mov [%2 + bx], ax                   ; return IP
    pop ax
    pop bp
    inc word [%1]
    pop bx
    iret
%endmacro

irq_handler:
    record_return_ip count, 0x5010

db_handler:
    record_return_ip steps, 0x5030
