; Protected-mode exceptions with their vectors, error codes and saved EIPs (SDM vol. 3 §6.13 and
; the exception lists of each instruction in vol. 2): selector loads (#GP/#NP/#SS with the
; selector as error code), segment type and limit checks, null selectors, IDT limit and
; not-present gates (error code = vector * 8 + 2), a flat segment's 4 GiB wrap, #UD, #DE, #BR, INT3/INTO (traps: EIP after
; the instruction), CR0.PG without PE, LTR of a non-TSS. The handler logs each event at
; 0x5000 + 16 * n: vector, error code (-1 if none), saved EIP minus the address of the
; instruction, and 0xAA; then it resumes after the instruction.
;
; expect: exit=halt mem32[0x5400]=0x5180 cs=0x08 ss=0x10 esp=0x90000
; expect: mem32[0x5000]=13 mem32[0x5004]=0x48 mem32[0x5008]=0 mem32[0x500c]=0xaa
; expect: mem32[0x5010]=11 mem32[0x5014]=0x20 mem32[0x5018]=0 mem32[0x501c]=0xaa
; expect: mem32[0x5020]=12 mem32[0x5024]=0x20 mem32[0x5028]=0
; expect: mem32[0x5030]=13 mem32[0x5034]=0 mem32[0x5038]=0
; expect: mem32[0x5040]=13 mem32[0x5044]=0 mem32[0x5048]=0
; expect: mem32[0x5050]=12 mem32[0x5054]=0 mem32[0x5058]=0
; expect: mem32[0x5060]=6 mem32[0x5064]=0xffffffff mem32[0x5068]=0
; expect: mem32[0x5070]=0 mem32[0x5074]=0xffffffff mem32[0x5078]=0
; expect: mem32[0x5080]=3 mem32[0x5084]=0xffffffff mem32[0x5088]=1
; expect: mem32[0x5090]=13 mem32[0x5094]=0x482 mem32[0x5098]=0
; expect: mem32[0x50a0]=11 mem32[0x50a4]=0x10a mem32[0x50a8]=0
; expect: mem32[0x50b0]=13 mem32[0x50b4]=0x10 mem32[0x50b8]=0
; expect: mem32[0x50c0]=13 mem32[0x50c4]=0 mem32[0x50c8]=0
; expect: mem32[0x50d0]=5 mem32[0x50d4]=0xffffffff mem32[0x50d8]=0
; expect: mem32[0x50e0]=4 mem32[0x50e4]=0xffffffff mem32[0x50e8]=1
; expect: mem32[0x50f0]=13 mem32[0x50f4]=0 mem32[0x50f8]=0
; expect: mem32[0x5100]=6 mem32[0x5104]=0xffffffff mem32[0x5108]=0
; expect: mem32[0x5110]=13 mem32[0x5114]=0x10 mem32[0x5118]=0
; expect: mem32[0x5120]=13 mem32[0x5124]=0x40 mem32[0x5128]=0
; expect: mem32[0x5130]=13 mem32[0x5134]=0x08 mem32[0x5138]=0
; expect: mem32[0x5140]=13 mem32[0x5144]=0 mem32[0x5148]=0
; expect: mem32[0x5150]=13 mem32[0x5154]=0 mem32[0x5158]=0
; expect: mem32[0x5160]=13 mem32[0x5164]=0 mem32[0x5168]=0
; expect: mem32[0x5170]=13 mem32[0x5174]=0 mem32[0x5178]=0
; expect: mem32[0x5180]=0 ds=0x10 es=0x28 fs=0x30 gs=0 mem32[0x5404]=0x22
%include "pmode.inc"
bits 16
org LOAD_ADDR

LOG equ 0x5000
log_ptr equ 0x5400
expect_eip equ 0x5408
resume equ 0x540c                      ; fault_test <instruction>: log its exception, go on after it

