; One hot 32-bit loop, sum_loop, run five times with different segments, the shape
; guest_region_pmode_region_segments compiles as regions (Block::region) specialised for the
; segments flat when the region forms (flat_segments(): base 0, limit 4 GiB - 1, data readable
; and writable). Each run must read, write and fault exactly as its segments say (SDM vol. 3
; §3.4.5 descriptors, §5.3 limit checks, §6.15 interrupt 13), whatever the code was made for:
; entered with a recorded segment no longer flat, the code is refused and compiled again later;
; after a segment load inside it, the run ends at the next transition between blocks.
;
; sum_loop, 32 iterations, ECX = 32 down to 1; iteration j (index i = j - 1 = 32 - ECX) reads the
; dword DS:[ESI + 4i], adds it to EAX if odd or to EDX if even (a data-dependent branch), pushes
; and pops the running total EAX + EDX (SS), stores it at ES:[EDI + 4i], then loads the next
; iteration's ES: es_sel, or es_switch once ECX <= switch_at (CMOVBE). Sources (linear):
;   A at 0x5000: A[i] = 3i + 1, odd for even i. Odd sum 3*240 + 16 = 736 = 0x2e0, even sum
;     3*256 + 16 = 784 = 0x310; running total T(i) = 3i(i+1)/2 + i + 1: T(10) = 0xb0,
;     T(11) = 0xd2, T(18) = 0x214, T(19) = 0x24e, T(31) = 1520 = 0x5f0.
;   B at 0x6000: B[i] = 5i + 2, odd for odd i. Odd sum 5*256 + 32 = 1312 = 0x520, even sum
;     5*240 + 32 = 1232 = 0x4d0; U(i) = 5i(i+1)/2 + 2(i + 1): U(19) = 0x3de, U(31) = 0x9f0.
; Part n stores EAX, EDX at 0x4000 + 8(n - 1). ESI = 0x5000 (an offset) in every part.
;  1. Flat DS, ES, SS; EDI = 0x8000: A's sums, [0x8000 + 4i] = T(i).
;  2. ES = 0x18, expand-up, base 0, limit 0x814d; EDI = 0x8100. The dword store of iteration 20
;     (i = 19, ECX = 13) covers 0x814c..0x814f, past the limit: #GP(0) at the store (§5.3: an
;     access beyond the limit of a segment other than SS is #GP(0); a fault, so the saved EIP is
;     the store's, 0x7e18). The handler loads a flat ES and returns to the store, which then
;     goes through; ES = 0x18 is loaded again for each later iteration, which faults again:
;     13 faults, the last at ECX = 1. Log at 0x4100: first EIP, error code, ECX; last ECX;
;     count. A's sums, [0x8100 + 4i] = T(i) ([0x8148] = T(18) without a fault).
;  3. DS = 0x20, base 0x1000, limit 4 GiB - 1: offset 0x5000 is linear 0x6000, so B's sums;
;     [0x8200 + 4i] = U(i). The code of part 2 assumed a flat DS: refused, compiled again.
;  4. Flat again, EDI = 0x8300: A's sums and T(i), as in part 1.
;  5. Flat, EDI = 0x8400, switch_at = 22: the end of iteration 11 (ECX = 22) loads ES = 0x28
;     (base 0x100) inside code made for a flat ES, which must stop at that block's end: the
;     stores of iterations 12.. (i >= 11) go to 0x8500 + 4i, not 0x8400 + 4i.
;     [0x8428] = T(10), [0x842c] = 0, [0x8528] = 0, [0x852c] = T(11), [0x857c] = T(31).
;
; expect: exit=halt mem8[0x4200]=0 esp=0x90000 ds=0x10 es=0x10 ss=0x10
; expect: mem32[0x4000]=0x2e0 mem32[0x4004]=0x310 mem32[0x8000]=1 mem32[0x807c]=0x5f0
; expect: mem32[0x4100]=0x7e18 mem32[0x4104]=0 mem32[0x4108]=13 mem32[0x410c]=1
; expect: mem32[0x4110]=13 mem32[0x4008]=0x2e0 mem32[0x400c]=0x310 mem32[0x8148]=0x214
; expect: mem32[0x814c]=0x24e mem32[0x817c]=0x5f0
; expect: mem32[0x4010]=0x520 mem32[0x4014]=0x4d0 mem32[0x8200]=2 mem32[0x824c]=0x3de
; expect: mem32[0x827c]=0x9f0
; expect: mem32[0x4018]=0x2e0 mem32[0x401c]=0x310 mem32[0x8300]=1 mem32[0x834c]=0x24e
; expect: mem32[0x837c]=0x5f0
; expect: mem32[0x4020]=0x2e0 mem32[0x4024]=0x310 mem32[0x8428]=0xb0 mem32[0x842c]=0
; expect: mem32[0x8528]=0 mem32[0x852c]=0xd2 mem32[0x857c]=0x5f0
%include "pmode.inc"
bits 16
org LOAD_ADDR

