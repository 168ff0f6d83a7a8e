; The arithmetic flags at an exit from the middle of a hot loop, and (loop 7) at a hot loop's
; head. Each loop below runs 40 times with a data-dependent branch and a DEC ECX / JNZ back edge
; (loop 7: DEC ECX, CMOVZ, DEC EDX, JNZ), so guest_region_pmode_region_flags compiles it as a
; region (Block::region) after its third run. Inside every iteration of loops 1 to 6 a load
; alternates between two addresses 1 MiB apart: the soft TLB is direct-mapped (256 entries
; indexed by linear address bits 12..19, engine/cpu/cpu.h kTlbSize), so the two evict each
; other and every such load misses. A TLB miss that nothing of its instruction precedes leaves
; the compiled code (a side exit, jit/block_translator.cpp restartable()) and the interpreter
; runs the load again; the instructions right after it then read the flags that earlier
; instructions of the loop left. Compiled code that keeps EFLAGS lazily must produce them, all
; of them, at that exit. Flags as SDM vol. 1 appendix A and each instruction's page in vol. 2:
;  1. The load is the first instruction of the loop head: the flags are the previous
;     iteration's back-edge DEC ECX (OF SF ZF AF PF), with CF from the ADD before it (DEC leaves
;     CF alone, vol. 2 DEC). Read whole with PUSHFD (iteration 0 reads the ADD before the loop).
;  2. SUB right before the load, in the same block, on both sides of the branch (a borrow, SF
;     and ZF below ECX = 20 on one side): LAHF (SF ZF AF PF CF), SETO, then ADC or SBB (CF).
;  3. SHL by 1 in one block, its JC ends the block, the load heads the next: SETO SETS SETBE
;     SETP on one side, SETNZ SETL SETNP SETAE on the other (CF OF SF ZF PF; AF is undefined
;     after a shift, vol. 2 SAL/SAR/SHL/SHR, and nothing reads it).
;  4. IMUL (three operands, 0x20001 times a signed 16-bit value: it overflows when that is
;     0x4000 or more in magnitude) before the load: CMOVO, JNO (ends the block) and ADC or SBB in
;     the next block. IMUL defines only CF = OF (vol. 2 IMUL), so only they are read.
;  5. SUB, then ROL by 1, which writes CF and OF only (vol. 2 RCL/RCR/ROL/ROR: "The SF, ZF, AF,
;     and PF flags are always unaffected"), so the flags at the load come from two
;     instructions; JS (the SUB's SF) ends the block and the load heads each target: LAHF and
;     SETO on one side, PUSHFD on the other, all six flags.
;  6. SHL by 1, then DEC of a data register (OF at ECX = 30, ZF at 10, SF below), then the load:
;     CMOVS, PUSHFD and SBB (the SHL's CF, kept by the DEC): all six flags.
; Loop 7 has no access that misses: it reads and writes only the logs' page (in the TLB since
; loop 1, for reads since a load before the loop) and the stack's (since loop 1's PUSHFD and POP),
; so a region compiled from it runs all its iterations without leaving.
; Compiled code that keeps a loop's flags lazily does not compute the flags the back edge brings
; to the head; a read of them there must rebuild them from the previous iteration's inputs (the
; flags on entry in iteration 0), and here every read is in compiled code:
;  7. The head reads, before anything writes a flag, what the iteration before left: OF SF ZF AF
;     PF from a DEC EDX after the counting DEC ECX (EDX starts at 0x80000000 + 26, so OF comes
;     once, at iteration 27, SF for iterations 1 to 26, AF at 11 and 27; CMOVZ, from the DEC
;     ECX, makes EDX 1 at the end so that JNZ leaves with it), CF from the LCG's ADD before them
;     (the carry out, 12 times; the DECs keep CF): SETC SETO SETS SETP, LAHF and SETZ, then JC
;     (ends the block); on the no-carry side ADC, on the carry side PUSHFD (all six flags), then
;     SBB. After the loop, PUSHFD reads the last DEC's and ADD's flags where the loop is left.
;  8. Loop 7's way back goes through a region exit switch that also lists the head from the
;     head's own block (the flags there: the head's, unchanged), and with one edge per way back
;     the pass defers the first of them: that edge, which keeps every flag, so loop 7's reads
;     are never rebuilt. Loop 8 is one block (SETC SETS SETZ SETBE, CMOVC, ADD, INC ECX, JNZ;
;     nothing in it that writes flags reads them, or the back edge's flags would not be a merge
;     the pass takes), so it has one way back, bringing the INC's flags (OF SF ZF AF PF; ECX
;     counts up from -40, so SF but in the last iteration) with CF from the ADD (a 0x9E3779B9
;     step: the carry out 25 times of 40).
;     The head reads each iteration's CF SF ZF (CF, SF, ZF, CF | ZF) and CMOVC reads CF; the
;     entry flags (CF ZF AF PF) differ from them from iteration 1 on, so a read of them instead
;     of the previous iteration's flags changes the log.
;  9. One block going round in compiled code, as loop 8, whose head reads all six flags (LAHF,
;     SETO) that the back edge brings: the DEC ECX's OF SF ZF AF PF (AF where the result ends
;     in 0xF, at 31 and 15) and the ADD ESI's CF. Rebuilt in compiled code, they need the
;     previous iteration's ECX and ESI, which a compiler may recover from the current ones
;     (ECX + 1, ESI - the step). The load that heads the loop misses the TLB when its address
;     (from a table, by ECX) is FAR9 (at ECX 35, 27, 19, 11, 3) and at the NEAR9 after it, so
;     the loop is also left in the middle after going round, with those flags to hand over.
; What was read goes to a log (LOGn, 4 bytes per iteration, 8 for loops 6 and 8, 12 for loop 7);
; each log is then hashed (FNV-1a on dwords, a bijection per step: any single wrong entry changes
; the hash) to RESULTS + 4n, and EAX = RESULTS = the sum of loops 1 to 7's, whose ADD leaves the
; final flags (loops 8 and 9's hashes are not in it). Nothing reads a flag the SDM leaves undefined. The
; expected values come from a Python model of the loops written from the SDM flag definitions (not
; from the emulator), which tracks undefined flags as unknown and refuses to read them.
;
; Addresses: code from 0x7C00 (TLB entries 0x07..0x08), RESULTS 0x5000 (0x05), the logs
; 0x10000..0x10FFF (0x10), the stack below 0x90000 (0x8F); the load pairs (TLB entry):
; 1: 0x100000/0x200000 (0x00)  2: 0x020000/0x120000 (0x20)  3: 0x340000/0x440000 (0x40)
; 4: 0x560000/0x660000 (0x60)  5: 0x780000/0x880000 (0x80)  6: 0x1A0000/0x2A0000 (0xA0); loop 7
; only reads and writes LOG7 (0x10C00..0x10DE3) and pushes and pops, loop 8 only writes LOG8
; (0x10E00..0x10F3F); loop 9 writes LOG9 (0x10F40..0x10FDF) and loads 0x3C0000/0x4C0000 (0xC0).
;
; The logs' entries below: loop 1's first (the ADD before the loop: CF ZF AF PF), iteration 25's
; (DEC 0x10 -> 0xF: AF PF, CF from the ADD) and the one after the loop (the last DEC's ZF PF, the
; last ADD's CF = 0); loop 2's ADC side (+ 0x8701 + 1) and SBB side at ECX = 20 (LAHF 0x46: ZF);
; loop 3's no-carry (OF SF PF) and carry (ZF = 0, SF != OF, PF = 0) sides; loop 4's fitting
; (+ ECX 40 + 0) and overflowing (the product - ECX 39 - 1) iterations; loop 5's JS (OF SF AF
; PF, CF = 0) and JNS (LAHF 0x12, OF) sides; loop 6's ECX = 30 (OF AF PF), ECX = 10 (ZF PF CF)
; and ECX = 6 (SF PF CF: EAX = -4 - 6 - 1) iterations; loop 7's iteration 0 (the entry flags
; CF ZF AF PF: SETC SETP, LAHF 0x57 and SETZ 1, PUSHFD 0x55, then 0x3956C25B - 0x8000001A - 1),
; iteration 1 (SF: LAHF 0x82, then the LCG's first value 0xB22A13FE + 0x80000019 + 0), iteration
; 11 (SF AF PF CF from DEC 0x80000010), iteration 27 (OF AF PF CF from DEC 0x80000000: LAHF
; 0x17, PUSHFD 0x815) and the one after the loop (ZF PF from DEC 1, CF from the last ADD);
; loop 8's iterations 0 (the entry's CF ZF: CMOVC takes EDX = 0x7F4A7C15), 1 (CF SF: EDX + the
; step), 2 (SF: EDI stays) and 39 (CF SF; ECX = -1); loop 9's iterations 0 (the entry's CF ZF
; AF PF), 5 (left at FAR9: CF), 9 (AF CF, from the DEC to 31), 24 (the DEC to 16: CF, no AF)
; and 25 (AF PF, from the DEC to 15).
;
; expect: exit=halt ecx=0 eax=0x64ab989c mem32[0x5000]=0x64ab989c flags&0x8d5=0x805
; expect: mem32[0x5004]=0xa14d9874 mem32[0x5008]=0x5b32c8da mem32[0x500c]=0xc9b0dc35
; expect: mem32[0x5010]=0xc90bedc5 mem32[0x5014]=0xe5f57311 mem32[0x5018]=0x5423e710
; expect: mem32[0x501c]=0x9b551333
; expect: mem32[0x10000]=0x55 mem32[0x10064]=0x15 mem32[0x100a0]=0x44
; expect: mem32[0x10200]=0x85a38fd5 mem32[0x10250]=0x85a2c2d3
; expect: mem32[0x1040c]=0x01000101 mem32[0x1041c]=0x00010101
; expect: mem32[0x10600]=0x299f31f8 mem32[0x10604]=0xc324616a
; expect: mem32[0x10800]=0x894 mem32[0x10814]=0x1201
; expect: mem32[0x10a50]=0x814 mem32[0x10af0]=0x45 mem32[0x10b10]=0x85 mem32[0x10b14]=0xfffffff5
; expect: mem32[0x10c00]=0x01000001 mem32[0x10c04]=0x00555701 mem32[0x10c08]=0xb956c240
; expect: mem32[0x10c0c]=0x00010000 mem32[0x10c10]=0x8200 mem32[0x10c14]=0x322a1417
; expect: mem32[0x10c84]=0x01010001 mem32[0x10c88]=0x959700
; expect: mem32[0x10d44]=0x01000101 mem32[0x10d48]=0x08151700 mem32[0x10d4c]=0x87d935d8
; expect: mem32[0x10de0]=0x45
; expect: mem32[0x5020]=0xc4c5354b
; expect: mem32[0x10e00]=0x01010001 mem32[0x10e04]=0x7f4a7c15 mem32[0x10e08]=0x01000101
; expect: mem32[0x10e0c]=0x1d81f5ce mem32[0x10e10]=0x00000100 mem32[0x10e14]=0x1d81f5ce
; expect: mem32[0x10f38]=0x01000101 mem32[0x10f3c]=0x99be0744
; expect: mem32[0x5024]=0x2e1cb4e5 mem32[0x10f40]=0x5700 mem32[0x10f54]=0x0300
; expect: mem32[0x10f64]=0x1300 mem32[0x10fa0]=0x0300 mem32[0x10fa4]=0x1600
%include "pmode.inc"
bits 16
org LOAD_ADDR

