; Instructions later than the 386 that firmware uses, in 32-bit protected mode: CPUID, RDTSC
; (from virtual time: instructions retired), RDMSR/WRMSR, BSWAP, CMPXCHG, CMPXCHG8B, XADD, CMOVcc,
; SETcc, BT/BTS/BTR/BTC with a bit offset past the operand, BSF/BSR, SHLD/SHRD, ENTER/LEAVE with a
; nesting level, PUSHAD/POPAD, XLAT, LAHF/SAHF, and the x87 probes (FNINIT, FNSTSW, FNSTCW).
; Results are stored at 0x5000...
;
; expect: exit=halt mem32[0x5000]&0x8110=0x8110 mem32[0x5004]=5 mem32[0x5008]=0x1234
; expect: mem32[0x500c]=0x78563412 mem32[0x5010]=9 mem32[0x5014]=0x40 mem32[0x5018]=9
; expect: mem32[0x501c]=0 mem32[0x5020]=0x22222222 mem32[0x5024]=0x11111111 mem32[0x5028]=13
; expect: mem32[0x502c]=10 mem32[0x5030]=0x77 mem32[0x5034]=0x0101 mem32[0x5038]=0x8
; expect: mem32[0x503c]=0x1 mem32[0x5040]=0x5 mem32[0x5044]=4 mem32[0x5048]=27
; expect: mem32[0x504c]=0x2345678a mem32[0x5050]=0x11234567 mem32[0x5054]=0x8fffc
; expect: mem32[0x5058]=0x8ffec mem32[0x505c]=0x90000 mem32[0x5060]=0x11 mem32[0x5064]=0x37
; expect: mem16[0x5068]=0x037f mem16[0x506a]=0 mem32[0x506c]=0xd7 mem32[0x5070]=0x90000
; expect: mem32[0x5074]=0xaabbccdd mem32[0x5078]=0x2e mem8[0x5500]=0
%include "pmode.inc"
bits 16
org LOAD_ADDR

start:
    enter_pm32 idt, and al, ~4          ; EM clear: the x87 is there

    pm32_start
    ; CPUID leaf 1: TSC, CX8, CMOV
    mov eax, 1
    cpuid
    mov [0x5000], edx
    ; RDTSC counts instructions retired
    rdtsc
    mov esi, eax
    nop
    nop
    nop
    rdtsc
    sub eax, esi
    mov [0x5004], eax
    ; WRMSR/RDMSR: IA32_SYSENTER_CS
    mov ecx, 0x174
    xor edx, edx
    mov eax, 0x1234
    wrmsr
    xor eax, eax
    rdmsr
    mov [0x5008], eax
    ; BSWAP
    mov eax, 0x12345678
    bswap eax
    mov [0x500c], eax
    ; CMPXCHG: equal (store, ZF=1), then not equal (load into EAX, ZF=0)
    mov dword [0x6000], 5
    mov eax, 5
    mov ecx, 9
    cmpxchg [0x6000], ecx
    mov ebx, [0x6000]
    mov [0x5010], ebx
    pushfd
    pop ebx
    and ebx, 0x40
    mov [0x5014], ebx
    mov eax, 5
    cmpxchg [0x6000], ecx
    mov [0x5018], eax
    pushfd
    pop ebx
    and ebx, 0x40
    mov [0x501c], ebx
    ; CMPXCHG8B: EDX:EAX matches, ECX:EBX is stored
    mov dword [0x6008], 0xaaaaaaaa
    mov dword [0x600c], 0xbbbbbbbb
    mov eax, 0xaaaaaaaa
    mov edx, 0xbbbbbbbb
    mov ebx, 0x22222222
    mov ecx, 0x11111111
    cmpxchg8b [0x6008]
    mov eax, [0x6008]
    mov [0x5020], eax
    mov eax, [0x600c]
    mov [0x5024], eax
    ; XADD
    mov dword [0x6010], 10
    mov eax, 3
    xadd [0x6010], eax
    mov ebx, [0x6010]
    mov [0x5028], ebx
    mov [0x502c], eax
    ; CMOVcc and SETcc
    mov ecx, 0x66
    mov edx, 0x77
    cmp ecx, edx
    cmovl ecx, edx                      ; taken
    cmovg ecx, esi                      ; not taken
    mov [0x5030], ecx
    mov eax, 0                          ; MOV keeps the flags of the CMP
    setl al
    setz ah
    cmp ecx, edx
    setz ah
    mov [0x5034], eax                   ; AL = 1 (less), AH = 1 (equal after CMOVL)
    ; BT family on memory: bit 35 is bit 3 of the next dword
    mov dword [0x6020], 0
    mov dword [0x6024], 0
    mov eax, 35
    bts [0x6020], eax
    mov ebx, [0x6024]
    mov [0x5038], ebx                   ; 0x8
    bt [0x6020], eax
    setc bl
    movzx ebx, bl
    mov [0x503c], ebx                   ; 1
    btc dword [0x6024], 0               ; 0x9
    btr dword [0x6024], 3               ; 0x1 ... then OR in bit 2
    bts dword [0x6024], 2               ; 0x5
    mov ebx, [0x6024]
    mov [0x5040], ebx
    ; BSF/BSR
    mov eax, 0x08000010
    bsf ebx, eax
    mov [0x5044], ebx                   ; 4
    bsr ebx, eax
    mov [0x5048], ebx                   ; 27
    ; SHLD/SHRD
    mov eax, 0x12345678
    mov ebx, 0xabcdef01
    shld eax, ebx, 4                    ; 0x2345678a
    mov [0x504c], eax
    mov eax, 0x12345678
    mov ebx, 0xabcdef01
    shrd eax, ebx, 4                    ; 0x11234567
    mov [0x5050], eax
    ; ENTER with nesting level 2: pushes EBP, one outer frame pointer, the new frame pointer
    mov ebp, 0x9000
    mov dword [0x8ffc], 0x11            ; the outer frame's saved pointer at [EBP - 4]
    enter 8, 2
    mov [0x5054], ebp                   ; the frame: ESP after the push of EBP
    mov [0x5058], esp
    mov eax, [ebp - 4]
    mov [0x5060], eax                   ; copied outer frame pointer
    leave
    mov [0x505c], esp
    ; XLAT
    mov ebx, table
    mov al, 3
    xlatb
    movzx eax, al
    mov [0x5064], eax
    ; x87 probes
    fninit
    fnstcw [0x5068]
    fnstsw ax
    mov [0x506a], ax
    ; LAHF/SAHF
    mov ah, 0xd5
    sahf
    lahf
    movzx eax, ah
    mov [0x506c], eax                   ; SF ZF AF PF CF and bit 1: 0xd7
    ; PUSHAD/POPAD keep ESP
    mov esi, 0xaabbccdd
    pushad
    xor esi, esi
    popad
    mov [0x5070], esp
    mov [0x5074], esi
    ; CPUID leaf 0: the highest basic leaf is small and non-zero
    xor eax, eax
    cpuid
    cmp eax, 0
    setnz bl
    cmp eax, 0x20
    setb bh
    add bl, bh
    movzx ebx, bl
    shl ebx, 4
    or ebx, 0xe                         ; 0x2e when 0 < max leaf < 0x20
    mov [0x5078], ebx
    cli
    hlt

table:
    db 0x00, 0x11, 0x22, 0x37

    fault_stubs 0x5500

    gdt_start
    table_end gdt

    exception_idt
    table_end idt