RES equ 0x4000
gp_eip equ 0x4100                       ; the first #GP: saved EIP, error code, ECX
gp_err equ 0x4104
gp_ecx equ 0x4108
gp_last_ecx equ 0x410c
gp_count equ 0x4110
unexpected_flag equ 0x4200              ; set by any other exception
es_sel equ 0x4300                       ; sum_loop's ES (word)
switch_at equ 0x4304                    ; from ECX <= this on, es_switch instead
es_switch equ 0x4308
SUM_LOOP equ 0x7e00

; part n, DS, ES, switch_at, EDI: runs sum_loop over ESI = 0x5000 and logs EAX, EDX.
%macro part 5
    mov word [es_sel], %3
    mov dword [switch_at], %4
    mov ax, %2
    mov ds, ax
    mov ax, %3
    mov es, ax
    mov esi, 0x5000
    mov edi, %5
    mov ecx, 32
    call sum_loop
    mov bx, 0x10
    mov ds, bx
    mov es, bx
    mov [RES + 8 * (%1 - 1)], eax
    mov [RES + 8 * (%1 - 1) + 4], edx
%endmacro

start:
    enter_pm32 idt

    pm32_start
    mov edi, 0x5000                     ; A[i] = 3i + 1
    mov eax, 1
    mov ecx, 32
.fill_a:
    stosd
    add eax, 3
    loop .fill_a
    mov edi, 0x6000                     ; B[i] = 5i + 2
    mov eax, 2
    mov ecx, 32
.fill_b:
    stosd
    add eax, 5
    loop .fill_b
    mov word [es_switch], 0x28

    part 1, 0x10, 0x10, 0, 0x8000       ; switch_at 0: ECX >= 1 is never below or equal
    part 2, 0x10, 0x18, 0, 0x8100       ; ES limit 0x814d: #GP(0) from iteration 20 on
    part 3, 0x20, 0x10, 0, 0x8200       ; DS base 0x1000
    part 4, 0x10, 0x10, 0, 0x8300       ; flat again
    part 5, 0x10, 0x10, 22, 0x8400      ; ES base 0x100 from iteration 12 on
    cli
    hlt

; In: ESI, EDI, ECX = 32, ES, es_sel, switch_at, es_switch. Out: EAX odd sum, EDX even sum.
; Blocks: the entry, .loop, the odd side, .even (falling into .next), .next, .store (the #GP
; retry). ES is loaded at the end of each iteration, for the next one: the next use of ES is in
; another block, after the transition, where code made for a flat ES would not look again.
    times SUM_LOOP - LOAD_ADDR - ($ - $$) db 0
sum_loop:
    xor eax, eax                        ; 0x7e00 (2)
    xor edx, edx                        ; 0x7e02 (2)
.loop:
    mov ebx, [esi]                      ; 0x7e04 (2) through DS
    test bl, 1                          ; 0x7e06 (3)
    jz .even                            ; 0x7e09 (2)
    add eax, ebx                        ; 0x7e0b (2)
    jmp .next                           ; 0x7e0d (2)
.even:
    add edx, ebx                        ; 0x7e0f (2)
.next:
    lea ebx, [eax + edx]                ; 0x7e11 (3) the running total
    push ebx                            ; 0x7e14 (1) through SS
    xor ebx, ebx                        ; 0x7e15 (2)
    pop ebx                             ; 0x7e17 (1)
.store:
    mov [es:edi], ebx                   ; 0x7e18 (3) through ES: part 2's #GP(0)
    add esi, 4
    add edi, 4
    mov bp, [ss:es_sel]                 ; the next iteration's ES (SS stays flat in every part)
    cmp ecx, [ss:switch_at]
    cmovbe bp, [ss:es_switch]           ; ECX <= switch_at: es_switch
    mov es, ebp                         ; ends no block
    dec ecx
    jnz .loop
    ret

; #GP (interrupt gate): [esp] error code, [esp + 4] EIP. Logs, loads a flat ES and returns to
; the faulting store, which then goes through.
gp_handler:
    push eax
    cmp dword [gp_count], 0
    jne .again
    mov eax, [esp + 8]                  ; the saved EIP, past EAX and the error code
    mov [gp_eip], eax
    mov eax, [esp + 4]                  ; the error code
    mov [gp_err], eax
    mov [gp_ecx], ecx                   ; the faulting iteration's counter
.again:
    mov [gp_last_ecx], ecx
    inc dword [gp_count]
    mov ax, 0x10
    mov es, ax
    pop eax
    add esp, 4                          ; the error code
    iretd

    fault_stub_shared unexpected_flag   ; any other exception (the byte must stay 0)

    gdt_start
    desc 0, 0x814d, 0x92, 0x40          ; 0x18 data, expand-up, limit 0x814d (byte granular)
    desc 0x1000, 0xfffff, 0x92, 0xc0    ; 0x20 data, base 0x1000, limit 4 GiB - 1
    desc 0x100, 0xfffff, 0x92, 0xc0     ; 0x28 data, base 0x100, limit 4 GiB - 1
    table_end gdt

    exception_idt 13, gp_handler
    table_end idt
