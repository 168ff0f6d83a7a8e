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
%include "pmode.inc"
bits 16
org LOAD_ADDR

start:
    enter_pm32 idt

    pm32_start
    mov ax, 0x28
    ltr ax
    iret_to_ring3 user, 0x202           ; IF=1: the runner has no interrupt source

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

    fault_stubs 0x5040

    times 0x200 - ($ - $$) db 0
    gdt_start                           ; 0x7E00 (past the code: checked by the times above)
    gdt_ring3_tss
    gate 0x08, ABS(call_gate_entry), 0xec ; 0x30 call gate, DPL 3 (selector 0x33)
    table_end gdt

    exception_idt
    times (0x80 - 32) dq 0
    gate 0x08, ABS(int80), 0xee         ; DPL 3: INT n allowed from ring 3
    gate 0x08, ABS(int81), 0xee
    table_end idt

    tss32                               ; no I/O bitmap