N equ 40                                ; iterations of each loop
ARITH equ 0x8d5                         ; OF SF ZF AF PF CF
RESULTS equ 0x5000                      ; + 4n: the hash of loop n's log; + 0: their sum
LOG1 equ 0x10000                        ; N + 1 dwords
LOG2 equ 0x10200                        ; N dwords
LOG3 equ 0x10400                        ; N dwords
LOG4 equ 0x10600                        ; N dwords
LOG5 equ 0x10800                        ; N dwords
LOG6 equ 0x10a00                        ; 2N dwords
LOG7 equ 0x10c00                        ; 3N + 1 dwords
LOG8 equ 0x10e00                        ; 2N dwords
LOG9 equ 0x10f40                        ; N dwords
NEAR9 equ 0x3c0000                      ; loop 9's loads: one TLB entry (0xC0)
FAR9 equ 0x4c0000

; pair a, b, value_a, value_b: the two addresses a loop's load alternates between (1 MiB apart:
; one TLB entry) and what they hold. ESI = a, EDI = b; each iteration's XCHG ESI, EDI (which
; leaves the flags alone) picks the other one.
%macro pair 4
    mov dword [%1], %3
    mov dword [%2], %4
    mov esi, %1
    mov edi, %2
%endmacro

; lcg reg: reg = reg * 1664525 + 1013904223 (flags clobbered, every one of them written again
; before anything reads it).
%macro lcg 1
    imul %1, %1, 1664525
    add %1, 1013904223
