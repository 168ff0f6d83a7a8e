; Self-modifying code (SDM vol. 3 §8.1.3: a store to code that is about to run takes effect):
; patching the immediate of an instruction that already ran (the next pass of a loop sees it),
; patching the very next instruction of the running block, overwriting code with REP STOSB and
; REP MOVSB, and code copied to a fresh page and called there, then rewritten and called again.
;
; expect: exit=halt mem16[0x5000]=0x1111 mem16[0x5002]=0x2222 mem8[0x5004]=0x42
; expect: mem16[0x5006]=0x9090 mem8[0x5008]=0x5a mem16[0x500a]=0x0077 mem16[0x500c]=0x0088
%include "x86.inc"
bits 16
org LOAD_ADDR

start:
    real_mode_start
    ; 1. a loop whose second pass runs a patched immediate
    mov si, 0x5000
    mov cx, 2
.pass:
    mov ax, 0x1111
patch_imm equ $ - 2
    mov [si], ax
    add si, 2
    mov word [patch_imm], 0x2222
    loop .pass
    ; 2. the next instruction, already decoded in this block
    mov byte [next_insn + 1], 0x42
next_insn:
    mov al, 0x00
    mov [0x5004], al
    ; 3. REP STOSB turns `mov al, 0x11 / mov al, 0x22` (4 bytes) into NOPs
    mov al, 0x5a
    mov di, nop_me
    mov cx, 4
    mov al, 0x90
    cld
    rep stosb
    mov al, 0x5a
nop_me:
    mov al, 0x11
    mov al, 0x22
    mov [0x5008], al                    ; 0x5A: the two MOVs are gone
    mov ax, [nop_me]
    mov [0x5006], ax
    ; 4. code copied to 0x9000 with REP MOVSB, called, rewritten, called again
    mov si, snippet
    mov di, 0x9000
    mov cx, snippet_end - snippet
    rep movsb
    call 0x0000:0x9000
    mov [0x500a], ax
    mov byte [0x9001], 0x88             ; the immediate of `mov ax, 0x0077`
    call 0x0000:0x9000
    mov [0x500c], ax
    hlt

snippet:
    mov ax, 0x0077
    retf
snippet_end:
