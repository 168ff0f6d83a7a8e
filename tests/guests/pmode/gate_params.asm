; Call gates that copy parameters (SDM vol. 3 §5.8.5, figure 5-13): a 32-bit call gate with a
; count of 2 called from ring 3 copies two dwords from the ring-3 stack to the ring-0 stack
; (which holds SS, ESP, the parameters, CS, EIP); RETF 8 returns and drops the parameters from
; both stacks. A 16-bit call gate with a count of 1 does the same with words; it saves only SP,
; so the ring-3 ESP comes back as the saved 16 bits plus the released bytes (0xFFFE + 2 = 0x10000,
; as Bochs does for a 32-bit stack segment). A 16-bit interrupt
; gate (type 6), used from 32-bit ring-0 code, pushes a 16-bit FLAGS, CS, IP frame and returns
; with a 16-bit IRET.
;
; expect: exit=halt cpl=0 mem8[0x5500]=0
; expect: mem32[0x5000]=0x7ffe8 mem32[0x5004]=0x1111 mem32[0x5008]=0x2222 mem32[0x500c]=0x1b
; expect: mem32[0x5010]=0x6fff8 mem32[0x5014]=0x23 mem32[0x5018]=0x70000 mem32[0x501c]=0x2222
; expect: mem32[0x5020]=0x7fff6 mem32[0x5024]=0x3333 mem32[0x5028]=0x1b mem32[0x502c]=0x10000
; expect: mem32[0x5030]=0x8fffa mem32[0x5034]=0x08 mem32[0x5038]=0x90000
%include "pmode.inc"
bits 16
org LOAD_ADDR

start:
    enter_pm32 idt

    pm32_start
    mov ax, 0x28
    ltr ax
    int 0x40                            ; 16-bit interrupt gate
    mov [0x5038], esp
    iret_to_ring3 user

user:
    mov ax, 0x23
    mov ds, ax
    push dword 0x1111
    push dword 0x2222
    call 0x33:0                         ; 32-bit gate, 2 dword parameters
    mov [0x5018], esp
    mov [0x501c], eax
    push word 0x3333
    call 0x3b:0                         ; 16-bit gate, 1 word parameter
    mov [0x502c], esp                   ; 0x10000: a 16-bit gate keeps only SP
    int 0x80

gate32_entry:                           ; EIP, CS, param 2, param 1, ESP, SS
    mov [0x5000], esp
    mov eax, [esp + 12]
    mov [0x5004], eax                   ; first pushed: 0x1111
    mov eax, [esp + 8]
    mov [0x5008], eax
    mov eax, [esp + 4]
    mov [0x500c], eax
    mov eax, [esp + 16]
    mov [0x5010], eax                   ; caller ESP with the parameters still on it
    mov eax, [esp + 20]
    mov [0x5014], eax
    mov eax, 0x2222
    retf 8

bits 16
gate16_entry:                           ; 16-bit frame: IP, CS, param, SP, SS
    mov [0x5020], esp
    movzx eax, word [esp + 4]
    mov [0x5024], eax
    movzx eax, word [esp + 2]
    mov [0x5028], eax
    o16 retf 2

int40_16:                               ; 16-bit frame: IP, CS, FLAGS
    mov [0x5030], esp
    movzx eax, word [esp + 2]
    mov [0x5034], eax
    o16 iret
bits 32

done:
    cli
    hlt

    fault_stubs 0x5500

    gdt_start
    gdt_ring3_tss
    gate 0x08, ABS(gate32_entry), 0xec, 2 ; 0x30 32-bit call gate, 2 parameters
    gate 0x40, ABS(gate16_entry), 0xe4, 1 ; 0x38 16-bit call gate, 1 parameter
    desc 0, 0xffff, 0x9a, 0x00          ; 0x40 16-bit ring 0 code
    table_end gdt

    exception_idt
    times 0x40 - 32 dq 0
    gate 0x40, ABS(int40_16), 0x86      ; 0x40: 16-bit interrupt gate, DPL 0
    times 0x80 - 0x41 dq 0
    gate 0x08, ABS(done), 0xee
    table_end idt

    tss32