%endmacro

; lahf_seto: EAX = AH:AL = LAHF (SF ZF 0 AF 0 PF 1 CF) : SETO.
%macro lahf_seto 0
    lahf
    seto al
    movzx eax, ax
%endmacro

; next_iteration: the log pointer EBP moves on by the given bytes (LEA: no flags), then the back
; edge.
%macro next_iteration 2
    lea ebp, [ebp + %2]
    dec ecx
    jnz %1
%endmacro

; hash_log log, dwords, result: [result] = FNV-1a over the log's dwords.
%macro hash_log 3
    mov esi, %1
    mov ecx, %2
    mov eax, 0x811c9dc5
%%next:
    xor eax, [esi]
    imul eax, eax, 0x01000193
    add esi, 4
    dec ecx
    jnz %%next
    mov [%3], eax
%endmacro

start:
    enter_pm32

    pm32_start

; ---- 1. the load heads the loop: the back-edge DEC's flags, CF from the ADD ----------------
    pair 0x100000, 0x200000, 0x9e3779b9, 0x7f4a7c15
    mov ebx, 0x12345678
    mov ebp, LOG1
    mov ecx, N
    mov eax, 1
    add eax, -1                         ; what iteration 0 reads: CF ZF AF PF (0x55)
loop1:
    mov eax, [esi]                      ; misses; the previous DEC's flags, its ADD's CF
    pushfd
    pop edx
    and edx, ARITH
    mov [ebp], edx
    test bl, 1
    jz .even
    rol ebx, 7
    jmp .next
.even:
    xor ebx, 0x5bd1e995
.next:
    add ebx, eax                        ; CF: the carry out, which the DEC keeps
    xchg esi, edi
    next_iteration loop1, 4
    pushfd                              ; the last DEC (ZF) and ADD (CF), LOG1 + 4N
    pop edx
    and edx, ARITH
    mov [ebp], edx

; ---- 2. SUB right before the load ------------------------------------------------------------
    pair 0x020000, 0x120000, 0x243f6a88, 0x85a308d3
    mov ebx, 0xb7e15162
    mov ebp, LOG2
    mov ecx, N
loop2:
    lcg ebx
    xchg esi, edi
    test ebx, 0x10000
    jz .small
    mov eax, ebx
    sub eax, 0x9e3779b9                 ; a borrow when EBX is below
    mov edx, [esi]                      ; misses
    lahf_seto
    adc edx, eax                        ; log: the value + the flags + CF
    jmp .next
.small:
    mov eax, ecx
    sub eax, 20                         ; a borrow and SF below ECX = 20, ZF at 20
    mov edx, [esi]                      ; misses
    lahf_seto
    sbb edx, eax                        ; log: the value - the flags - CF
.next:
    mov [ebp], edx
    next_iteration loop2, 4

; ---- 3. SHL in one block, the load in the next -----------------------------------------------
    pair 0x340000, 0x440000, 0x13198a2e, 0x03707344
    mov ebx, 0x6a09e667
    mov ebp, LOG3
    mov ecx, N
loop3:
    shl ebx, 1                          ; CF OF SF ZF PF (AF undefined)
    jc .carry                           ; ends the block
    xchg esi, edi
    mov eax, [esi]                      ; misses; the SHL's flags
    seto [ebp]
    sets [ebp + 1]
    setbe [ebp + 2]                     ; CF = 0 here: ZF
    setp [ebp + 3]
    add ebx, eax
    jmp .next
.carry:
    xchg esi, edi
    mov eax, [esi]                      ; misses; the SHL's flags
    setnz [ebp]
    setl [ebp + 1]                      ; SF != OF: always here (OF = SF ^ CF, so no SETG)
    setnp [ebp + 2]
    setae [ebp + 3]                     ; CF = 0: never here
    xor ebx, eax
.next:
    next_iteration loop3, 4

; ---- 4. IMUL: CF and OF only -----------------------------------------------------------------
    pair 0x560000, 0x660000, 0xa4093822, 0x299f31d0
    mov ebx, 0xbb67ae85
    mov ebp, LOG4
    mov ecx, N
loop4:
    lcg ebx
    mov eax, ebx
    sar eax, 16                         ; a signed 16-bit value
    imul eax, eax, 0x20001              ; CF = OF: it does not fit (magnitude 0x4000 or more)
    xchg esi, edi
    mov edx, [esi]                      ; misses
    cmovo edx, eax                      ; the product when it overflowed, else the value
    jno .fits                           ; ends the block
    sbb edx, ecx                        ; CF = 1, from the block before
    jmp .next
.fits:
    adc edx, ecx                        ; CF = 0, from the block before
.next:
    mov [ebp], edx
    next_iteration loop4, 4

; ---- 5. SUB, then ROL by 1: flags from two instructions --------------------------------------
    pair 0x780000, 0x880000, 0x082efa98, 0xec4e6c89
    mov ebx, 0x3c6ef372
    mov edx, 0x510e527f                 ; the first subtrahend, then the value last loaded
    mov ebp, LOG5
    mov ecx, N
loop5:
    lcg ebx
    mov eax, ebx
    sub eax, edx                        ; OF SF ZF AF PF CF
    rol ebx, 1                          ; CF OF; SF ZF AF PF stay the SUB's
    js .negative                        ; the SUB's SF; ends the block
    xchg esi, edi
    mov edx, [esi]                      ; misses
    lahf_seto
    jmp .next
.negative:
    xchg esi, edi
    mov edx, [esi]                      ; misses
    pushfd
    pop eax
    and eax, ARITH
.next:
    mov [ebp], eax
    next_iteration loop5, 4

; ---- 6. SHL, then DEC of a data register -----------------------------------------------------
    pair 0x1a0000, 0x2a0000, 0x452821e6, 0x38d01377
    mov ebx, 0x9b05688c
    mov ebp, LOG6
    mov ecx, N
loop6:
    lea edx, [ecx - 9]                  ; the DEC below gives ECX - 10: ZF at 10, SF below
    mov eax, 0x80000000
    cmp ecx, 30
    cmove edx, eax                      ; at ECX = 30 the DEC overflows (OF)
    test cl, 3
    jnz .shift
    lcg ebx                             ; fresh bits for the SHL every 4th iteration
