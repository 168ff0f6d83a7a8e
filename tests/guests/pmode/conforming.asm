; Code-segment privilege rules (SDM vol. 3 §5.8.1, §5.8.2): a far CALL from ring 3 into a
; conforming DPL-0 segment runs at CPL 3 (CS.RPL = 3, no stack switch); a direct far CALL into a
; non-conforming DPL-0 segment raises #GP(selector); from ring 0, a conforming segment with
; DPL 3 > CPL raises #GP(selector). A trap gate leaves IF set, an interrupt gate clears it. A
; 16-bit code segment runs 16-bit code in protected mode (PUSH of a word on the 32-bit stack)
; and comes back through a 32-bit far jump. The #GP handler logs error code and CS.RPL at
; 0x5000 + 16 * n and resumes after the instruction.
;
; expect: exit=halt cpl=0 mem32[0x5400]=0x5020 mem8[0x5500]=0
; expect: mem32[0x5000]=0x38 mem32[0x5004]=0 mem32[0x5010]=0x08 mem32[0x5014]=3
; expect: mem32[0x5404]=0x33 mem32[0x5408]=0x6fff8 mem32[0x540c]=0x70000
; expect: mem32[0x5410]=0x200 mem32[0x5414]=0 mem32[0x5418]=0x1234 mem32[0x541c]=0x8fffe
; expect: mem32[0x5420]=0x90000
%include "pmode.inc"
bits 16
org LOAD_ADDR

LOG equ 0x5000
log_ptr equ 0x5400
resume equ 0x5430

; gp_test instruction: like fault_test (pmode.inc), without the instruction's address.
%macro gp_test 1+
    mov dword [resume], %%next
    %1
%%next:
%endmacro

start:
    enter_pm32 idt

    pm32_start
    mov ax, 0x28
    ltr ax
    mov dword [log_ptr], LOG
    gp_test call 0x38:conf3_entry       ; conforming with DPL 3 > CPL 0: #GP(0x38)
    ; a 16-bit code segment
    jmp 0x40:code16
back32:
    mov [0x541c], esp
    pop ax
    mov [0x5420], esp
    ; interrupt gate vs trap gate, at ring 0
    sti
    int 0x82                            ; trap gate: IF stays set
    int 0x83                            ; interrupt gate: IF cleared
    cli
    iret_to_ring3 user

bits 16
code16:
    mov ax, 0x1234
    push ax                             ; two bytes, on ESP (SS.B = 1)
    mov bx, sp
    movzx ebx, word [esp]
    mov [0x5418], ebx
    jmp dword 0x08:back32

bits 32
user:
    mov ax, 0x23
    mov ds, ax
    call 0x30:conf0_entry               ; conforming DPL 0 from CPL 3: runs at CPL 3
    mov [0x540c], esp
    gp_test call 0x08:pm32              ; non-conforming DPL 0: #GP(0x08)
    int 0x80

conf0_entry:                            ; runs at CPL 3, on the caller's stack
    xor eax, eax
    mov ax, cs
    mov [0x5404], eax
    mov [0x5408], esp
    retf

conf3_entry:
    retf

trap_entry:
    pushfd
    pop eax
    and eax, 0x200
    mov [0x5410], eax
    iretd

intr_entry:
    pushfd
    pop eax
    and eax, 0x200
    mov [0x5414], eax
    iretd

general_protection:                     ; error, EIP, CS, ...
    log_record_begin 4
    log_error_code 0
    log_saved_rpl 4
    log_record_end

done:
    cli
    hlt

    fault_stubs 0x5500

    gdt_start
    gdt_ring3_tss
    desc 0, 0xfffff, 0x9e, 0xc0         ; 0x30 conforming code, DPL 0
    desc 0, 0xfffff, 0xfe, 0xc0         ; 0x38 conforming code, DPL 3
    desc 0, 0xffff, 0x9a, 0x00          ; 0x40 16-bit code, DPL 0
    table_end gdt

    exception_idt 13, general_protection
    times 0x80 - 32 dq 0
    gate 0x08, ABS(done), 0xee
    dq 0
    gate 0x08, ABS(trap_entry), 0x8f    ; 0x82: trap gate
    gate 0x08, ABS(intr_entry), 0x8e    ; 0x83: interrupt gate
    table_end idt

    tss32
