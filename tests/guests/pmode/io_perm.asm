; I/O and interrupt-flag privilege at ring 3 (SDM vol. 1 §19.5, vol. 2 CLI/POPF): with IOPL 0 the
; TSS I/O permission bitmap decides (port 0x80 allowed; 0x81 and a word at 0x7F denied: #GP(0)),
; CLI raises #GP(0), POPF silently keeps IOPL; once ring 0 raises IOPL to 3 in the frame it
; returns through, the same OUT and CLI work. The #GP handler logs at 0x5000 + 16 * n: vector,
; error code, saved EIP minus the instruction's address, RPL of the saved CS.
;
; expect: exit=halt cpl=0 mem32[0x5400]=0x5030 mem32[0x5404]=0xff mem32[0x5408]=0
; expect: mem32[0x540c]=0x3000 mem32[0x5420]=0x3000
; expect: mem32[0x5000]=13 mem32[0x5004]=0 mem32[0x5008]=0 mem32[0x500c]=3
; expect: mem32[0x5010]=13 mem32[0x5014]=0 mem32[0x5018]=0 mem32[0x501c]=3
; expect: mem32[0x5020]=13 mem32[0x5024]=0 mem32[0x5028]=0 mem32[0x502c]=3
; expect: mem32[0x5030]=0 mem8[0x5500]=0
%include "pmode.inc"
bits 16
org LOAD_ADDR

LOG equ 0x5000
log_ptr equ 0x5400
expect_eip equ 0x5410
resume equ 0x5414

start:
    enter_pm32 idt

    pm32_start
    mov ax, 0x28
    ltr ax
    mov dword [log_ptr], LOG
    iret_to_ring3 user                  ; to ring 3 with IOPL 0

user:
    mov ax, 0x23
    mov ds, ax
    in al, 0x80                         ; allowed by the bitmap; nothing there: 0xFF
    movzx eax, al
    mov [0x5404], eax
    fault_test out 0x81, al             ; denied by the bitmap
    fault_test in ax, 0x7f              ; 0x7F denied (0x80 allowed)
    fault_test cli                      ; CPL > IOPL
    pushfd
    or dword [esp], 0x3000
    popfd                               ; no fault, IOPL unchanged at CPL 3
    pushfd
    pop eax
    and eax, 0x3000
    mov [0x5408], eax
    int 0x80                            ; ring 0 returns with IOPL 3
    out 0x81, al
    cli
    sti
    pushfd
    pop eax
    and eax, 0x3000
    mov [0x540c], eax
    int 0x81

raise_iopl:                             ; EIP, CS, EFLAGS, ESP, SS
    or dword [esp + 8], 0x3000
    mov eax, [esp + 8]
    and eax, 0x3000
    mov [0x5420], eax
    iretd

general_protection:                     ; error, EIP, CS, EFLAGS, ESP, SS
    log_record_begin 4
    mov dword [ebx], 13
    log_error_code 4
    log_saved_eip 8
    log_saved_rpl 12
    log_record_end

done:
    cli
    hlt

    fault_stubs 0x5500

    gdt_start
    gdt_ring3_tss tss_end - tss - 1     ; the TSS with an I/O bitmap
    table_end gdt

    exception_idt 13, general_protection
    times 0x80 - 32 dq 0
    gate 0x08, ABS(raise_iopl), 0xee
    gate 0x08, ABS(done), 0xee
    table_end idt

    tss32                               ; the I/O bitmap right after it
    times 0x10 db 0xff                  ; ports 0x00-0x7F denied
    db 0xfe                             ; 0x80 allowed, 0x81-0x87 denied
    db 0xff                             ; the byte past the bitmap
tss_end:
