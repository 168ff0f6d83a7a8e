; Self-modifying code through a paging alias: code at linear 0x9000 (identity-mapped) is
; rewritten through linear 0x409000, a 4 MiB page (CR4.PSE) mapping the same physical memory.
; The processor keys its view of code on physical memory, so the next call runs the new bytes.
;
; expect: exit=halt mem32[0x5000]=0x11111111 mem32[0x5004]=0x22222222 mem32[0x409000]=0
%include "x86.inc"
bits 16
org LOAD_ADDR

PD equ 0x20000
PT equ 0x21000

start:
    real_mode_start
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
    cld
    mov edi, PT
    mov eax, 3
    mov ecx, 1024
.map:
    stosd
    add eax, 0x1000
    loop .map
    mov dword [PD], PT | 3
    mov dword [PD + 4], 0x83                ; linear 4 MiB..8 MiB -> physical 0 (PS)
    mov eax, cr4
    or eax, 0x10
    mov cr4, eax
    mov eax, PD
    mov cr3, eax
    mov eax, cr0
    or eax, 0x80000000
    mov cr0, eax
    jmp .paged
.paged:
    mov esi, snippet
    mov edi, 0x9000
    mov ecx, snippet_end - snippet
    rep movsb
    call 0x9000
    mov [0x5000], eax
    mov dword [0x409000 + 1], 0x22222222    ; the immediate, through the alias
    call 0x9000
    mov [0x5004], eax
    mov dword [0x409000 + 1], 0             ; the alias writes physical 0x9001
    hlt

snippet:
    mov eax, 0x11111111
    ret
snippet_end:

    align 8
gdt:
    dq 0
    desc 0, 0xfffff, 0x9a, 0xc0
    desc 0, 0xfffff, 0x92, 0xc0
gdt_end:
gdtr:
    dw gdt_end - gdt - 1
    dd gdt
