// CpuState: the architectural state of one x86 vCPU.
//
// Rules (this struct is shared by the interpreter, the JIT's bitcode, snapshots and state hashes):
//  1. Plain data only: fixed-width integers and arrays of them. No pointers, no virtual functions,
//     no host-dependent types, no padding the compiler may fill with garbage (every byte is a
//     named field, checked by the static_asserts at the bottom). A snapshot is a memcpy; the state
//     hash is a hash of these bytes.
//  2. Values are held as the CPU holds them. Segment registers carry their hidden descriptor cache
//     (Intel SDM vol. 3 §3.4.3): base, limit and attributes are loaded when the selector is loaded
//     and are not recomputed later; this is what makes "unreal" mode work.
//  3. The arithmetic flags (CF PF AF ZF SF OF) are read and written only through flags.h, so the
//     representation can change (eager/lazy) without touching the semantics.
//  4. Anything derived from this state for speed (TLB, segment check caches, decoded blocks)
//     lives in Cpu (cpu.h), never here, and is rebuilt by Cpu::state_changed() after a restore.
//  5. The host is little-endian x86-64: 8/16-bit register views are byte offsets into gpr[].
#pragma once

#include <cstddef>
#include <cstdint>

namespace rr86 {

enum Gpr : uint8_t { EAX, ECX, EDX, EBX, ESP, EBP, ESI, EDI };
// Encoding order of the segment registers (SDM vol. 2 §3.1.1.1, Sreg field).
enum SegReg : uint8_t { ES, CS, SS, DS, FS, GS, kNumSegs, kNoSeg = 7 };

// EFLAGS bits, SDM vol. 1 §3.4.3.
namespace fl {
constexpr uint32_t CF = 1u << 0, PF = 1u << 2, AF = 1u << 4, ZF = 1u << 6, SF = 1u << 7;
constexpr uint32_t TF = 1u << 8, IF = 1u << 9, DF = 1u << 10, OF = 1u << 11;
constexpr uint32_t IOPL = 3u << 12, NT = 1u << 14, RF = 1u << 16, VM = 1u << 17, AC = 1u << 18;
constexpr uint32_t VIF = 1u << 19, VIP = 1u << 20, ID = 1u << 21;
constexpr uint32_t ARITH = CF | PF | AF | ZF | SF | OF;
constexpr uint32_t FIXED1 = 1u << 1; // bit 1 always reads as 1
} // namespace fl

// CR0/CR4 bits, SDM vol. 3 §2.5.
namespace cr0 {
constexpr uint32_t PE = 1u << 0, MP = 1u << 1, EM = 1u << 2, TS = 1u << 3, ET = 1u << 4;
constexpr uint32_t NE = 1u << 5, WP = 1u << 16, AM = 1u << 18, NW = 1u << 29, CD = 1u << 30;
constexpr uint32_t PG = 1u << 31;
} // namespace cr0
namespace cr4 {
constexpr uint32_t VME = 1u << 0, PVI = 1u << 1, TSD = 1u << 2, DE = 1u << 3, PSE = 1u << 4;
constexpr uint32_t PAE = 1u << 5, PGE = 1u << 7, OSFXSR = 1u << 9, OSXMMEXCPT = 1u << 10;
} // namespace cr4

// Segment descriptor attributes as cached: bits 0-7 are descriptor byte 5 (type, S, DPL, P),
// bits 8-11 are the high nibble of byte 6 (AVL, L, D/B, G). SDM vol. 3 §3.4.5.
namespace seg_attr {
constexpr uint16_t ACCESSED = 1u << 0, WRITABLE = 1u << 1, READABLE = 1u << 1;
constexpr uint16_t EXPAND_DOWN = 1u << 2, CONFORMING = 1u << 2, CODE = 1u << 3, S = 1u << 4;
constexpr uint16_t DPL_SHIFT = 5, DPL = 3u << 5, P = 1u << 7, DB = 1u << 10, G = 1u << 11;
} // namespace seg_attr

struct Segment {
    uint32_t base;
    uint32_t limit; // byte granular, already scaled by G
    uint16_t selector;
    uint16_t attr; // see seg_attr
};

struct TableReg {
    uint32_t base;
    uint32_t limit;
};

// FXSAVE-format area for x87/SSE state (SDM vol. 1 §10.5.1). Firmware only probes the FPU today;
// the area is reserved so adding the x87 does not change the layout of the fields before it.
struct FpuState {
    uint16_t fcw, fsw;
    uint8_t ftw, reserved0;
    uint16_t fop;
    uint8_t rest[504];
};

struct CpuState {
    uint32_t gpr[8]; // EAX..EDI in encoding order
    uint32_t eip;
    uint32_t eflags; // arithmetic bits owned by flags.h
    uint32_t cr0, cr2, cr3, cr4;
    uint32_t dr[8]; // DR4/DR5 alias DR6/DR7 and are not used
    Segment seg[kNumSegs];
    Segment ldtr, tr;
    TableReg gdtr, idtr;

    // Virtual time in instructions: each retired instruction and each REP iteration counts one,
    // a fault counts one (the faulting attempt), and HLT idles jump it to the next timer deadline.
    uint64_t icount;
    uint64_t tsc_offset; // TSC = icount + tsc_offset (set by WRMSR/WRTSC)
    uint64_t apic_base;
    uint64_t sysenter_cs, sysenter_esp, sysenter_eip;
    uint64_t pat;
    uint64_t mtrr_cap_def; // IA32_MTRR_DEF_TYPE
    uint64_t mtrr_fixed[11];
    uint64_t mtrr_var[16]; // base/mask pairs for 8 variable ranges
    uint64_t misc_enable;

    uint8_t cpl;         // current privilege level (SDM vol. 3 §5.5)
    uint8_t halted;      // HLT executed, waiting for an interrupt
    uint8_t intr_shadow; // 1: the next instruction is not interruptible (STI, MOV/POP SS)
    uint8_t nmi_blocked; // between NMI delivery and the next IRET
    uint8_t a20;         // A20 gate as the CPU sees it (1 = enabled)
    uint8_t pad[3];

    FpuState fpu;
};

static_assert(sizeof(Segment) == 12);
static_assert(sizeof(TableReg) == 8);
static_assert(sizeof(FpuState) == 512);
static_assert(offsetof(CpuState, gpr) == 0, "gpr[] first: register operands are byte offsets");
static_assert(offsetof(CpuState, eip) == 32);
static_assert(offsetof(CpuState, seg) == 88);
static_assert(offsetof(CpuState, icount) % 8 == 0);
static_assert(offsetof(CpuState, fpu) % 16 == 0, "FXSAVE area must be 16-byte aligned");
static_assert(sizeof(CpuState) == offsetof(CpuState, fpu) + sizeof(FpuState),
              "no tail padding: the state hash covers every byte");
static_assert(alignof(CpuState) == 8);

} // namespace rr86
