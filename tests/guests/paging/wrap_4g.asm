; A flat data segment ends at 4 GiB - 1: an access whose last byte would be past it, wrapping to
; linear 0, is #GP(0) (SDM vol. 3 §5.3), with the TLB holding both the last page and page 0, so
; that a soft TLB that only compared the first byte's page would read or write across the wrap.
; Page directory at 0x20000: entry 0 identity-maps 0..4 MiB (page table at 0x21000), entry 1023
; is a 4 MiB page (CR4.PSE) mapping linear 0xFFC00000 to physical 0x400000, so linear
; 0xFFFFF000 is physical 0x7FF000. The guest fills the TLB for linear 0xFFFFF000 and 0 (a read
; and a write in each), then makes three accesses that wrap: each #GP handler logs the vector,
; the error code and the saved EIP minus the faulting instruction's, and resumes after it.
; Nothing is written across the wrap (physical 0x7FFFFC.. and 0x0.. keep their bytes).
;
; expect: exit=halt mem32[0x5400]=0x5030 mem32[0x5404]=0x11223344 mem32[0x5408]=0x55667788
; expect: mem32[0x5000]=13 mem32[0x5004]=0 mem32[0x5008]=0
; expect: mem32[0x5010]=13 mem32[0x5014]=0 mem32[0x5018]=0
; expect: mem32[0x5020]=13 mem32[0x5024]=0 mem32[0x5028]=0
; expect: mem32[0x7ffffc]=0x11223344 mem32[0]=0x55667788 mem8[0x5440]=0
%include "pmode.inc"
bits 16
org LOAD_ADDR

PD equ 0x20000
PT equ 0x21000
LOG equ 0x5000
log_ptr equ 0x5400
expect_eip equ 0x5410
resume equ 0x5414

start:
    enter_pm32 idt

    pm32_start
    mov dword [log_ptr], LOG
    clear_pages PD, 2                       ; the directory and the table
    mov dword [PD], PT | 3                  ; present, writable
    mov dword [PD + 1023 * 4], 0x400000 | 0x83 ; 4 MiB page: present, writable, PS
    identity_page_table PT
    mov eax, cr4
    or eax, 0x10                            ; PSE
    mov cr4, eax
    enable_paging PD

    mov dword [0xfffffffc], 0x11223344      ; the TLB: the last page, for writes and reads
    mov eax, [0xfffffffc]
    mov [0x5404], eax
    mov dword [0], 0x55667788               ; and page 0
    mov eax, [0]
    mov [0x5408], eax
    fault_test mov eax, [0xfffffffe]
    fault_test mov word [0xffffffff], 1
    fault_test add [0xfffffffd], eax
    cli
    hlt

gp_fault:                               ; [esp] error code, then EIP
    log_record_begin 4
    mov dword [ebx], 13
    log_error_code 4
    log_saved_eip 8
    log_record_end

    fault_stubs 0x5440

    gdt_start
    table_end gdt

    exception_idt 13, gp_fault
    table_end idt