.shift:
    shl ebx, 1                          ; CF (the rest: the DEC's)
    dec edx                             ; OF SF ZF AF PF; CF stays the SHL's
    xchg esi, edi
    mov eax, [esi]                      ; misses
    cmovs eax, edx                      ; SF: the DEC's result instead of the value
    pushfd
    sbb eax, ecx                        ; CF
    pop edx
    and edx, ARITH
    mov [ebp], edx                      ; log: the flags, then EAX
    mov [ebp + 4], eax
    next_iteration loop6, 8

; ---- 7. no misses: the flags from the iteration before, read in compiled code ---------------
    mov ebx, 0x3956c25b                 ; the LCG
    mov edx, 0x80000000 + 26            ; the back edge's DEC: 0x80000000 at iteration 26 (OF)
    mov esi, 1
    mov ebp, LOG7
    mov edi, [ebp]                      ; the TLB entry of the logs' page for reads too
    mov ecx, N
    mov eax, 1
    add eax, -1                         ; what iteration 0 reads: CF ZF AF PF
loop7:                                  ; the DEC EDX (OF SF ZF AF PF) and the ADD (CF) before
    setc [ebp]
    seto [ebp + 1]
    sets [ebp + 2]
    setp [ebp + 3]
    lahf                                ; AH = SF ZF 0 AF 0 PF 1 CF
    setz al                             ; 0 (JNZ came back) but in iteration 0
    movzx eax, ax
    mov [ebp + 4], eax
    jc .carry                           ; ends the block
    mov eax, ebx
    adc eax, edx                        ; CF = 0 here
    jmp .next
.carry:
    pushfd                              ; all six flags
    mov eax, ebx
    sbb eax, edx                        ; CF = 1 here
    pop edi
    and edi, ARITH
    shl edi, 16
    or [ebp + 4], edi
.next:
    mov [ebp + 8], eax                  ; log: the flags, then EBX + EDX + CF or EBX - EDX - CF
    lcg ebx                             ; its ADD's CF: the carry out
    lea ebp, [ebp + 12]
    dec ecx
    cmovz edx, esi                      ; ECX = 0: the DEC below gives 0 and the loop is done
    dec edx                             ; OF SF ZF AF PF; CF stays the ADD's
    jnz loop7
    pushfd                              ; the last DEC (ZF PF) and ADD (CF), LOG7 + 12N
    pop edx
    and edx, ARITH
    mov [ebp], edx

; ---- 8. one block, one way back: the INC's flags and the ADD's CF, read at the head ----------
    mov ebx, 0x9e3779b9                 ; the step
    mov edx, 0x7f4a7c15                 ; the sum
    mov edi, 0x6a09e667                 ; CMOVC's
    mov ebp, LOG8
    mov ecx, -N                         ; INC ECX: SF until the last iteration
    mov eax, 1
    add eax, -1                         ; what iteration 0 reads: CF ZF AF PF
loop8:                                  ; the INC ECX (OF SF ZF AF PF) and the ADD (CF) before
    setc [ebp]
    sets [ebp + 1]
    setz [ebp + 2]                      ; 0 (JNZ came back) but in iteration 0
    setbe [ebp + 3]                     ; CF | ZF
    cmovc edi, edx                      ; CF: the sum that the ADD before carried out of
    mov [ebp + 4], edi                  ; log: the flags, then EDI
    add edx, ebx                        ; CF: the carry out, which the INC keeps
    lea ebp, [ebp + 8]
    inc ecx
    jnz loop8

; ---- 9. one block, going round in compiled code: all six flags read at the head -------------
    mov esi, 0x7f4a7c15                 ; ADD ESI: CF
    mov ebp, LOG9
    mov ecx, N                          ; DEC ECX: AF where the result ends in 0xF
    mov edi, [ADDR9 + 4 * N]            ; iteration 0's load address
    mov eax, 1
    add eax, -1                         ; what iteration 0 reads: CF ZF AF PF
loop9:
    mov ebx, [edi]                      ; a TLB miss at FAR9 and at the NEAR9 after it
    lahf_seto                           ; the DEC's OF SF ZF AF PF, the ADD's CF
    mov [ebp], eax
    mov edi, [ADDR9 + 4 * ecx - 4]      ; the next iteration's (ECX - 1) load address
    lea ebp, [ebp + 4]
    add esi, 0x9e3779b9
    dec ecx
    jnz loop9

; ---- the logs' hashes and their sum ----------------------------------------------------------
    hash_log LOG1, N + 1, RESULTS + 4
    hash_log LOG2, N, RESULTS + 8
    hash_log LOG3, N, RESULTS + 12
    hash_log LOG4, N, RESULTS + 16
    hash_log LOG5, N, RESULTS + 20
    hash_log LOG6, 2 * N, RESULTS + 24
    hash_log LOG7, 3 * N + 1, RESULTS + 28
    hash_log LOG8, 2 * N, RESULTS + 32
    hash_log LOG9, N, RESULTS + 36
    mov eax, [RESULTS + 4]
    add eax, [RESULTS + 8]
    add eax, [RESULTS + 12]
    add eax, [RESULTS + 16]
    add eax, [RESULTS + 20]
    add eax, [RESULTS + 24]
    add eax, [RESULTS + 28]             ; the final flags
    mov [RESULTS], eax
    cli
    hlt

; Loop 9's load address for each value of ECX at its head: FAR9 at 35, 27, 19, 11 and 3,
; NEAR9 otherwise.
ADDR9:
%assign j 0
%rep N + 1
%if j % 8 == 3
    dd FAR9
%else
    dd NEAR9
%endif
%assign j j + 1
%endrep

    gdt_start
    table_end gdt
