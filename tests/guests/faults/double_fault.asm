; A double fault that is handled (SDM vol. 3 §6.15, interrupt 8, table 6-5): #GP's gate is not
; present, so delivering #GP raises #NP; two contributory exceptions make #DF, whose handler
; receives error code 0. The handler records its error code and the saved CS (the saved EIP is
; undefined for #DF), and halts.
;
; expect: exit=halt mem32[0x5000]=0 mem32[0x5004]=0x08 mem32[0x5008]=1 mem8[0x5500]=0 cs=0x08
%include "pmode.inc"
bits 16
org LOAD_ADDR

start:
    enter_pm32 idt

    pm32_start
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

    fault_stubs 0x5500

    gdt_start
    table_end gdt

    exception_idt 8, double_fault, 0x8e, 13, fault13, 0x0e ; #GP's gate not present
    table_end idt
