; An MBR that finds the fw_cfg file "opt/rr86/greeting" in the file directory and prints its
; contents on COM1 twice: read through the port interface (selector 0x510, data 0x511), then
; through the DMA interface (0x514/0x518, big-endian descriptor address), as QEMU's
; docs/specs/fw_cfg.rst describes. Then it exits through isa-debug-exit.
bits 16
org 0x7c00

%define FW_CFG_SEL  0x510
%define FW_CFG_DATA 0x511
%define FW_CFG_DMA  0x514
%define BUF         0x8000          ; file directory entry scratch
%define DMABUF      0x9000          ; DMA target
%define DESC        0x7e00          ; FWCfgDmaAccess, 16-byte aligned

start:
    cli
    xor ax, ax
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov sp, 0x7c00
    mov ax, 0x19                    ; FW_CFG_FILE_DIR
    mov dx, FW_CFG_SEL
    out dx, ax
    call read_be32                  ; count
    mov ecx, eax
.entry:
    test ecx, ecx
    jz fail
    dec ecx
    mov di, BUF                     ; size(4) select(2) reserved(2) name(56)
    mov bx, 64
.copy:
    mov dx, FW_CFG_DATA
    in al, dx
    stosb
    dec bx
    jnz .copy
    mov si, BUF + 8
    mov di, wanted
    mov bx, wanted_len
.cmp:
    mov al, [si]
    cmp al, [di]
    jne .entry
    inc si
    inc di
    dec bx
    jnz .cmp
    ; found: size and key are big-endian
    mov eax, [BUF]
    bswap eax
    mov [size], eax
    mov ax, [BUF + 4]
    xchg al, ah
    mov [key], ax

    ; --- port interface ---
    mov si, tag_port
    call puts
    mov ax, [key]
    mov dx, FW_CFG_SEL
    out dx, ax
    mov ecx, [size]
.pbyte:
    jecxz .pdone
    mov dx, FW_CFG_DATA
    in al, dx
    call putc
    dec ecx
    jmp .pbyte
.pdone:
    mov si, crlf
    call puts

    ; --- DMA interface: control = key << 16 | SELECT (0x08) | READ (0x02) ---
    movzx eax, word [key]
    shl eax, 16
    or eax, 0x0a
    bswap eax
    mov [DESC], eax
    mov eax, [size]
    bswap eax
    mov [DESC + 4], eax
    mov dword [DESC + 8], 0         ; address high (big-endian)
    mov eax, DMABUF
    bswap eax
    mov [DESC + 12], eax
    xor eax, eax
    mov dx, FW_CFG_DMA
    out dx, eax                     ; descriptor address high half
    mov eax, DESC
    bswap eax
    mov dx, FW_CFG_DMA + 4
    out dx, eax                     ; low half: starts the transfer
    mov si, tag_dma
    call puts
    mov eax, [DESC]
    bswap eax
    test eax, eax                   ; 0 when done without error
    jnz fail
    mov si, DMABUF
    mov ecx, [size]
.dbyte:
    jecxz .ddone
    lodsb
    call putc
    dec ecx
    jmp .dbyte
.ddone:
    mov si, crlf
    call puts
    xor al, al
    out 0xf4, al
.halt:
    hlt
    jmp .halt

fail:
    mov si, tag_fail
    call puts
    mov al, 1
    out 0xf4, al
    jmp start.halt

read_be32:                          ; eax = big-endian dword from the data port
    mov dx, FW_CFG_DATA
    xor eax, eax
    mov bx, 4
.b:
    shl eax, 8
    in al, dx
    dec bx
    jnz .b
    ret

puts:                               ; prints the NUL-terminated string at ds:si
    lodsb
    test al, al
    jz .r
    call putc
    jmp puts
.r:
    ret

putc:                               ; prints al on COM1
    push dx
    push ax
    mov dx, 0x3fd
.w:
    in al, dx
    test al, 0x20
    jz .w
    pop ax
    mov dx, 0x3f8
    out dx, al
    pop dx
    ret

wanted: db "opt/rr86/greeting", 0
wanted_len equ $ - wanted
tag_port: db "PORT:", 0
tag_dma: db "DMA:", 0
tag_fail: db "FW_CFG FAIL", 13, 10, 0
crlf: db 13, 10, 0
size: dd 0
key: dw 0

times 510 - ($ - $$) db 0
dw 0xaa55
times 1048576 - ($ - $$) db 0
