; Benchmark (not a test): compute-bound 32-bit protected-mode code. Each of ITERATIONS rounds
; runs a hash over a 16-dword buffer (loads, IMUL, ADD, XOR, ROL, stores, a counted inner loop),
; copies the buffer with REP MOVSD, and takes a data-dependent branch. The loop counts are fixed,
; so the instruction count is deterministic (about 109 M). Run it with
;   guest_runner --bench --asm tests/guests/bench/compute.asm <build>/tests/guests/bench/compute.bin
;
; limit: 200000000
; expect: exit=port:1 icount=109119974 ebx=0xdd4313f3 edx=0x9c26c ebp=0 mem32[0x5000]=0xdd4313f3
%include "pmode.inc"
bits 16
org LOAD_ADDR

ITERATIONS equ 640000
BUF equ 0x10000                         ; 16 dwords hashed in place
COPY equ 0x11000                        ; REP MOVSD destination

start:
    enter_pm32

    pm32_start
%include "compute_loop.inc"
    mov [0x5000], ebx
    mov [0x5004], edx
    test_exit 0

    gdt_start
    table_end gdt
