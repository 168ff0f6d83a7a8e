; Real-mode string instructions with REP prefixes and DF both ways: REP MOVSB forward and
; backward (an overlapping move up, as memmove does), REP STOSW forward and backward, REPE CMPSB
; over equal and differing strings, REPNE SCASB forward and backward. Pointers and counts after
; each are stored at 0x5000.. and checked below.
;
; expect: exit=halt
; expect: mem16[0x5000]=0x7d90 mem16[0x5002]=0x6010 mem16[0x5004]=0
; expect: mem32[0x6000]=0x64636261 mem32[0x6004]=0x64636261 mem32[0x6008]=0x68676665
; expect: mem32[0x600c]=0x6c6b6a58 mem32[0x6010]=0x706f6e6d mem8[0x6014]=0
; expect: mem16[0x5006]=0x5fff mem16[0x5008]=0x6003
; expect: mem32[0x6100]=0xa55aa55a mem32[0x610c]=0xa55aa55a mem16[0x610e]=0xa55a mem16[0x6110]=0
; expect: mem16[0x500a]=0x6110 mem16[0x61fe]=0 mem32[0x6200]=0x12341234 mem32[0x6204]=0x12341234
; expect: mem16[0x6208]=0 mem16[0x500c]=0x61fe
; expect: mem16[0x500e]&0x8d5=0x44 mem16[0x5010]=0
; expect: mem16[0x5012]=10 mem16[0x5014]=0x7d86 mem16[0x5016]=0x7d96
; expect: mem16[0x5018]=7 mem16[0x501a]=0x7d89
; expect: mem16[0x501c]=12 mem16[0x501e]=0x7d8b flags&0x440=0x440
%include "x86.inc"
bits 16
org LOAD_ADDR

start:
    real_mode_start

    ; REP MOVSB forward: the 16 bytes of src to 0x6000
    cld
    mov si, src
    mov di, 0x6000
    mov cx, 16
    rep movsb
    mov [0x5000], si
    mov [0x5002], di
    mov [0x5004], cx
    ; REP MOVSB backward: 0x6000..0x600F moved up by 4 bytes (overlapping, from the top)
    std
    mov si, 0x600f
    mov di, 0x6013
    mov cx, 16
    rep movsb
    mov [0x5006], si
    mov [0x5008], di
    ; REP STOSW forward: 8 words of 0xA55A at 0x6100
    cld
    mov ax, 0xa55a
    mov di, 0x6100
    mov cx, 8
    rep stosw
    mov [0x500a], di
    ; REP STOSW backward: 4 words of 0x1234 at 0x6206, 0x6204, 0x6202, 0x6200
    std
    mov ax, 0x1234
    mov di, 0x6206
    mov cx, 4
    rep stosw
    mov [0x500c], di
    ; REPE CMPSB over two equal strings: runs to CX = 0 with ZF = 1
    cld
    mov si, src
    mov di, 0x6004
    mov cx, 16
    repe cmpsb
    pushf
    pop word [0x500e]
    mov [0x5010], cx
    ; REPE CMPSB stops after the first difference (index 5)
    mov si, src
    mov di, src2
    mov cx, 16
    repe cmpsb
    mov [0x5012], cx
    mov [0x5014], si
    mov [0x5016], di
    ; REPNE SCASB forward: 'X' is at index 8
    mov al, 'X'
    mov di, src
    mov cx, 16
    repne scasb
    mov [0x5018], cx
    mov [0x501a], di
    ; REPNE SCASB backward from the last byte: 'm' is at index 12
    std
    mov al, 'm'
    mov di, src + 15
    mov cx, 16
    repne scasb
    mov [0x501c], cx
    mov [0x501e], di
    hlt

    times 0x180 - ($ - $$) db 0
src:  db "abcdefghXjklmnop"       ; 0x7D80
src2: db "abcdeZghXjklmnop"       ; 0x7D90
