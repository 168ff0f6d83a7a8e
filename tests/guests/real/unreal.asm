; "Unreal" (big real) mode: in plain real mode an offset above 0xFFFF faults (#GP, interrupt 13);
; after a trip through protected mode that loads DS and ES with a 4 GiB data segment, back in
; real mode the descriptor caches keep that limit (a real-mode segment load changes only the
; selector and base), so 32-bit offsets reach memory above 1 MiB: MOV, A32 REP STOSD and MOVSD.
;
; expect: exit=halt cr0&1=0 ds=0 es=0 ds.base=0 ds.limit=0xffffffff es.limit=0xffffffff
; expect: ss.limit=0xffff mem8[0x5000]=1 mem32[0x200000]=0xdeadbeef mem32[0x5004]=0xdeadbeef
; expect: mem32[0x300000]=0xdeadbeef mem32[0x30000c]=0xdeadbeef mem32[0x310000]=0xdeadbeef
; expect: mem32[0x31000c]=0xdeadbeef mem32[0x310010]=0 ecx=0 esi=0x300010 edi=0x310010
%include "x86.inc"
bits 16
org LOAD_ADDR

start:
    real_mode_start
    set_ivt 13, gp_handler
    mov esi, 0x200000
    mov eax, [esi]                      ; offset beyond the 64 KiB limit: interrupt 13
after_gp:
    lgdt [gdtr]
    mov eax, cr0
    or al, 1
    mov cr0, eax
    mov bx, 0x08
    mov ds, bx
    mov es, bx
    and al, 0xfe
    mov cr0, eax
    xor ax, ax
    mov ds, ax                          ; base 0; the 4 GiB limit stays
    mov es, ax
    mov dword [esi], 0xdeadbeef         ; physical 0x200000
    mov eax, [esi]
    mov [0x5004], eax
    cld
    mov edi, 0x300000
    mov ecx, 4
    a32 rep stosd
    mov esi, 0x300000
    mov edi, 0x310000
    mov ecx, 4
    a32 rep movsd
    hlt

gp_handler:
    mov byte [0x5000], 1
    add sp, 6                           ; drop the frame, continue after the faulting MOV
    jmp after_gp

    align 8
gdt:
    dq 0
    desc 0, 0xfffff, 0x92, 0x80         ; 0x08 data, 4 GiB (G=1)
    table_end gdt
