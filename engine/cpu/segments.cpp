// Descriptor tables, segment register loads and far JMP/CALL (SDM vol. 3 chapters 3 and 5, vol. 2
// pages of MOV, POP, LDS, JMP, CALL). Far RET, IRET and interrupt delivery are in protected.cpp.
#include "engine/cpu/segments.h"

#include "engine/cpu/intrinsics.h"

namespace rr86 {

uint32_t Descriptor::limit() const {
    uint32_t raw = (lo & 0xffff) | (hi & 0xf0000);
    return (hi & (1u << 23)) ? (raw << 12) | 0xfff : raw;
}

namespace {

uint32_t sel_error(uint16_t selector) { return selector & 0xfffcu; }

// Linear address of the descriptor `selector` names, or a fault (SDM vol. 3 §3.5.1: the index
// must lie within the GDT/LDT limit; an LDT reference needs a usable LDTR).
bool descriptor_address(Cpu& c, uint16_t selector, uint32_t& addr, uint8_t vector) {
    const bool ldt = selector & 4;
    uint32_t base = ldt ? c.s.ldtr.base : c.s.gdtr.base;
    uint32_t limit = ldt ? c.s.ldtr.limit : c.s.gdtr.limit;
    if (ldt && !(c.s.ldtr.attr & seg_attr::P)) return raise(c, vector, sel_error(selector));
    uint32_t index = selector & ~7u;
    if (index + 7 > limit) return raise(c, vector, sel_error(selector));
    addr = base + index;
    return true;
}

// Real and virtual-8086 mode loads (SDM vol. 3 §20.1.1, §20.2.1). Real mode keeps the cached
// limit and attributes ("unreal" mode); V86 mode forces a 64 KiB ring-3 data segment.
void load_segment_real(Cpu& c, unsigned seg, uint16_t selector) {
    Segment& s = c.s.seg[seg];
    s.selector = selector;
    s.base = uint32_t(selector) << 4;
    // A real-mode load makes a register usable again after a protected-mode null load (the
    // "unusable" state of SDM vol. 3 §26.3.1.2), leaving the cached limit and type alone.
    if (s.attr & seg_attr::S)
        s.attr |= seg_attr::P;
    else
        s.attr = seg_attr::P | seg_attr::S | seg_attr::WRITABLE | seg_attr::ACCESSED;
    if (c.v86_mode()) {
        s.limit = 0xffff;
        s.attr =
            seg_attr::P | seg_attr::S | seg_attr::DPL | seg_attr::WRITABLE | seg_attr::ACCESSED;
    }
}

// SS in protected mode (vol. 2 MOV: null -> #GP(0); RPL, DPL != CPL or not a writable data
// segment -> #GP(sel); not present -> #SS(sel)).
bool load_stack_segment(Cpu& c, uint16_t selector) {
    if (null_selector(selector)) return raise_gp(c, 0);
    unsigned cpl = c.s.cpl;
    if ((selector & 3u) != cpl) return raise_gp(c, sel_error(selector));
    Descriptor d;
    if (!read_descriptor(c, selector, d)) return false;
    if (!d.writable_data() || d.dpl() != cpl) return raise_gp(c, sel_error(selector));
    if (!d.present()) return raise(c, vec::SS, sel_error(selector));
    if (!mark_accessed(c, selector, d)) return false;
    c.s.seg[SS] = segment_from(selector, d);
    return true;
}

// DS, ES, FS, GS in protected mode (vol. 2 MOV: a null selector loads an unusable segment;
// otherwise a data or readable code segment, DPL >= max(CPL, RPL) unless conforming code).
bool load_data_segment(Cpu& c, unsigned seg, uint16_t selector) {
    if (null_selector(selector)) {
        set_null_segment(c, seg, selector);
        return true;
    }
    Descriptor d;
    if (!read_descriptor(c, selector, d)) return false;
    if (!d.readable()) return raise_gp(c, sel_error(selector));
    unsigned rpl = selector & 3u;
    if (!d.conforming() && (rpl > d.dpl() || c.s.cpl > d.dpl()))
        return raise_gp(c, sel_error(selector));
    if (!d.present()) return raise(c, vec::NP, sel_error(selector));
    if (!mark_accessed(c, selector, d)) return false;
    c.s.seg[seg] = segment_from(selector, d);
    return true;
}

// Checks for a direct far JMP/CALL to a code segment (vol. 3 §5.8.1, §5.8.2): conforming needs
// DPL <= CPL, non-conforming RPL <= CPL and DPL == CPL.
bool check_direct_code(Cpu& c, uint16_t selector, const Descriptor& d) {
    unsigned cpl = c.s.cpl;
    if (d.conforming() ? d.dpl() > cpl : ((selector & 3u) > cpl || d.dpl() != cpl))
        return raise_gp(c, sel_error(selector));
    if (!d.present()) return raise(c, vec::NP, sel_error(selector));
    return true;
}

// Enters the code segment `d` at `offset` with CPL unchanged (RPL of CS := CPL).
bool enter_same_level(Cpu& c, uint16_t selector, Descriptor& d, uint32_t offset) {
    if (offset > d.limit()) return raise_gp(c, 0);
    if (!mark_accessed(c, selector, d)) return false;
    set_code_segment(c, selector, d, c.s.cpl);
    c.s.eip = offset;
    return true;
}

// Pushes CS:EIP (the return address) on the current stack with `size`-byte slots, then enters
// the target at the current privilege level.
bool call_same_level(Cpu& c, uint16_t selector, Descriptor& d, uint32_t offset, unsigned size) {
    FarStack st = FarStack::current(c);
    if (!st.push(c.s.seg[CS].selector, size) || !st.push(c.s.eip, size)) return false;
    if (!enter_same_level(c, selector, d, offset)) return false;
    c.s.gpr[ESP] = st.sp; // move() kept the upper half of a 16-bit stack's ESP
    return true;
}

// Call gate to a more privileged non-conforming segment (vol. 3 §5.8.5, figure 5-13): switch to
// the TSS stack of the target DPL, push the caller's SS:ESP, copy `params` parameters, then push
// the caller's CS:EIP; all slots are the gate's size.
bool call_inner(Cpu& c, uint16_t tsel, Descriptor& cs, uint32_t offset, const Descriptor& gate) {
    unsigned dpl = cs.dpl();
    unsigned size = gate.type() == sys_type::CALL32 ? 4 : 2;
    uint16_t ss_sel;
    uint32_t esp;
    Descriptor ssd;
    if (!tss_inner_stack(c, dpl, ss_sel, esp, ssd)) return false;
    Segment new_ss = segment_from(ss_sel, ssd);
    FarStack inner(c, new_ss, esp, dpl, sel_error(ss_sel));
    FarStack outer = FarStack::current(c);
    if (!inner.push(c.s.seg[SS].selector, size) || !inner.push(c.s.gpr[ESP], size)) return false;
    for (unsigned n = gate.gate_params(); n-- > 0;) {
        uint32_t v;
        if (!outer.read_at(n * size, v, size) || !inner.push(v, size)) return false;
    }
    if (!inner.push(c.s.seg[CS].selector, size) || !inner.push(c.s.eip, size)) return false;
    if (offset > cs.limit()) return raise_gp(c, 0);
    if (!mark_accessed(c, tsel, cs)) return false;
    set_stack(c, new_ss, inner.sp);
    set_code_segment(c, tsel, cs, dpl);
    c.s.eip = offset;
    return true;
}

// Far JMP/CALL through a call gate (vol. 3 §5.8.4, vol. 2 JMP/CALL "call gate" paths).
bool through_call_gate(Cpu& c, uint16_t selector, const Descriptor& gate, bool call) {
    unsigned cpl = c.s.cpl;
    if (gate.dpl() < cpl || (selector & 3u) > gate.dpl()) return raise_gp(c, sel_error(selector));
    if (!gate.present()) return raise(c, vec::NP, sel_error(selector));
    uint16_t tsel = gate.gate_selector();
    bool gate32 = gate.type() == sys_type::CALL32;
    uint32_t offset = gate32 ? gate.gate_offset() : gate.gate_offset() & 0xffff;
    if (null_selector(tsel)) return raise_gp(c, 0);
    Descriptor cs;
    if (!read_descriptor(c, tsel, cs)) return false;
    if (!cs.code() || cs.dpl() > cpl) return raise_gp(c, sel_error(tsel));
    // JMP cannot change privilege: a non-conforming target must already be at CPL.
    if (!call && !cs.conforming() && cs.dpl() != cpl) return raise_gp(c, sel_error(tsel));
    if (!cs.present()) return raise(c, vec::NP, sel_error(tsel));
    if (!call) return enter_same_level(c, tsel, cs, offset);
    if (!cs.conforming() && cs.dpl() < cpl) return call_inner(c, tsel, cs, offset, gate);
    return call_same_level(c, tsel, cs, offset, gate32 ? 4 : 2);
}

// Protected-mode far JMP or CALL (vol. 2 JMP, CALL "protected mode" pseudocode).
bool far_transfer(Cpu& c, uint16_t selector, uint32_t offset, bool op32, bool call) {
    if (null_selector(selector)) return raise_gp(c, 0);
    Descriptor d;
    if (!read_descriptor(c, selector, d)) return false;
    if (!op32) offset &= 0xffff;
    if (d.code()) {
        if (!check_direct_code(c, selector, d)) return false;
        return call ? call_same_level(c, selector, d, offset, op32 ? 4 : 2)
                    : enter_same_level(c, selector, d, offset);
    }
    if (d.system()) {
        switch (d.type()) {
        case sys_type::CALL16:
        case sys_type::CALL32: return through_call_gate(c, selector, d, call);
        // Hardware task switching (task gates, TSS descriptors) is not emulated yet: the guest
        // gets #GP(selector) instead of a task switch (SDM vol. 3 §7.3 would switch tasks).
        default: break;
        }
    }
    return raise_gp(c, sel_error(selector));
}

} // namespace

bool read_descriptor(Cpu& c, uint16_t selector, Descriptor& d, uint8_t vector) {
    uint32_t addr;
    if (!descriptor_address(c, selector, addr, vector)) return false;
    return read_system(c, addr, 4, d.lo) && read_system(c, addr + 4, 4, d.hi);
}

bool mark_accessed(Cpu& c, uint16_t selector, Descriptor& d) {
    constexpr uint32_t kAccessed = 1u << 8;
    if (d.system() || (d.hi & kAccessed)) return true;
    uint32_t addr;
    if (!descriptor_address(c, selector, addr, vec::GP)) return false;
    if (!write_system(c, addr + 5, 1, ((d.hi | kAccessed) >> 8) & 0xff)) return false;
    d.hi |= kAccessed;
    return true;
}

Segment segment_from(uint16_t selector, const Descriptor& d) {
    return Segment{d.base(), d.limit(), selector, d.attr()};
}

bool load_segment(Cpu& c, unsigned seg, uint16_t selector) {
    if (!c.protected_mode() || c.v86_mode()) {
        load_segment_real(c, seg, selector);
    } else if (seg == SS) {
        if (!load_stack_segment(c, selector)) return false;
    } else if (!load_data_segment(c, seg, selector)) {
        return false;
    }
    c.refresh_segment(seg);
    if (seg == SS) c.end_block = true; // the stack size and the interrupt shadow changed
    return true;
}

void set_code_segment(Cpu& c, uint16_t selector, const Descriptor& d, unsigned cpl) {
    c.s.seg[CS] = segment_from(uint16_t((selector & 0xfffcu) | cpl), d);
    if (c.s.cpl != cpl) {
        c.s.cpl = uint8_t(cpl);
        c.flush_tlb(); // TLB entries are filled for one privilege level (cpu.h)
    }
    c.refresh_segment(CS);
    c.end_block = true;
}

bool real_far_target(Cpu& c, uint16_t selector, uint32_t offset) {
    if (offset > c.s.seg[CS].limit) return raise_gp(c, 0);
    load_segment_real(c, CS, selector);
    c.s.eip = offset;
    c.refresh_segment(CS);
    c.end_block = true;
    return true;
}

bool far_jump(Cpu& c, uint16_t selector, uint32_t offset, bool op32) {
    if (!op32) offset &= 0xffff;
    if (!c.protected_mode() || c.v86_mode()) return real_far_target(c, selector, offset);
    return far_transfer(c, selector, offset, op32, false);
}

bool far_call(Cpu& c, uint16_t selector, uint32_t offset, bool op32) {
    if (!c.protected_mode() || c.v86_mode()) {
        if (!op32) offset &= 0xffff;
        FarStack st = FarStack::current(c);
        unsigned size = op32 ? 4 : 2;
        if (!st.push(c.s.seg[CS].selector, size) || !st.push(c.s.eip, size)) return false;
        if (!real_far_target(c, selector, offset)) return false;
        c.s.gpr[ESP] = st.sp;
        return true;
    }
    return far_transfer(c, selector, offset, op32, true);
}

// ---- helpers ---------------------------------------------------------------------------------

SegCheck data_window(const Segment& s) {
    bool writable = s.attr & seg_attr::WRITABLE;
    if (!(s.attr & seg_attr::EXPAND_DOWN)) return SegCheck{0, s.limit, true, writable};
    uint32_t hi = (s.attr & seg_attr::DB) ? 0xffffffffu : 0xffffu;
    bool empty = s.limit >= hi;
    return SegCheck{s.limit + 1, hi, !empty, !empty && writable};
}

FarStack::FarStack(Cpu& cpu, const Segment& s, uint32_t esp, unsigned cpl, uint32_t err)
    : c(cpu), seg(s), win(data_window(s)), sp(esp), wide(s.attr & seg_attr::DB), user(cpl == 3),
      error(err) {}

FarStack FarStack::current(Cpu& cpu) {
    FarStack st(cpu, cpu.s.seg[SS], cpu.s.gpr[ESP], cpu.s.cpl, 0);
    st.win = cpu.segc[SS]; // as the mode checks it (real mode: limit only)
    return st;
}

bool FarStack::push(uint32_t v, unsigned size) {
    move(-int32_t(size));
    uint32_t off = offset(sp);
    if (off < win.lo || uint64_t(off) + size - 1 > win.hi || !win.writable)
        return raise(c, vec::SS, error);
    return write_linear_slow(c, seg.base + off, size, v, user);
}

bool FarStack::read_at(uint32_t delta, uint32_t& v, unsigned size) {
    uint32_t off = offset(sp + delta);
    if (off < win.lo || uint64_t(off) + size - 1 > win.hi || !win.readable)
        return raise(c, vec::SS, error);
    return read_linear_slow(c, seg.base + off, size, v, user);
}

bool FarStack::pop(uint32_t& v, unsigned size) {
    if (!read_at(0, v, size)) return false;
    move(int32_t(size));
    return true;
}

bool tss_inner_stack(Cpu& c, unsigned dpl, uint16_t& ss, uint32_t& esp, Descriptor& ssd) {
    const Segment& tr = c.s.tr;
    unsigned type = tr.attr & 0xf;
    bool tss32 = type == sys_type::TSS32 || type == sys_type::TSS32_BUSY;
    // 32-bit TSS: ESPn at 4 + 8n, SSn at 8 + 8n; 16-bit TSS: SPn at 2 + 4n, SSn at 4 + 4n
    // (SDM vol. 3 §7.2.1 figure 7-2, §7.6 figure 7-11).
    uint32_t off = tss32 ? 4 + 8 * dpl : 2 + 4 * dpl;
    if (off + (tss32 ? 5 : 3) > tr.limit) return raise(c, vec::TS, sel_error(tr.selector));
    uint32_t v_sp, v_ss;
    unsigned size = tss32 ? 4 : 2;
    if (!read_system(c, tr.base + off, size, v_sp) ||
        !read_system(c, tr.base + off + size, 2, v_ss))
        return false;
    ss = uint16_t(v_ss);
    esp = v_sp;
    if (null_selector(ss)) return raise(c, vec::TS, 0);
    if (!read_descriptor(c, ss, ssd, vec::TS)) return false;
    if ((ss & 3u) != dpl || ssd.dpl() != dpl || !ssd.writable_data())
        return raise(c, vec::TS, sel_error(ss));
    if (!ssd.present()) return raise(c, vec::SS, sel_error(ss));
    return mark_accessed(c, ss, ssd);
}

void set_stack(Cpu& c, const Segment& ss, uint32_t esp) {
    c.s.seg[SS] = ss;
    if (ss.attr & seg_attr::DB)
        c.s.gpr[ESP] = esp;
    else
        c.s.gpr[ESP] = (c.s.gpr[ESP] & 0xffff0000u) | (esp & 0xffff);
    c.refresh_segment(SS);
}

void set_null_segment(Cpu& c, unsigned seg, uint16_t selector) {
    Segment& s = c.s.seg[seg];
    s.selector = selector;
    s.attr &= uint16_t(~seg_attr::P);
    c.refresh_segment(seg);
}

void null_inaccessible_segments(Cpu& c) {
    const unsigned data_segs[] = {ES, DS, FS, GS};
    for (unsigned seg : data_segs) {
        const Segment& s = c.s.seg[seg];
        if (!(s.attr & seg_attr::P) || !(s.attr & seg_attr::S)) continue; // already unusable
        bool conforming = (s.attr & seg_attr::CODE) && (s.attr & seg_attr::CONFORMING);
        unsigned dpl = (s.attr & seg_attr::DPL) >> seg_attr::DPL_SHIFT;
        if (!conforming && dpl < c.s.cpl) set_null_segment(c, seg, 0);
    }
}

} // namespace rr86
