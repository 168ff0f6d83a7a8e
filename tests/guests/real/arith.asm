; Real-mode integer arithmetic: ADD/ADC and SUB/SBB carry chains, MUL/IMUL/DIV/IDIV (8- and
; 16-bit), shifts and rotates, DAA, 32-bit operands through the 66h prefix, a LOOP, and the
; flags of a final compare. Each result is stored at 0x5000.. and checked below.
;
; expect: exit=halt cs=0 eip=0x7d07
; expect: mem16[0x5000]=0x0000 mem16[0x5002]=0x1235 mem16[0x5004]=0xffff mem16[0x5006]=0x0000
; expect: mem16[0x5008]=0x0060 mem16[0x500a]=0x0626 mem16[0x500c]=0xf7cc mem16[0x500e]=0xffff
; expect: mem16[0x5010]=0x1234 mem16[0x5012]=0x0056 mem16[0x5014]=0xff72 mem16[0x5016]=0xfffa
; expect: mem16[0x5018]=0x0555 mem16[0x501a]=0x1400 mem16[0x501c]=0x000f mem8[0x501e]=0x47
; expect: mem32[0x5020]=0x9be02467 mem32[0x5024]=0xd39c6d35 mem32[0x5028]=0x00003039
; expect: mem32[0x502c]=0xfffffffe mem16[0x5030]=0x0400 mem16[0x5032]=0x0800
; expect: esi=0x13ba ecx=0xffff0000 eax=0x00000005 flags&0x8d5=0x91
%include "x86.inc"
bits 16
org LOAD_ADDR

start:
    real_mode_start

    ; 0x1234FFFF + 1 as a 16-bit carry chain
    mov ax, 0xffff
    mov dx, 0x1234
    add ax, 1
    adc dx, 0
    mov [0x5000], ax
    mov [0x5002], dx
    ; 0x00010000 - 1 as a borrow chain
    xor ax, ax
    mov dx, 1
    sub ax, 1
    sbb dx, 0
    mov [0x5004], ax
    mov [0x5006], dx
    ; MUL: 0x1234 * 0x5678 = 0x06260060
    mov ax, 0x1234
    mov bx, 0x5678
    mul bx
    mov [0x5008], ax
    mov [0x500a], dx
    ; IMUL: -300 * 7 = -2100
    mov ax, -300
    mov cx, 7
    imul cx
    mov [0x500c], ax
    mov [0x500e], dx
    ; DIV: 0x00123456 / 0x100
    mov dx, 0x0012
    mov ax, 0x3456
    mov cx, 0x100
    div cx
    mov [0x5010], ax
    mov [0x5012], dx
    ; IDIV: -1000 / 7 = -142, remainder -6 (the remainder takes the dividend's sign)
    mov ax, -1000
    cwd
    mov cx, 7
    idiv cx
    mov [0x5014], ax
    mov [0x5016], dx
    ; 8-bit MUL then DIV: 200 * 3 = 600; 600 / 7 = 85 remainder 5
    mov al, 200
    mov bl, 3
    mul bl
    mov bl, 7
    div bl
    mov [0x5018], ax
    ; shifts and rotates
    mov ax, 0x8001
    shl ax, 1               ; 0x0002, CF=1
    rcl ax, 1               ; 0x0005, CF=0
    mov cl, 4
    ror ax, cl              ; 0x5000
    sar ax, 2               ; 0x1400
    mov [0x501a], ax
    mov ax, 0x8000
    sar ax, 15              ; 0xffff
    shr ax, 12              ; 0x000f
    mov [0x501c], ax
    ; packed BCD: 19 + 28 = 47
    mov al, 0x19
    add al, 0x28
    daa
    mov [0x501e], al
    ; 32-bit operands in real mode
    mov eax, 0x89abcdef
    mov ebx, 0x12345678
    add eax, ebx            ; 0x9be02467
    mov [0x5020], eax
    imul eax, ebx, 3        ; 0x369d0368
    add eax, [0x5020]       ; 0x369d0368 + 0x9be02467 = 0xd27d27cf
    xor eax, 0x01e14afa     ; 0xd39c6d35
    mov [0x5024], eax
    mov eax, 12345
    cdq
    mov [0x5028], eax
    mov eax, -2
    movsx ecx, ax
    mov [0x502c], ecx
    ; BSWAP-free byte swap of a word through XCHG, and NEG/NOT
    mov ax, 0x0004
    xchg al, ah             ; 0x0400
    mov [0x5030], ax
    neg ax                  ; 0xfc00
    not ax                  ; 0x03ff
    inc ax                  ; 0x0400
    shl ax, 1               ; 0x0800
    mov [0x5032], ax
    ; sum 1..100 with LOOP
    xor si, si
    mov cx, 100
.sum:
    add si, cx
    loop .sum
    ; 5 - 7: SF=1 AF=1 CF=1, ZF=0 PF=0 OF=0
    xor eax, eax
    mov al, 5
    cmp al, 7
    hlt
