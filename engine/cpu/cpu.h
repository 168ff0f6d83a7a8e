// Cpu: one vCPU = architectural state (CpuState) + the caches derived from it + its links to
// the machine (physical memory, I/O ports, interrupt line).
//
// Only the vCPU thread touches a Cpu. Caches here are rebuilt from CpuState by state_changed(),
// so restoring a snapshot is: copy CpuState, call state_changed().
#pragma once

#include "engine/cpu/state.h"

#include <atomic>
#include <cstdint>

namespace rr86 {

class PhysMap;
class IoPorts;

// Exception vectors, SDM vol. 3 §6.3.1.
namespace vec {
constexpr uint8_t DE = 0, DB = 1, NMI = 2, BP = 3, OF = 4, BR = 5, UD = 6, NM = 7, DF = 8;
constexpr uint8_t TS = 10, NP = 11, SS = 12, GP = 13, PF = 14, MF = 16, AC = 17, MC = 18;
} // namespace vec
constexpr uint32_t kNoErrorCode = 0xffffffffu;

// Why the run loop handed control back to the machine.
namespace cpu_exit {
constexpr uint32_t TRIPLE_FAULT = 1u << 0; // shutdown cycle: the chipset turns it into a reset
constexpr uint32_t REQUEST = 1u << 1;      // a device asked the machine loop to act (reset, exit)
constexpr uint32_t HALTED = 1u << 2;       // HLT with no interrupt deliverable
} // namespace cpu_exit

// Soft TLB entry: linear page -> host page for reads and writes separately.
// A tag is the linear page address (low 12 bits 0) when valid, 1 when not.
struct TlbEntry {
    uint32_t read_tag, write_tag;
    uintptr_t read_add, write_add; // host = add + linear
};
constexpr unsigned kTlbSize = 256;
constexpr uint32_t kPageMaskLin = 0xfffff000u;
constexpr uint32_t kTlbInvalid = 1; // never equal to a page address

// Offset window and permissions of a segment as the current mode checks them; derived from the
// descriptor cache by refresh_segment() (SDM vol. 3 §5.3 limit checking, §5.4 type checking).
struct SegCheck {
    uint32_t lo, hi; // valid offsets lo..hi inclusive (expand-down segments have lo > 0)
    bool readable, writable;
    // Base 0, offsets 0..4 GiB - 1, readable and writable: no check of the offset can fail for
    // an access that stays inside one page (read_mem and write_mem's fast path).
    bool flat;
};

struct PendingFault {
    bool active;
    uint8_t vector;
    uint32_t error; // kNoErrorCode if the vector pushes none
};

struct CpuModel {
    uint32_t signature = 0x000006fb; // family 6 model 15 stepping 11: a P6-family part
};

struct Cpu {
    CpuState s{};

    // Derived caches (state.h rule 4).
    SegCheck segc[kNumSegs]{};
    TlbEntry tlb[kTlbSize];
    uint64_t map_generation = 0; // PhysMap generation the TLB was filled under
    uint64_t tlb_epoch = 0;      // bumped by every TLB flush: linear-keyed caches follow it

    // Links to the machine.
    PhysMap* mem = nullptr;
    IoPorts* io = nullptr;
    CpuModel model;

    // Interrupt inputs, set by the interrupt controller on the vCPU thread.
    bool intr = false;                    // INTR pin level (SDM vol. 3 §6.8.1)
    bool nmi_pending = false;             // NMI edge latched
    int (*intr_ack)(void* ctx) = nullptr; // INTA cycle: returns the vector
    void* intr_ctx = nullptr;

    // Machine hooks (record/replay). on_interrupt sees every external interrupt and NMI taken.
    // async_poll, when set, runs after every retired instruction, inside blocks too: the
    // machine's window for a request carried out asynchronously (reset-delivery=async, seed 002).
    void (*on_interrupt)(void* ctx, uint8_t vector) = nullptr;
    void (*async_poll)(void* ctx) = nullptr;
    void* hook_ctx = nullptr;
    // Another thread has something for the machine loop: the run loop returns at the next block
    // boundary. Only the time of leaving depends on it, and the recorder logs that time.
    const std::atomic<bool>* host_kick = nullptr;

    // Per-instruction scratch.
    uint32_t insn_eip = 0; // EIP of the instruction running now (EIP already points past it)
    PendingFault fault{};
    bool end_block = false;    // the current instruction changed something a decoded block assumed
    uint32_t exit_reasons = 0; // cpu_exit bits; the run loop returns when non-zero
    uint64_t icount_limit = 0; // the run loop never retires an instruction at or past this count

    // Rebuilds every derived cache from `s` (after reset, restore, or a mode change).
    void state_changed();
    void flush_tlb();
    void flush_tlb_page(uint32_t linear);
    void refresh_segment(unsigned seg);
    void request_exit(uint32_t reason) {
        exit_reasons |= reason;
        end_block = true;
    }

    bool protected_mode() const { return s.cr0 & cr0::PE; }
    bool v86_mode() const { return s.eflags & fl::VM; }
    bool paging() const { return s.cr0 & cr0::PG; }
    bool code32() const { return s.seg[CS].attr & seg_attr::DB; }
    // EIP wraps at 64 KiB unless CS is a 32-bit segment.
    uint32_t ip_mask() const { return code32() ? 0xffffffffu : 0xffffu; }
    bool stack32() const { return s.seg[SS].attr & seg_attr::DB; }
    uint32_t a20_mask() const { return s.a20 ? 0xffffffffu : ~(1u << 20); }
};

// Power-on / RESET state (SDM vol. 3 §9.1.1, table 9-1).
void cpu_reset(Cpu& c);

// The segments (bit i: CpuState::seg[i]) that are flat, as in the "basic flat model" of SDM
// vol. 3 §3.2.1: base 0 and offsets up to 4 GiB - 1, and for data segments also readable and
// writable. Compiled code may be specialised for them (Block::flat_segs).
uint8_t flat_segments(const Cpu& c);
constexpr SegCheck kFlatData{0, 0xffffffffu, true, true, true}; // segc[] of a flat data segment
constexpr uint32_t kFlatLimit = 0xffffffffu;

} // namespace rr86
