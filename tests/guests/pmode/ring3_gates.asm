; Privilege changes: ring 0 -> ring 3 through IRETD, ring 3 -> ring 0 through a call gate (and
; back with RETF), ring 3 -> ring 0 through an interrupt gate (and back with IRETD). Both entries
; to ring 0 switch to the stack in the TSS (SS0:ESP0 = 0x10:0x80000). Values seen on each side
; are stored at 0x5000..; an unexpected exception stores its vector at 0x5040 and halts.
;
; expect: exit=halt cpl=0 cs=0x08 ss=0x10 esp=0x7ffec flags&0x200=0
; expect: mem32[0x5000]=3 mem32[0x5004]=0x70000
; expect: mem32[0x5008]=0x7fff0 mem32[0x500c]=0x1b mem32[0x5010]=0x23 mem32[0x5014]=0x08
; expect: mem32[0x5018]=0x70000 mem32[0x501c]=0xc0de0001
; expect: mem32[0x5020]=0x7ffec mem32[0x5024]=0x246 mem32[0x5028]=0x46 mem32[0x502c]=0x23
; expect: mem32[0x5030]=0x70000 mem32[0x5034]=0xc0de0002 mem32[0x5038]=0x7ffec
; expect: mem8[0x5040]=0 mem8[0x7e2d]=0x8b
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
    mov ax, 0x28
    ltr ax
    ; To ring 3: IRETD pops EIP, CS, EFLAGS, ESP, SS.
    push dword 0x23
    push dword 0x70000
    push dword 0x202                    ; IF=1: the runner has no interrupt source
    push dword 0x1b
    push dword user
    iretd

user:                                   ; CPL 3
    mov ax, 0x23
    mov ds, ax
    mov es, ax
    mov ax, cs
    and eax, 3
    mov [0x5000], eax
    mov [0x5004], esp
    call 0x33:0                         ; call gate; the offset is ignored
    mov [0x5018], esp
    mov [0x501c], eax
    int 0x80
    mov [0x5030], esp
    mov [0x5034], eax
    int 0x81                            ; back to ring 0 for good

call_gate_entry:                        ; CPL 0 on the TSS stack: EIP, CS, ESP, SS of the caller
    mov [0x5008], esp
    mov eax, [esp + 4]
    mov [0x500c], eax
    mov eax, [esp + 12]
    mov [0x5010], eax
    xor eax, eax                        ; ZF=PF=1: RETF keeps the flags, INT 0x80 pushes them
    mov ax, cs
    mov [0x5014], eax
    mov eax, 0xc0de0001
    retf

int80:                                  ; interrupt gate: EIP, CS, EFLAGS, ESP, SS
    mov [0x5020], esp
    mov ebx, [esp + 8]
    mov [0x5024], ebx
    pushfd
    pop ebx
    mov [0x5028], ebx                   ; IF cleared by the interrupt gate
    mov ebx, [esp + 16]
    mov [0x502c], ebx
    mov eax, 0xc0de0002
    iretd

int81:
    mov [0x5038], esp
    cli
    hlt

%assign v 0
%rep 32
fault %+ v:
    mov byte [0x5040], v | 0x80
    cli
    hlt
%assign v v + 1
%endrep

    times 0x200 - ($ - $$) db 0
gdt:                                    ; 0x7E00 (past the code: checked by the times above)
    dq 0
    desc 0, 0xfffff, 0x9a, 0xc0         ; 0x08 ring 0 code
    desc 0, 0xfffff, 0x92, 0xc0         ; 0x10 ring 0 data
    desc 0, 0xfffff, 0xfa, 0xc0         ; 0x18 ring 3 code (selector 0x1B)
    desc 0, 0xfffff, 0xf2, 0xc0         ; 0x20 ring 3 data (selector 0x23)
    desc ABS(tss), 0x67, 0x89, 0x00     ; 0x28 32-bit TSS, available
    gate 0x08, ABS(call_gate_entry), 0xec ; 0x30 call gate, DPL 3 (selector 0x33)
gdt_end:
gdtr:
    dw gdt_end - gdt - 1
    dd gdt

    align 8
idt:
%assign v 0
%rep 32
    gate 0x08, ABS(fault %+ v), 0x8e
%assign v v + 1
%endrep
    times (0x80 - 32) dq 0
    gate 0x08, ABS(int80), 0xee         ; DPL 3: INT n allowed from ring 3
    gate 0x08, ABS(int81), 0xee
idt_end:
idtr:
    dw idt_end - idt - 1
    dd idt

tss:
    dd 0                                ; back link
    dd 0x80000                          ; ESP0
    dd 0x10                             ; SS0
    times 0x66 - ($ - tss) db 0
    dw 0x68                             ; I/O map base: no bitmap
