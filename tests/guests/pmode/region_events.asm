; External interrupts and single-step traps inside hot 32-bit loops, the shape
; guest_region_pmode_region_events compiles as regions (Block::region): each loop runs 24 times
; and has a data-dependent branch, so its blocks are compiled together and the compiled code goes
; from one to the next itself. Events must land on the same instruction boundaries as in the
; interpreter and on hardware (SDM vol. 3 §6.8.1 IF and STI's one-instruction shadow, vol. 2 STI;
; §17.3.1.4 single-step). Iteration i of each loop runs with ECX = 25 - i.
;  1. IF = 0: iteration 5 requests IRQ 0x20 (OUT to port 0xF5, picked by CMOVE so that the same
;     block writes port 0x80, where there is no device, in the other iterations); it is held to
;     the loop's end. After STI the next instruction still runs first, then the handler.
;  2. A request from before the loop: every iteration's STI; CLI leaves it held (the CLI runs in
;     the STI shadow and clears IF again); iteration 8's POPFD sets IF and the interrupt is taken
;     right after that POPFD (POPF has no shadow), with ECX = 17.
;  3. Iteration 9's POPFD sets TF; iteration 10's clears it: a #DB trap after every instruction
;     from the one after the first POPFD (the back edge included) to the clearing POPFD itself.
; The IRQ handler logs (return EIP, ECX) at 0x5100 + 8n; the #DB handler logs return EIPs at
; 0x5200 + 4n. The code of part n starts at PARTn; the comments give addresses and lengths.
;
; expect: exit=halt mem8[0x501c]=0 flags&0x300=0 ecx=0 mem32[0x5010]=2
; expect: mem32[0x5000]=0 mem32[0x5004]=0 mem32[0x5008]=1 mem32[0x5100]=0x7cb6 mem32[0x5104]=0
; expect: mem32[0x500c]=2 mem32[0x5108]=0x7d1c mem32[0x510c]=17
; expect: mem32[0x5014]=15 mem32[0x5018]&0x4000=0x4000
; expect: mem32[0x5200]=0x7d9e mem32[0x5204]=0x7da4 mem32[0x5208]=0x7da6 mem32[0x520c]=0x7da7
; expect: mem32[0x5210]=0x7d85 mem32[0x5214]=0x7d86 mem32[0x5218]=0x7d87 mem32[0x521c]=0x7d8c
; expect: mem32[0x5220]=0x7d8e mem32[0x5224]=0x7d91 mem32[0x5228]=0x7d94 mem32[0x522c]=0x7d97
; expect: mem32[0x5230]=0x7d99 mem32[0x5234]=0x7d9a mem32[0x5238]=0x7d9b mem32[0x523c]=0
%include "pmode.inc"
bits 16
org LOAD_ADDR

irq_count equ 0x5010
db_count equ 0x5014
unexpected_flag equ 0x501c
IRQ_LOG equ 0x5100
DB_LOG equ 0x5200
PART1 equ 0x7c80
PART2 equ 0x7d00
PART3 equ 0x7d80

; branch_and_loop label: the loops' data-dependent branch and back edge (three blocks more):
; EBX += ECX when ECX is odd, EBX ^= ECX when even; DEC ECX; JNZ label. 14 bytes: TEST CL, 1 (3),
; JZ (2), ADD (2), JMP (2), XOR (2), DEC (1), JNZ (2).
%macro branch_and_loop 1
    test cl, 1
    jz %%even
    add ebx, ecx
    jmp %%next
%%even:
    xor ebx, ecx
%%next:
    dec ecx
    jnz %1
%endmacro

start:
    enter_pm32 idt

    pm32_start
    jmp part1

; ---- 1. a request held while IF = 0 ---------------------------------------------------------
    times PART1 - LOAD_ADDR - ($ - $$) db 0
part1:
    mov ecx, 24                         ; 0x7c80 (5)
.loop:                                  ; 0x7c85
    mov edx, 0x80                       ; no device there
    mov esi, 0xf5
    cmp ecx, 20
    cmove edx, esi                      ; iteration 5: the request port
    mov al, 0x20
    out dx, al                          ; ends the block; IF = 0: the request is held
    branch_and_loop .loop               ; its JNZ at 0x7ca4 (2)
    mov eax, [irq_count]                ; 0x7ca6 (5)
    mov [0x5000], eax                   ; 0x7cab (5): 0, held for 19 more iterations
    sti                                 ; 0x7cb0 (1)
    mov eax, [irq_count]                ; 0x7cb1 (5): in the STI shadow, still 0
    mov [0x5004], eax                   ; 0x7cb6: taken before this one (log: 0x7cb6, ECX 0)
    cli
    mov eax, [irq_count]
    mov [0x5008], eax                   ; 1
    jmp part2