start:
    enter_pm32 idt

    pm32_start
    mov dword [log_ptr], LOG

    mov ax, 0x48                        ; beyond the GDT limit
    fault_test mov ds, ax               ; #GP(0x48)
    mov ax, 0x20                        ; not present
    fault_test mov es, ax               ; #NP(0x20)
    fault_test mov ss, ax               ; #SS(0x20)
    mov ax, 0x28                        ; read-only data
    mov es, ax
    fault_test mov [es:0x6000], eax     ; #GP(0): write to a read-only segment
    mov ax, 0x30                        ; limit 0xFFF
    mov fs, ax
    mov byte [fs:0xfff], 0x22           ; the last byte is fine
    fault_test mov eax, [fs:0xffd]      ; #GP(0): the dword ends past the limit
    mov ax, 0x38                        ; stack segment with limit 0x9FFFF
    mov ss, ax
    fault_test mov eax, [esp + 0x20000] ; #SS(0)
    mov ax, 0x10
    mov ss, ax
    fault_test ud2                      ; #UD
    xor ecx, ecx
    fault_test div ecx                  ; #DE
    fault_test int3                     ; #BP, a trap
    fault_test int 0x90                 ; beyond the IDT limit: #GP(0x90 * 8 + 2)
    fault_test int 0x21                 ; not-present gate: #NP(0x21 * 8 + 2)
    fault_test jmp 0x10:0               ; far jump to a data segment: #GP(0x10)
    xor ax, ax
    mov gs, ax
    fault_test mov eax, [gs:0]          ; null selector: #GP(0)
    mov eax, 100
    fault_test bound eax, [bounds]      ; #BR
    mov al, 0x7f
    add al, 1
    fault_test into                     ; #OF, a trap
    mov eax, cr0
    and eax, ~1
    or eax, 0x80000000
    fault_test mov cr0, eax             ; PG without PE: #GP(0)
    fault_test db 0xf0, 0x01, 0xd8      ; LOCK ADD EAX, EBX: register destination, #UD
    mov ax, 0x13                        ; RPL 3 > DPL 0
    fault_test mov ds, ax               ; #GP(0x10)
    mov ax, 0x40                        ; execute-only code
    fault_test mov ds, ax               ; #GP(0x40)
    mov ax, 0x08                        ; code segment into SS
    fault_test mov ss, ax               ; #GP(0x08)
    xor ax, ax
    fault_test mov ss, ax               ; null SS: #GP(0)
    ; The flat DS ends at 4 GiB - 1: an access whose last byte would be past it (wrapping to 0)
    ; is #GP(0), not a read or write across the wrap (vol. 3 §5.3; with the TLB holding the
    ; pages on both sides: tests/guests/paging/wrap_4g.asm).
    fault_test mov eax, [0xfffffffe]
    fault_test mov word [0xffffffff], 1
    fault_test add [0xfffffffd], eax
    movzx eax, byte [fs:0xfff]
    mov [0x5404], eax
    cli
    hlt

; Exception stubs: push a fake error code where the CPU pushes none, then the vector.
%assign v 0
%rep 32
fault %+ v:
%if v == 8 || (v >= 10 && v <= 14) || v == 17
    push dword v
%else
    push dword -1
    push dword v
%endif
    jmp log_event
%assign v v + 1
%endrep

log_event:              ; [esp] vector, [esp+4] error, [esp+8] EIP, CS, EFLAGS
    log_record_begin 8
    mov eax, [esp + 8]                  ; the vector
    mov [ebx], eax
    log_error_code 4
    log_saved_eip 8
    mov dword [ebx + 12], 0xaa
    log_record_end

bounds:
    dd 0, 50

    gdt_start
    dq 0                                ; 0x18
    desc 0, 0xfffff, 0x12, 0xc0         ; 0x20 data, not present
    desc 0, 0xfffff, 0x90, 0xc0         ; 0x28 data, read-only
    desc 0, 0xfff, 0x92, 0x40           ; 0x30 data, limit 0xFFF
    desc 0, 0x9ffff, 0x92, 0x40         ; 0x38 data, limit 0x9FFFF
    desc 0, 0xfffff, 0x98, 0xc0         ; 0x40 code, execute-only
    table_end gdt

    exception_idt
    times 0x21 - 32 dq 0
    gate 0x08, ABS(fault0), 0x0e        ; 0x21: not present
    times 0x40 - 0x22 dq 0
    table_end idt
