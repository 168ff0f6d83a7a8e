// Intrinsics: the only ways semantics touch the world outside CpuState.
//
// Every accessor returns false after recording a fault in Cpu::fault; the semantic function then
// returns at once without committing anything (the interpreter restores EIP and delivers the
// fault). Hence the rule for semantics: do every access that can fault before writing registers.
//
// Fast paths (segment window check + soft TLB hit) are inline; everything else is out of line in
// memory.cpp so that the JIT's bitcode calls the same host code.
#pragma once

#include "engine/cpu/cpu.h"

#include <cstring>

namespace rr86 {

// ---- faults ----------------------------------------------------------------------------------

inline bool raise(Cpu& c, uint8_t vector, uint32_t error = kNoErrorCode) {
    if (!c.fault.active) c.fault = {true, vector, error};
    return false;
}
inline bool raise_gp(Cpu& c, uint32_t error = 0) { return raise(c, vec::GP, error); }
inline bool raise_ud(Cpu& c) { return raise(c, vec::UD); }

// ---- linear and physical memory --------------------------------------------------------------

enum class Access : uint8_t { Read, Write, Exec };

// Paging walk (paging.cpp): linear -> physical for `access` at the given privilege, setting A/D
// bits; on failure raises #PF with CR2 and the error code (SDM vol. 3 §4.7).
bool translate(Cpu& c, uint32_t linear, Access access, bool user, uint64_t& phys);

// Out-of-line paths: page-crossing, TLB miss, MMIO, SMC. `user` is the privilege of the access.
bool read_linear_slow(Cpu& c, uint32_t linear, unsigned size, uint32_t& value, bool user);
bool write_linear_slow(Cpu& c, uint32_t linear, unsigned size, uint32_t value, bool user);
bool read_linear64_slow(Cpu& c, uint32_t linear, uint64_t& value, bool user);

// The soft TLB's hits. The entry of lin's page is compared with the page of the access's last
// byte, so one compare also turns away an access that goes on into the next page or wraps past
// 4 GiB: an entry only ever holds a page of its own index, and the next page has another one.
template <class T> inline bool tlb_read(Cpu& c, uint32_t lin, T& v) {
    const TlbEntry& e = c.tlb[(lin >> 12) % kTlbSize];
    if (e.read_tag != ((lin + sizeof(T) - 1) & kPageMaskLin)) return false;
    std::memcpy(&v, reinterpret_cast<const void*>(e.read_add + lin), sizeof(T));
    return true;
}
template <class T> inline bool tlb_write(Cpu& c, uint32_t lin, T v) {
    const TlbEntry& e = c.tlb[(lin >> 12) % kTlbSize];
    if (e.write_tag != ((lin + sizeof(T) - 1) & kPageMaskLin)) return false;
    std::memcpy(reinterpret_cast<void*>(e.write_add + lin), &v, sizeof(T));
    return true;
}
static_assert(kTlbSize > 1, "tlb_read/tlb_write: the next page must have another entry");

template <class T> inline bool read_linear(Cpu& c, uint32_t lin, T& v) {
    if (tlb_read(c, lin, v)) return true;
    if constexpr (sizeof(T) == 8) {
        return read_linear64_slow(c, lin, v, c.s.cpl == 3);
    } else {
        uint32_t w;
        if (!read_linear_slow(c, lin, sizeof(T), w, c.s.cpl == 3)) return false;
        v = T(w);
        return true;
    }
}

template <class T> inline bool write_linear(Cpu& c, uint32_t lin, T v) {
    if (tlb_write(c, lin, v)) return true;
    if constexpr (sizeof(T) == 8) {
        return write_linear_slow(c, lin, 4, uint32_t(v), c.s.cpl == 3) &&
               write_linear_slow(c, lin + 4, 4, uint32_t(v >> 32), c.s.cpl == 3);
    } else {
        return write_linear_slow(c, lin, sizeof(T), v, c.s.cpl == 3);
    }
}

// Supervisor accesses to system structures (GDT, LDT, IDT, TSS), whatever the CPL.
bool read_system(Cpu& c, uint32_t linear, unsigned size, uint32_t& value);
bool write_system(Cpu& c, uint32_t linear, unsigned size, uint32_t value);

// ---- segmented memory ------------------------------------------------------------------------

inline bool segment_fault(Cpu& c, unsigned seg) {
    return raise(c, seg == SS ? vec::SS : vec::GP, 0);
}

// Offset check against the segment's window and type (SDM vol. 3 §5.3, §5.4).
inline bool check_segment(Cpu& c, unsigned seg, uint32_t off, unsigned size, bool write) {
    const SegCheck& sc = c.segc[seg];
    uint64_t last = uint64_t(off) + size - 1;
    if (off < sc.lo || last > sc.hi || !(write ? sc.writable : sc.readable))
        return segment_fault(c, seg);
    return true;
}

// A flat segment (SegCheck::flat) goes straight to the TLB: an access inside one page cannot
// fail its offset checks (the one that wraps past 4 GiB, at offset 4 GiB - 3 for a dword, also
// leaves the page), so a hit needs none, and the compiled code for a flat segment has none.
template <class T> inline bool read_mem(Cpu& c, unsigned seg, uint32_t off, T& v) {
    if (c.segc[seg].flat && tlb_read(c, off, v)) return true;
    if (!check_segment(c, seg, off, sizeof(T), false)) return false;
    return read_linear(c, c.s.seg[seg].base + off, v);
}

template <class T> inline bool write_mem(Cpu& c, unsigned seg, uint32_t off, T v) {
    if (c.segc[seg].flat && tlb_write(c, off, v)) return true;
    if (!check_segment(c, seg, off, sizeof(T), true)) return false;
    return write_linear(c, c.s.seg[seg].base + off, v);
}

// ---- I/O ports -------------------------------------------------------------------------------

// Port accesses check IOPL and the TSS I/O permission bitmap (SDM vol. 1 §19.5) and end the
// current block, so that whatever the device did (raised an IRQ, asked for a reset) is seen
// before the next instruction.
bool port_in(Cpu& c, uint16_t port, unsigned size, uint32_t& value);
bool port_out(Cpu& c, uint16_t port, unsigned size, uint32_t value);

} // namespace rr86
