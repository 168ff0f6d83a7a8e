; A 32-bit loop of several blocks on one page, the shape guest_region_pmode_region_loop compiles
; as one region (Block::region): a data-dependent branch whose two sides alternate, a REP MOVSD
; (which ends its block), and self-modifying code that patches a block of the running region
; halfway (the ADD's immediate 3 becomes 5 from round 99 on): the region's code must go.
;
; expect: exit=port:33 ebx=0x8ff1c043 edx=0x164 mem32[0x6100]=0x8ff1c043 ecx=0 ebp=0
%include "pmode.inc"
bits 16
org LOAD_ADDR

start:
    enter_pm32

    pm32_start
    xor ebx, ebx
    xor edx, edx
    mov ebp, 200
.round:
    mov eax, ebp
    imul eax, eax, 0x9e3779b1
    add ebx, eax
    rol ebx, 3
    test ebx, 1
    jz .even
.patch:
    add edx, byte 3
    jmp .next
.even:
    sub edx, 1
.next:
    mov [0x6000], ebx
    mov esi, 0x6000
    mov edi, 0x6100
    mov ecx, 8
    rep movsd
    cmp ebp, 100
    jne .same
    mov byte [ABS(.patch) + 2], 5
.same:
    dec ebp
    jnz .round
    test_exit 0x10                      ; status 0x21
    hlt

    times 0x100 - ($ - $$) db 0
    gdt_start                           ; 0x7D00
    table_end gdt
