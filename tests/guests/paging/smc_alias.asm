; Self-modifying code through a paging alias: code at linear 0x9000 (identity-mapped) is
; rewritten through linear 0x409000, a 4 MiB page (CR4.PSE) mapping the same physical memory.
; The processor keys its view of code on physical memory, so the next call runs the new bytes.
;
; expect: exit=halt mem32[0x5000]=0x11111111 mem32[0x5004]=0x22222222 mem32[0x409000]=0
%include "pmode.inc"
bits 16
org LOAD_ADDR

PD equ 0x20000
PT equ 0x21000

start:
    enter_pm32

    pm32_start
    cld
    identity_page_table PT
    mov dword [PD], PT | 3
    mov dword [PD + 4], 0x83                ; linear 4 MiB..8 MiB -> physical 0 (PS)
    mov eax, cr4
    or eax, 0x10
    mov cr4, eax
    enable_paging PD
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

    gdt_start
    table_end gdt
