// Segment and descriptor handling shared by protected-mode semantics: descriptor-table reads,
// segment register loads with their checks, and far control transfers.
// SDM vol. 3 chapter 3 (segmentation), chapter 5 (protection), chapter 6 (interrupts), and vol. 2
// pages of MOV, POP, LDS/LES/LFS/LGS/LSS, JMP, CALL, RET, IRET.
//
// Every function here follows the semantics rule: it either completes and returns true, or
// records a fault in c.fault and returns false having changed no register (descriptor accessed
// bits and stack memory below the stack pointer may have been written, as on hardware).
#pragma once

#include "engine/cpu/cpu.h"

namespace rr86 {

// A raw 8-byte descriptor and its decoded fields.
struct Descriptor {
    uint32_t lo, hi;
    uint32_t base() const { return (lo >> 16) | ((hi & 0xff) << 16) | (hi & 0xff000000u); }
    uint32_t limit() const; // byte-granular (G applied)
    uint16_t attr() const { return uint16_t(((hi >> 8) & 0xff) | ((hi >> 12) & 0xf00)); }
    unsigned type() const { return (hi >> 8) & 0xf; }
    bool system() const { return !(hi & (1u << 12)); } // S = 0
    unsigned dpl() const { return (hi >> 13) & 3; }
    bool present() const { return hi & (1u << 15); }

    // Code/data classification (SDM vol. 3 §3.4.5.1, table 3-1).
    bool code() const { return !system() && (type() & 8); }
    bool conforming() const { return code() && (type() & 4); }
    bool readable() const { return !system() && (!(type() & 8) || (type() & 2)); }
    bool writable_data() const { return !system() && (type() & 0xa) == 0x2; }

    // Gate fields (SDM vol. 3 §5.8.3 figure 5-8, §6.11 figure 6-2).
    uint16_t gate_selector() const { return uint16_t(lo >> 16); }
    uint32_t gate_offset() const { return (lo & 0xffff) | (hi & 0xffff0000u); }
    unsigned gate_params() const { return hi & 0x1f; }
};

// System descriptor types (SDM vol. 3 §3.5, table 3-2).
namespace sys_type {
constexpr unsigned TSS16 = 1, LDT = 2, TSS16_BUSY = 3, CALL16 = 4, TASK = 5, INT16 = 6, TRAP16 = 7;
constexpr unsigned TSS32 = 9, TSS32_BUSY = 11, CALL32 = 12, INT32 = 14, TRAP32 = 15;
} // namespace sys_type

// Index 0 of the GDT (TI = 0) whatever the RPL (SDM vol. 3 §3.4.2).
inline bool null_selector(uint16_t selector) { return (selector & 0xfffc) == 0; }

// Reads the descriptor for `selector` from the GDT or LDT. Raises #GP(selector & ~3) (or
// `vector`) when the selector's index is outside the table limit.
bool read_descriptor(Cpu& c, uint16_t selector, Descriptor& d, uint8_t vector = 13);
// Sets the accessed bit of a code/data descriptor in memory (SDM vol. 3 §3.4.5.1).
bool mark_accessed(Cpu& c, uint16_t selector, Descriptor& d);

// The descriptor cache contents for a checked descriptor.
Segment segment_from(uint16_t selector, const Descriptor& d);

// MOV/POP/LxS to a data or stack segment register, with all protected-mode checks (vol. 2, MOV
// "Protected Mode Exceptions"); real and virtual-8086 mode load base = selector << 4 only.
bool load_segment(Cpu& c, unsigned seg, uint16_t selector);

// Sets CS from a checked descriptor and updates CPL; refreshes the CPU's caches.
void set_code_segment(Cpu& c, uint16_t selector, const Descriptor& d, unsigned cpl);

// Far control transfers (segments.cpp / protected.cpp). `next_eip` is the return address.
bool far_jump(Cpu& c, uint16_t selector, uint32_t offset, bool op32);
bool far_call(Cpu& c, uint16_t selector, uint32_t offset, bool op32);
bool far_return(Cpu& c, bool op32, uint16_t pop_bytes);
bool interrupt_return(Cpu& c, bool op32);

// ---- helpers shared by far transfers and interrupt delivery ----------------------------------

// Real-mode and V86 far transfer target: #GP(0) beyond the CS limit, else CS base = selector << 4
// (the cached limit and attributes stay in real mode) and EIP = offset.
bool real_far_target(Cpu& c, uint16_t selector, uint32_t offset);

// A stack addressed through a segment that need not be SS yet: the inner stack of a privilege
// change is written before SS is loaded, at the new privilege (SDM vol. 3 §5.8.5, §6.12.1).
// Limit violations raise #SS(`error`).
struct FarStack {
    Cpu& c;
    Segment seg;
    SegCheck win;
    uint32_t sp;
    bool wide; // B bit: 32-bit stack pointer
    bool user; // the accesses are made at CPL 3
    uint32_t error;

    FarStack(Cpu& cpu, const Segment& s, uint32_t esp, unsigned cpl, uint32_t err);
    static FarStack current(Cpu& cpu); // SS:ESP at the current CPL, #SS(0)

    uint32_t offset(uint32_t at) const { return wide ? at : (at & 0xffff); }
    void move(int32_t delta) {
        sp =
            wide ? sp + uint32_t(delta) : ((sp & 0xffff0000u) | ((sp + uint32_t(delta)) & 0xffffu));
    }
    bool push(uint32_t v, unsigned size);
    bool pop(uint32_t& v, unsigned size);
    bool read_at(uint32_t delta, uint32_t& v, unsigned size); // at SP + delta, no move
};

// Data segment window as Cpu::refresh_segment computes it (expand-down aware).
SegCheck data_window(const Segment& s);

// SS:ESP for privilege level `dpl` from the current TSS (32- or 16-bit), with the SS checks of
// SDM vol. 3 §6.12.1 / vol. 2 CALL: #TS(TSS) when outside the TSS limit, #TS(ss) for a bad
// descriptor, #TS(0) for a null one, #SS(ss) when not present. Sets the SS accessed bit.
bool tss_inner_stack(Cpu& c, unsigned dpl, uint16_t& ss, uint32_t& esp, Descriptor& ssd);

// Loads SS and ESP from a checked stack segment (the B bit of `ss` decides whether only SP is
// replaced). Refreshes the SS check window.
void set_stack(Cpu& c, const Segment& ss, uint32_t esp);

// Loads a null selector: the register becomes unusable (P clear; every access faults in protected
// mode) while base and limit stay cached, so a later real-mode load makes it usable again.
void set_null_segment(Cpu& c, unsigned seg, uint16_t selector);

// After a return to an outer privilege level: ES, DS, FS, GS holding a data or non-conforming
// code segment with DPL < CPL are loaded with a null selector (SDM vol. 2 RET, IRET).
void null_inaccessible_segments(Cpu& c);

} // namespace rr86