; ---- 2. a request taken right after the POPFD that sets IF ----------------------------------
    times PART2 - LOAD_ADDR - ($ - $$) db 0
part2:
    mov al, 0x20                        ; 0x7d00 (2)
    out 0xf5, al                        ; 0x7d02 (2): IF = 0, held
    mov ecx, 24                         ; 0x7d04 (5)
.loop:
    sti                                 ; 0x7d09 (1) IF = 1, but the CLI runs in the shadow
    cli                                 ; 0x7d0a (1) and clears it again: still held
    pushfd                              ; 0x7d0b (1)
    pop eax                             ; 0x7d0c (1)
    xor edx, edx                        ; 0x7d0d (2)
    cmp ecx, 17                         ; 0x7d0f (3) iteration 8
    sete dl                             ; 0x7d12 (3)
    shl edx, 9                          ; 0x7d15 (3) IF
    or eax, edx                         ; 0x7d18 (2)
    push eax                            ; 0x7d1a (1)
    popfd                               ; 0x7d1b (1) iteration 8: IF = 1, taken before the next
.after:                                 ; 0x7d1c (log: 0x7d1c, ECX 17)
    branch_and_loop .loop               ; the next iteration's CLI ends iteration 8's IF = 1
    mov eax, [irq_count]
    mov [0x500c], eax                   ; 2
    jmp part3

; ---- 3. single-step over the back edge ------------------------------------------------------
; Iteration 9 (ECX = 16, even) after its POPFD: test, jz (taken), xor, dec, jnz: 5 traps; then
; iteration 10 from pushfd to its POPFD: 10 traps. 15 in all, return EIPs in order:
; 0x7d9e 0x7da4 0x7da6 0x7da7 0x7d85 0x7d86 0x7d87 0x7d8c 0x7d8e 0x7d91 0x7d94 0x7d97 0x7d99
; 0x7d9a 0x7d9b.
    times PART3 - LOAD_ADDR - ($ - $$) db 0
part3:
    mov ecx, 24                         ; 0x7d80 (5)
.loop:
    pushfd                              ; 0x7d85 (1)
    pop eax                             ; 0x7d86 (1)
    and eax, ~0x100                     ; 0x7d87 (5) TF, as pushed in iteration 10: cleared
    xor edx, edx                        ; 0x7d8c (2)
    cmp ecx, 16                         ; 0x7d8e (3) iteration 9
    sete dl                             ; 0x7d91 (3)
    shl edx, 8                          ; 0x7d94 (3) TF
    or eax, edx                         ; 0x7d97 (2)
    push eax                            ; 0x7d99 (1)
    popfd                               ; 0x7d9a (1) sets TF: the first trap after the next one
    branch_and_loop .loop               ; 0x7d9b: test, jz 0x7d9e, add 0x7da0, jmp 0x7da2,
                                        ; xor 0x7da4, dec 0x7da6, jnz 0x7da7
    mov eax, dr6
    mov [0x5018], eax                   ; BS (bit 14)
    cli
    hlt

irq_handler:                            ; log (return EIP, ECX), count
    push eax
    push ebx
    mov ebx, [irq_count]
    mov eax, [esp + 8]                  ; the return EIP, past EAX and EBX
    mov [IRQ_LOG + ebx * 8], eax
    mov [IRQ_LOG + ebx * 8 + 4], ecx
    inc dword [irq_count]
    pop ebx
    pop eax
    iretd

db_handler:                             ; log the return EIP (the first 16), count
    push eax
    push ebx
    mov ebx, [db_count]
    cmp ebx, 16
    jae .full
    mov eax, [esp + 8]
    mov [DB_LOG + ebx * 4], eax
.full:
    inc dword [db_count]
    pop ebx
    pop eax
    iretd

    fault_stub_shared unexpected_flag   ; any other exception (the byte must stay 0)

    gdt_start
    table_end gdt

    exception_idt 1, db_handler         ; interrupt gates: IF and TF clear in the handlers
    gate 0x08, ABS(irq_handler), 0x8e   ; 0x20
    table_end idt
