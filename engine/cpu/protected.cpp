// Far RET, IRET and interrupt/exception delivery through the IDT: the transfers that may return
// to an outer privilege level or enter an inner one through a gate (SDM vol. 3 §5.8.6, §6.10 -
// §6.14; vol. 2 RET, IRET, INT n). Far JMP/CALL and segment loads are in segments.cpp.
#include "engine/cpu/exceptions.h"
#include "engine/cpu/flags.h"
#include "engine/cpu/intrinsics.h"
#include "engine/cpu/segments.h"

namespace rr86 {

namespace {

uint32_t sel_error(uint16_t selector) { return selector & 0xfffcu; }
unsigned iopl(uint32_t eflags) { return (eflags & fl::IOPL) >> 12; }

// ---- returns ---------------------------------------------------------------------------------

// The code segment a far RET/IRET returns to (vol. 2 RET "protected mode"): RPL >= CPL, a
// conforming segment with DPL <= RPL or a non-conforming one with DPL == RPL, present.
bool check_return_code(Cpu& c, uint16_t sel, Descriptor& d) {
    if (null_selector(sel)) return raise_gp(c, 0);
    if (!read_descriptor(c, sel, d)) return false;
    unsigned rpl = sel & 3u;
    if (!d.code() || rpl < c.s.cpl) return raise_gp(c, sel_error(sel));
    if (d.conforming() ? d.dpl() > rpl : d.dpl() != rpl) return raise_gp(c, sel_error(sel));
    if (!d.present()) return raise(c, vec::NP, sel_error(sel));
    return true;
}

// The stack segment of a return to the outer level `rpl`: a present writable data segment with
// RPL == DPL == the new CPL (#GP(0) null, #GP(sel) otherwise, #SS(sel) not present).
bool check_return_stack(Cpu& c, uint16_t sel, unsigned rpl, Descriptor& d) {
    if (null_selector(sel)) return raise_gp(c, 0);
    if (!read_descriptor(c, sel, d)) return false;
    if ((sel & 3u) != rpl || !d.writable_data() || d.dpl() != rpl)
        return raise_gp(c, sel_error(sel));
    if (!d.present()) return raise(c, vec::SS, sel_error(sel));
    return mark_accessed(c, sel, d);
}

// Common tail of far RET and IRET once CS:EIP (and EFLAGS, for IRET) are off the stack: returns
// to the same level or pops SS:ESP and returns to an outer one. `pop_bytes` are released after
// CS:EIP on the old stack and again on the new one (RET imm16). `flags_for` maps the CPL the
// return starts from to the EFLAGS to load (IRET), or is empty (RET).
template <class Flags>
bool return_to(Cpu& c, FarStack& st, uint16_t sel, uint32_t eip, uint16_t pop_bytes, unsigned size,
               Flags flags_for) {
    Descriptor cs;
    if (!check_return_code(c, sel, cs)) return false;
    unsigned rpl = sel & 3u, old_cpl = c.s.cpl;
    st.move(pop_bytes);
    if (rpl == old_cpl) {
        if (eip > cs.limit()) return raise_gp(c, 0);
        if (!mark_accessed(c, sel, cs)) return false;
        flags_for(old_cpl);
        set_code_segment(c, sel, cs, rpl);
        c.s.gpr[ESP] = st.sp;
        c.s.eip = eip;
        return true;
    }
    uint32_t esp, ss;
    Descriptor ssd;
    if (!st.pop(esp, size) || !st.pop(ss, size)) return false;
    if (!check_return_stack(c, uint16_t(ss), rpl, ssd)) return false;
    if (eip > cs.limit()) return raise_gp(c, 0);
    if (!mark_accessed(c, sel, cs)) return false;
    flags_for(old_cpl);
    set_code_segment(c, sel, cs, rpl);
    set_stack(c, segment_from(uint16_t(ss), ssd), esp + pop_bytes);
    c.s.eip = eip;
    null_inaccessible_segments(c);
    return true;
}

// EFLAGS loaded by a protected-mode IRET from privilege `cpl` (vol. 2 IRET): IF only when
// CPL <= IOPL, IOPL (and VIF/VIP) only at CPL 0; a 16-bit IRET loads the low word only.
uint32_t iret_flags(uint32_t old, uint32_t popped, bool op32, unsigned cpl) {
    uint32_t mask = fl::ARITH | fl::TF | fl::DF | fl::NT;
    if (op32) mask |= fl::RF | fl::AC | fl::ID;
    if (cpl <= iopl(old)) mask |= fl::IF;
    if (cpl == 0) mask |= fl::IOPL | (op32 ? fl::VIF | fl::VIP : 0);
    return (old & ~mask) | (popped & mask);
}

// Real mode IRET (vol. 2 IRET "real-address mode"): every flag of the popped image except VM,
// VIF, VIP. Virtual-8086 mode (IOPL 3 only, no VME) keeps IOPL too (vol. 3 §20.2.7).
bool iret_real(Cpu& c, bool op32) {
    bool v86 = c.v86_mode();
    uint32_t old = read_eflags(c.s);
    if (v86 && iopl(old) != 3) return raise_gp(c, 0);
    unsigned size = op32 ? 4 : 2;
    FarStack st = FarStack::current(c);
    uint32_t eip, cs, popped;
    if (!st.pop(eip, size) || !st.pop(cs, size) || !st.pop(popped, size)) return false;
    if (!real_far_target(c, uint16_t(cs), eip)) return false;
    uint32_t mask = op32 ? 0x257fd5u : 0xffffu; // vol. 2 IRET: (tempEFLAGS AND 257FD5H)
    if (v86) mask &= ~fl::IOPL;
    write_eflags(c.s, (old & ~mask) | (popped & mask));
    c.s.gpr[ESP] = st.sp;
    return true;
}

bool iret_protected(Cpu& c, bool op32) {
    if (c.s.eflags & fl::NT) {
        // Task return through the TSS back link: hardware task switching is not emulated yet,
        // so the guest gets #GP(back link) instead (SDM vol. 3 §7.3 would switch tasks).
        uint32_t link;
        if (!read_system(c, c.s.tr.base, 2, link)) return false;
        return raise_gp(c, sel_error(uint16_t(link)));
    }
    unsigned size = op32 ? 4 : 2;
    FarStack st = FarStack::current(c);
    uint32_t eip, cs, popped;
    if (!st.pop(eip, size) || !st.pop(cs, size) || !st.pop(popped, size)) return false;
    // Return to virtual-8086 mode (VM = 1 popped at CPL 0) is not emulated yet: #GP(0).
    if (op32 && (popped & fl::VM) && c.s.cpl == 0) return raise_gp(c, 0);
    uint32_t old = read_eflags(c.s);
    return return_to(c, st, uint16_t(cs), eip, 0, size,
                     [&](unsigned cpl) { write_eflags(c.s, iret_flags(old, popped, op32, cpl)); });
}

// ---- interrupt delivery ----------------------------------------------------------------------

bool has_error_code(uint8_t vector, EventKind kind) {
    if (kind != EventKind::Fault && kind != EventKind::Trap) return false;
    return vector == vec::DF || (vector >= vec::TS && vector <= vec::PF) || vector == vec::AC;
}

// What the gate transfer needs once the IDT entry and target code segment are checked.
struct GateTarget {
    uint16_t sel;
    Descriptor cs;
    uint32_t offset;
    unsigned size; // 4 for a 32-bit gate, 2 for a 16-bit one
    bool interrupt_gate;
};

// Pushes the interrupt frame (vol. 3 §6.12.1 figure 6-4) on `st`, then loads CS:EIP, EFLAGS and
// (for a privilege change) SS:ESP. `vm`: interrupted virtual-8086 code, whose data segment
// registers are pushed first and then nulled (figure 20-5 in §20.3.1.1).
bool push_frame_and_enter(Cpu& c, const GateTarget& g, FarStack& st, bool inner, uint32_t error,
                          bool push_error) {
    CpuState& s = c.s;
    unsigned size = g.size;
    bool vm = c.v86_mode();
    if (vm && (!st.push(s.seg[GS].selector, size) || !st.push(s.seg[FS].selector, size) ||
               !st.push(s.seg[DS].selector, size) || !st.push(s.seg[ES].selector, size)))
        return false;
    if (inner && (!st.push(s.seg[SS].selector, size) || !st.push(s.gpr[ESP], size))) return false;
    if (!st.push(read_eflags(s), size) || !st.push(s.seg[CS].selector, size) ||
        !st.push(s.eip, size))
        return false;
    if (push_error && !st.push(error == kNoErrorCode ? 0 : error, size)) return false;
    if (g.offset > g.cs.limit()) return raise_gp(c, 0);
    Descriptor cs = g.cs;
    if (!mark_accessed(c, g.sel, cs)) return false;

    // Committed from here on. EFLAGS first: clearing VM changes how segments are checked.
    uint32_t f = read_eflags(s) & ~(fl::TF | fl::NT | fl::RF | fl::VM);
    if (g.interrupt_gate) f &= ~fl::IF;
    write_eflags(s, f);
    unsigned new_cpl = inner ? cs.dpl() : s.cpl;
    if (inner) {
        set_stack(c, st.seg, st.sp);
    } else {
        s.gpr[ESP] = st.sp;
    }
    if (vm) {
        const unsigned data_segs[] = {ES, DS, FS, GS};
        for (unsigned seg : data_segs)
            set_null_segment(c, seg, 0);
    }
    set_code_segment(c, g.sel, cs, new_cpl);
    s.eip = g.offset;
    return true;
}

// Reads and checks IDT entry `vector` and the code segment it names (vol. 2 INT n pseudocode,
// vol. 3 §6.12.1.1). Error codes carry the IDT bit; EXT is added by the caller.
bool read_gate(Cpu& c, uint8_t vector, bool software, GateTarget& g) {
    uint32_t idt_error = uint32_t(vector) * 8 + 2;
    if (uint32_t(vector) * 8 + 7 > c.s.idtr.limit) return raise_gp(c, idt_error);
    Descriptor gate;
    uint32_t addr = c.s.idtr.base + uint32_t(vector) * 8;
    if (!read_system(c, addr, 4, gate.lo) || !read_system(c, addr + 4, 4, gate.hi)) return false;
    unsigned type = gate.type();
    bool known = type == sys_type::TASK || type == sys_type::INT16 || type == sys_type::TRAP16 ||
                 type == sys_type::INT32 || type == sys_type::TRAP32;
    if (!gate.system() || !known) return raise_gp(c, idt_error);
    // Only INT n, INT3 and INTO are checked against the gate DPL (§6.12.1.1).
    if (software && gate.dpl() < c.s.cpl) return raise_gp(c, idt_error);
    if (!gate.present()) return raise(c, vec::NP, idt_error);
    // Task gates need hardware task switching, which is not emulated yet: #GP(IDT entry).
    if (type == sys_type::TASK) return raise_gp(c, idt_error);
    g.sel = gate.gate_selector();
    g.size = type >= sys_type::INT32 ? 4 : 2;
    g.offset = g.size == 4 ? gate.gate_offset() : gate.gate_offset() & 0xffff;
    g.interrupt_gate = type == sys_type::INT16 || type == sys_type::INT32;
    if (null_selector(g.sel)) return raise_gp(c, 0);
    if (!read_descriptor(c, g.sel, g.cs)) return false;
    if (!g.cs.code() || g.cs.dpl() > c.s.cpl) return raise_gp(c, sel_error(g.sel));
    if (!g.cs.present()) return raise(c, vec::NP, sel_error(g.sel));
    return true;
}

bool deliver_through_idt(Cpu& c, uint8_t vector, uint32_t error, EventKind kind, bool software) {
    // INT n in virtual-8086 mode is IOPL-sensitive (vol. 3 §20.3.3, no VME).
    if (c.v86_mode() && kind == EventKind::Software && iopl(c.s.eflags) != 3) return raise_gp(c, 0);
    GateTarget g;
    if (!read_gate(c, vector, software, g)) return false;
    bool inner = !g.cs.conforming() && g.cs.dpl() < c.s.cpl;
    // From virtual-8086 mode only a ring-0 non-conforming handler can be entered (§20.3.1.1).
    if (c.v86_mode() && (!inner || g.cs.dpl() != 0)) return raise_gp(c, sel_error(g.sel));
    bool push_error = has_error_code(vector, kind);
    if (!inner) {
        FarStack st = FarStack::current(c);
        return push_frame_and_enter(c, g, st, false, error, push_error);
    }
    unsigned dpl = g.cs.dpl();
    uint16_t ss;
    uint32_t esp;
    Descriptor ssd;
    if (!tss_inner_stack(c, dpl, ss, esp, ssd)) return false;
    FarStack st(c, segment_from(ss, ssd), esp, dpl, sel_error(ss));
    return push_frame_and_enter(c, g, st, true, error, push_error);
}

} // namespace

bool far_return(Cpu& c, bool op32, uint16_t pop_bytes) {
    unsigned size = op32 ? 4 : 2;
    FarStack st = FarStack::current(c);
    uint32_t eip, cs;
    if (!st.pop(eip, size) || !st.pop(cs, size)) return false;
    if (!c.protected_mode() || c.v86_mode()) {
        if (!real_far_target(c, uint16_t(cs), eip)) return false;
        st.move(pop_bytes);
        c.s.gpr[ESP] = st.sp;
        return true;
    }
    return return_to(c, st, uint16_t(cs), eip, pop_bytes, size, [](unsigned) {});
}

bool interrupt_return(Cpu& c, bool op32) {
    bool ok = c.protected_mode() && !c.v86_mode() ? iret_protected(c, op32) : iret_real(c, op32);
    if (!ok) return false;
    c.s.nmi_blocked = 0; // IRET ends NMI blocking (vol. 3 §6.7.1)
    c.end_block = true;  // IF may have changed with an interrupt pending
    return true;
}

bool deliver_protected(Cpu& c, uint8_t vector, uint32_t error, EventKind kind) {
    // INT n, INT3 and INTO are software interrupts; everything else (INTR, NMI, exceptions,
    // INT1) is external to the program and sets EXT in error codes raised during delivery.
    bool software = kind == EventKind::Software ||
                    (kind == EventKind::Trap && (vector == vec::BP || vector == vec::OF));
    if (deliver_through_idt(c, vector, error, kind, software)) return true;
    PendingFault& f = c.fault;
    bool selector_format =
        f.vector == vec::TS || f.vector == vec::NP || f.vector == vec::SS || f.vector == vec::GP;
    if (!software && selector_format && f.error != kNoErrorCode) f.error |= 1; // EXT, §6.13
    return false;
}

} // namespace rr86
