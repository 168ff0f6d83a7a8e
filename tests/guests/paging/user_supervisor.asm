; Page-level protection (SDM vol. 3 §4.6, §4.7): ring-3 reads of a supervisor page (#PF error 5),
; ring-3 writes to a read-only user page (error 7), ring-3 reads of a not-present page (error 4),
; ring-0 writes to a read-only page (allowed with CR0.WP = 0, error 3 with WP = 1), and an
; instruction fetch from a not-present page (error 0, CR2 and the saved EIP = the target). The
; #PF handler logs at 0x5000 + 16 * n: error code, CR2, saved EIP minus the expected one, and
; the RPL of the saved CS; then it resumes at the next step. A faulting access sets no accessed
; bit in the page-table entry that denied it (as Bochs and QEMU do).
;
; expect: exit=halt cpl=0 mem32[0x5400]=0x5050 mem32[0x5404]=0x1111 mem32[0x5408]=0x1111
; expect: mem32[0x5000]=3 mem32[0x5004]=0x101000 mem32[0x5008]=0 mem32[0x500c]=0
; expect: mem32[0x5010]=0 mem32[0x5014]=0x103000 mem32[0x5018]=0 mem32[0x501c]=0
; expect: mem32[0x5020]=5 mem32[0x5024]=0x100000 mem32[0x5028]=0 mem32[0x502c]=3
; expect: mem32[0x5030]=7 mem32[0x5034]=0x101000 mem32[0x5038]=0 mem32[0x503c]=3
; expect: mem32[0x5040]=4 mem32[0x5044]=0x102000 mem32[0x5048]=0 mem32[0x504c]=3
; expect: mem32[0x5050]=0 mem8[0x5500]=0 mem32[0x21404]=0x101065 mem32[0x21400]=0x100003
%include "pmode.inc"
bits 16
org LOAD_ADDR

PD equ 0x20000
PT equ 0x21000
LOG equ 0x5000
log_ptr equ 0x5400
expect_eip equ 0x540c
resume equ 0x5410

start:
    enter_pm32 idt

    pm32_start
    mov ax, 0x28
    ltr ax
    mov dword [log_ptr], LOG
    ; identity map 0..4 MiB, supervisor read/write
    cld
    identity_page_table PT
    mov dword [PD], PT | 7                  ; the directory entry allows everything
    or dword [PT + 0x05 * 4], 4             ; log page: user
    or dword [PT + 0x07 * 4], 4             ; code pages: user
    or dword [PT + 0x08 * 4], 4
    or dword [PT + 0x6f * 4], 4             ; ring-3 stack: user
    mov dword [PT + 0x101 * 4], 0x101005    ; user, read-only
    mov dword [PT + 0x102 * 4], 0           ; not present
    mov dword [PT + 0x103 * 4], 0           ; not present
    enable_paging PD                        ; WP clear
    mov dword [0x101000], 0x1111            ; read-only page, WP = 0: allowed
    mov eax, cr0
    or eax, 0x10000                         ; WP
    mov cr0, eax
    fault_test mov dword [0x101000], 0x2222 ; error 3
    and eax, ~0x10000
    mov cr0, eax
    mov dword [expect_eip], 0x103000
    mov dword [resume], .after_fetch
    mov eax, 0x103000
    jmp eax                                 ; fetch from a not-present page: error 0
.after_fetch:
    iret_to_ring3 user

user:
    mov ax, 0x23
    mov ds, ax
    mov es, ax
    mov eax, [0x101000]                     ; user read-only page: reads are fine
    mov [0x5404], eax
    fault_test mov eax, [0x100000]          ; supervisor page: error 5
    fault_test mov dword [0x101000], 0x3333 ; read-only: error 7
    fault_test mov eax, [0x102000]          ; not present: error 4
    mov eax, [0x101000]
    mov [0x5408], eax
    int 0x80

page_fault:                                 ; [esp] error, EIP, CS, EFLAGS (, ESP, SS)
    log_record_begin 4
    log_error_code 0
    mov eax, cr2
    mov [ebx + 4], eax
    log_saved_eip 8
    log_saved_rpl 12
    log_record_end

done:
    cli
    hlt

    fault_stubs 0x5500

    gdt_start
    gdt_ring3_tss
    table_end gdt

    exception_idt 14, page_fault
    times 0x80 - 32 dq 0
    gate 0x08, ABS(done), 0xee
    table_end idt

    tss32
