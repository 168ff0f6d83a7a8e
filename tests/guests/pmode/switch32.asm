; Real mode to 32-bit protected mode: LGDT, CR0.PE, a far jump into a 32-bit code segment, data
; segment loads (flat 4 GiB, and one based at 0x20000 with a 64 KiB limit), an access above
; 1 MiB, near CALL/RET and PUSH/POP on a 32-bit stack, the accessed bits the CPU sets in the
; GDT, and the end of the run through the test-exit port.
;
; expect: exit=port:33 cs=0x08 ds=0x10 es=0x10 ss=0x10 fs=0x18 gs=0 cpl=0
; expect: fs.base=0x20000 fs.limit=0xffff ds.limit=0xffffffff cs.attr&0x40f=0x40b
; expect: mem32[0x100000]=0xcafebabe mem32[0x20010]=0x11223344 mem32[0x5000]=0x11223344
; expect: mem32[0x5004]=0x90000 mem32[0x5008]=0x8fffc ebx=0x55aa55aa ecx&0x80000001=1
; expect: mem8[0x7d0d]=0x9b mem8[0x7d15]=0x93 mem8[0x7d1d]=0x93 mem8[0x7d25]=0x92
%include "pmode.inc"
bits 16
org LOAD_ADDR

start:
    enter_pm32

    pm32_start
    mov ax, 0x18
    mov fs, ax
    xor ax, ax
    mov gs, ax                          ; the null selector may sit in DS..GS
    mov dword [0x100000], 0xcafebabe
    mov dword [fs:0x10], 0x11223344     ; linear 0x20010
    mov eax, [0x20010]
    mov [0x5000], eax
    call probe_stack
    mov [0x5004], esp
    push dword 0x55aa55aa
    pop ebx
    mov ecx, cr0
    test_exit 0x10                      ; status 0x21
    hlt

probe_stack:
    mov [0x5008], esp
    ret

    times 0x100 - ($ - $$) db 0
    gdt_start                           ; 0x7D00
    desc 0x20000, 0xffff, 0x92, 0x40    ; 0x18 data, base 0x20000, 64 KiB
    desc 0, 0xffff, 0x92, 0x00          ; 0x20 data, never loaded: stays not accessed
    table_end gdt
