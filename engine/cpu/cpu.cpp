#include "engine/cpu/cpu.h"
#include "engine/cpu/segments.h"

#include <cstring>

namespace rr86 {

namespace {

Segment real_mode_segment(uint16_t selector, uint16_t attr) {
    return Segment{uint32_t(selector) << 4, 0xffff, selector, attr};
}

} // namespace

void cpu_reset(Cpu& c) {
    // SDM vol. 3 §9.1.1, table 9-1 "IA-32 Processor States Following Power-up, Reset, or INIT".
    CpuState& s = c.s;
    uint64_t icount = s.icount; // virtual time keeps running across a reset
    uint64_t tsc_offset = s.tsc_offset;
    std::memset(&s, 0, sizeof s);
    s.icount = icount;
    s.tsc_offset = tsc_offset;
    s.eip = 0xfff0;
    s.eflags = fl::FIXED1;
    s.cr0 = cr0::CD | cr0::NW | cr0::ET;
    s.gpr[EDX] = c.model.signature;
    constexpr uint16_t kData = seg_attr::P | seg_attr::S | seg_attr::WRITABLE | seg_attr::ACCESSED;
    constexpr uint16_t kCode = kData | seg_attr::CODE;
    for (unsigned i = 0; i < kNumSegs; ++i)
        s.seg[i] = real_mode_segment(0, kData);
    s.seg[CS] = Segment{0xffff0000u, 0xffff, 0xf000, kCode};
    s.gdtr = {0, 0xffff};
    s.idtr = {0, 0xffff};
    s.ldtr = Segment{0, 0xffff, 0, seg_attr::P | 0x2};
    s.tr = Segment{0, 0xffff, 0, seg_attr::P | 0xb};
    s.dr[6] = 0xffff0ff0;
    s.dr[7] = 0x400;
    s.apic_base = 0xfee00900; // BSP, xAPIC globally enabled
    s.pat = 0x0007040600070406ull;
    s.a20 = 1;
    s.fpu.fcw = 0x40;
    c.fault = {};
    c.state_changed();
}

void Cpu::state_changed() {
    for (unsigned i = 0; i < kNumSegs; ++i)
        refresh_segment(i);
    flush_tlb();
}

void Cpu::flush_tlb() {
    for (TlbEntry& e : tlb)
        e = {kTlbInvalid, kTlbInvalid, 0, 0};
    ++tlb_epoch;
}

void Cpu::flush_tlb_page(uint32_t linear) {
    TlbEntry& e = tlb[(linear >> 12) % kTlbSize];
    if (e.read_tag == (linear & kPageMaskLin) || e.write_tag == (linear & kPageMaskLin))
        e = {kTlbInvalid, kTlbInvalid, 0, 0};
    ++tlb_epoch;
}

namespace {

// The window and permissions the current mode checks for `seg`.
SegCheck mode_window(const Cpu& c, const Segment& seg) {
    if (!c.protected_mode() || c.v86_mode()) {
        // Real and virtual-8086 mode: no type checks, limits from the descriptor cache (which is
        // what lets "unreal" mode address 4 GiB after a trip through protected mode).
        return {0, seg.limit, true, true};
    }
    bool present = seg.attr & seg_attr::P;
    bool code = seg.attr & seg_attr::CODE;
    if (!present || !(seg.attr & seg_attr::S)) return {1, 0, false, false}; // every access faults
    if (code) return {0, seg.limit, bool(seg.attr & seg_attr::READABLE), false};
    return data_window(seg);
}

} // namespace

void Cpu::refresh_segment(unsigned i) {
    SegCheck& sc = segc[i];
    sc = mode_window(*this, s.seg[i]);
    sc.flat = s.seg[i].base == 0 && sc.lo == kFlatData.lo && sc.hi == kFlatData.hi && sc.readable &&
              sc.writable;
}

uint8_t flat_segments(const Cpu& c) {
    uint8_t flat = 0;
    for (unsigned i = 0; i < kNumSegs; ++i) {
        const Segment& seg = c.s.seg[i];
        const SegCheck& sc = c.segc[i];
        bool f = i == CS ? seg.base == 0 && seg.limit == kFlatLimit : sc.flat;
        flat |= uint8_t(f) << i;
    }
    return flat;
}

} // namespace rr86
