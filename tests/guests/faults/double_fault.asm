; A double fault that is handled (SDM vol. 3 §6.15, interrupt 8, table 6-5): #GP's gate is not
; present, so delivering #GP raises #NP; two contributory exceptions make #DF, whose handler
; receives error code 0. The handler records its error code and the saved CS (the saved EIP is
; undefined for #DF), and halts.
;
; expect: exit=halt mem32[0x5000]=0 mem32[0x5004]=0x08 mem32[0x5008]=1 mem8[0x5500]=0 cs=0x08
%include "x86.inc"
bits 16
org LOAD_ADDR

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
    mov ax, 0x7f8                       ; far beyond the GDT limit: #GP(0x7f8)
    mov fs, ax
    hlt

double_fault:                           ; error code, EIP, CS, EFLAGS
    pop eax
    mov [0x5000], eax
    mov eax, [esp + 4]
    mov [0x5004], eax
    inc dword [0x5008]
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
    desc 0, 0xfffff, 0x9a, 0xc0
    desc 0, 0xfffff, 0x92, 0xc0
gdt_end:
gdtr:
    dw gdt_end - gdt - 1
    dd gdt

    align 8
idt:
%assign v 0
%rep 32
%if v == 8
    gate 0x08, ABS(double_fault), 0x8e
%elif v == 13
    gate 0x08, ABS(fault %+ v), 0x0e    ; not present
%else
    gate 0x08, ABS(fault %+ v), 0x8e
%endif
%assign v v + 1
%endrep
idt_end:
idtr:
    dw idt_end - idt - 1
    dd idt
