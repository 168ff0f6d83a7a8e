; Paging with a page fault handled and the faulting instruction resumed. Page directory at
; 0x20000: entry 0 points at a page table (0x21000) that identity-maps 0..4 MiB except the page at
; linear 0x300000 (not present); entry 2 is a 4 MiB page (CR4.PSE) mapping linear 0x800000 to
; physical 0x400000. A store to 0x300000 faults (#PF, error code 2: write to a not-present page);
; the handler maps that page to physical 0x400000, invalidates it and returns; the store is
; retried and lands at physical 0x400000, which the 4 MiB page then reads back. The CPU sets the
; accessed and dirty bits in the entries it used.
;
; expect: exit=halt cr2=0x300000 cr0&0x80000001=0x80000001 cr4&0x10=0x10 cr3=0x20000
; expect: mem32[0x5000]=0x5a5a5a5a mem32[0x5004]=0x5a5a5a5a mem32[0x400000]=0x5a5a5a5a
; expect: mem32[0x5010]=2 mem32[0x5014]=0x300000 mem32[0x5018]=1 mem32[0x501c]=0
; expect: mem32[0x20000]=0x21023 mem32[0x20008]=0x4000a3 mem32[0x21c00]=0x400063
; expect: mem8[0x5040]=0
%include "pmode.inc"
bits 16
org LOAD_ADDR

PD equ 0x20000
PT equ 0x21000

start:
    enter_pm32 idt

    pm32_start
    clear_pages PD, 2                       ; the directory and the table
    mov dword [PD], PT | 3                  ; present, writable
    mov dword [PD + 8], 0x400000 | 0x83     ; 4 MiB page: present, writable, PS
    ; identity map 0..4 MiB
    identity_page_table PT
    mov dword [PT + 0x300 * 4], 0           ; linear 0x300000 not present
    mov eax, cr4
    or eax, 0x10                            ; PSE
    mov cr4, eax
    enable_paging PD
faulting_store:
    mov dword [0x300000], 0x5a5a5a5a        ; #PF, then retried by the IRETD
    mov eax, [0x300000]
    mov [0x5000], eax
    mov ebx, [0x800000]                     ; same physical dword through the 4 MiB page
    mov [0x5004], ebx
    hlt

page_fault:
    pop dword [0x5010]                      ; error code
    mov eax, [esp]
    sub eax, faulting_store                 ; the pushed EIP is the faulting instruction
    mov [0x501c], eax
    mov eax, cr2
    mov [0x5014], eax
    inc dword [0x5018]
    mov dword [PT + 0x300 * 4], 0x400000 | 3
    invlpg [eax]
    iretd

    fault_stubs 0x5040

    gdt_start
    table_end gdt

    exception_idt 14, page_fault
    table_end idt
