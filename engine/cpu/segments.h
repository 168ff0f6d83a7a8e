// Segment and descriptor handling shared by protected-mode semantics: descriptor-table reads,
// segment register loads with their checks, and far control transfers.
// SDM vol. 3 chapter 3 (segmentation), chapter 5 (protection), chapter 6 (interrupts), and vol. 2
// pages of MOV, POP, LDS/LES/LFS/LGS/LSS, JMP, CALL, RET, IRET.
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
};

// Reads the descriptor for `selector` from the GDT or LDT. Raises #GP(selector & ~3) (or
// `vector`) when the selector's index is outside the table limit.
bool read_descriptor(Cpu& c, uint16_t selector, Descriptor& d, uint8_t vector = 13);
// Sets the accessed bit of a code/data descriptor in memory (SDM vol. 3 §3.4.5.1).
bool mark_accessed(Cpu& c, uint16_t selector, Descriptor& d);

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

} // namespace rr86
