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
%include "x86.inc"
bits 16
org LOAD_ADDR

LOG equ 0x5000
log_ptr equ 0x5400
expect_eip equ 0x5410
resume equ 0x5414

%macro gp_test 1+
    mov dword [expect_eip], %%insn
    mov dword [resume], %%next
%%insn:
    %1
%%next:
%endmacro

start:
    real_mode_start
    lgdt [gdtr]
    lidt [idtr]
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
    mov ax, 0x28
    ltr ax
    mov dword [log_ptr], LOG
    push dword 0x23                     ; to ring 3 with IOPL 0
    push dword 0x70000
    push dword 0x2
    push dword 0x1b
    push dword user
    iretd

user:
    mov ax, 0x23
    mov ds, ax
    in al, 0x80                         ; allowed by the bitmap; nothing there: 0xFF
    movzx eax, al
    mov [0x5404], eax
    gp_test out 0x81, al                ; denied by the bitmap
    gp_test in ax, 0x7f                 ; 0x7F denied (0x80 allowed)
    gp_test cli                         ; CPL > IOPL
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
    push eax
    push ebx
    mov ebx, [log_ptr]
    mov dword [ebx], 13
    mov eax, [esp + 8]
    mov [ebx + 4], eax
    mov eax, [esp + 12]
    sub eax, [expect_eip]
    mov [ebx + 8], eax
    mov eax, [esp + 16]
    and eax, 3
    mov [ebx + 12], eax
    add dword [log_ptr], 16
    mov eax, [resume]
    mov [esp + 12], eax
    pop ebx
    pop eax
    add esp, 4
    iretd

done:
    cli
    hlt

%assign v 0
%rep 32
fault %+ v:
    mov byte [0x5500], v | 0x80
    cli
    hlt
%assign v v + 1
%endrep

    align 8
gdt:
    dq 0
    desc 0, 0xfffff, 0x9a, 0xc0         ; 0x08 ring 0 code
    desc 0, 0xfffff, 0x92, 0xc0         ; 0x10 ring 0 data
    desc 0, 0xfffff, 0xfa, 0xc0         ; 0x18 ring 3 code
    desc 0, 0xfffff, 0xf2, 0xc0         ; 0x20 ring 3 data
    desc ABS(tss), tss_end - tss - 1, 0x89, 0x00 ; 0x28 TSS with an I/O bitmap
gdt_end:
gdtr:
    dw gdt_end - gdt - 1
    dd gdt

    align 8
idt:
%assign v 0
%rep 32
%if v == 13
    gate 0x08, ABS(general_protection), 0x8e
%else
    gate 0x08, ABS(fault %+ v), 0x8e
%endif
%assign v v + 1
%endrep
    times 0x80 - 32 dq 0
    gate 0x08, ABS(raise_iopl), 0xee
    gate 0x08, ABS(done), 0xee
idt_end:
idtr:
    dw idt_end - idt - 1
    dd idt

tss:
    dd 0, 0x80000, 0x10
    times 0x66 - ($ - tss) db 0
    dw 0x68                             ; I/O bitmap right after the TSS
    times 0x10 db 0xff                  ; ports 0x00-0x7F denied
    db 0xfe                             ; 0x80 allowed, 0x81-0x87 denied
    db 0xff                             ; the byte past the bitmap
tss_end:
