#include "engine/cpu/exceptions.h"

#include "engine/cpu/flags.h"

#include "engine/cpu/intrinsics.h"
#include "engine/cpu/operands.h"

namespace rr86 {

namespace {

// Exception classes for double-fault detection, SDM vol. 3 table 6-4.
enum class Class { Benign, Contributory, PageFault };

Class classify(uint8_t v) {
    switch (v) {
    case vec::DE:
    case vec::TS:
    case vec::NP:
    case vec::SS:
    case vec::GP: return Class::Contributory;
    case vec::PF: return Class::PageFault;
    default: return Class::Benign;
    }
}

// Table 6-5: which first/second exception pairs make a double fault.
bool makes_double_fault(uint8_t first, uint8_t second) {
    Class a = classify(first), b = classify(second);
    if (a == Class::Contributory) return b == Class::Contributory;
    if (a == Class::PageFault) return b != Class::Benign;
    return false;
}

// Real-mode delivery through the IVT (SDM vol. 3 §20.1.4): push FLAGS, CS, IP; clear IF, TF, AC.
bool deliver_real(Cpu& c, uint8_t vector) {
    uint32_t entry = uint32_t(vector) * 4;
    if (entry + 3 > c.s.idtr.limit) return raise_gp(c, entry + 2);
    uint32_t ip, cs;
    if (!read_system(c, c.s.idtr.base + entry, 2, ip) ||
        !read_system(c, c.s.idtr.base + entry + 2, 2, cs))
        return false;
    Stack st(c);
    if (!st.push<uint16_t>(uint16_t(read_eflags(c.s))) ||
        !st.push<uint16_t>(c.s.seg[CS].selector) || !st.push<uint16_t>(uint16_t(c.s.eip)))
        return false;
    st.commit();
    c.s.eflags &= ~(fl::IF | fl::TF | fl::AC | fl::RF);
    c.s.seg[CS].selector = uint16_t(cs);
    c.s.seg[CS].base = cs << 4;
    c.refresh_segment(CS); // SegCheck::flat depends on the base
    c.s.eip = ip & 0xffff;
    return true;
}

bool deliver_once(Cpu& c, uint8_t vector, uint32_t error, EventKind kind) {
    c.s.halted = 0;
    if (c.protected_mode()) return deliver_protected(c, vector, error, kind);
    return deliver_real(c, vector);
}

} // namespace

void deliver_event(Cpu& c, uint8_t vector, uint32_t error, EventKind kind) {
    c.end_block = true;
    if (deliver_once(c, vector, error, kind)) return;
    // INT n/INT3/INTO run inside their instruction: leaving the fault in c.fault lets the
    // interpreter put EIP back on the INT and deliver it from there, as the SDM reports faults
    // raised while delivering a software interrupt (vol. 3 §6.12.1.1, e.g. #GP(vector*8+2)).
    if (kind == EventKind::Software) return;
    PendingFault second = c.fault;
    c.fault = {};
    bool is_exception = kind == EventKind::Fault || kind == EventKind::Trap;
    if (vector == vec::DF) {
        c.request_exit(cpu_exit::TRIPLE_FAULT); // SDM §6.15: fault while delivering #DF
        return;
    }
    if (is_exception && makes_double_fault(vector, second.vector)) {
        if (deliver_once(c, vec::DF, 0, EventKind::Fault)) return;
        c.fault = {};
        c.request_exit(cpu_exit::TRIPLE_FAULT);
        return;
    }
    // Benign pairs: the second exception is delivered serially (§6.15, table 6-5).
    if (deliver_once(c, second.vector, second.error, EventKind::Fault)) return;
    PendingFault third = c.fault;
    c.fault = {};
    if (makes_double_fault(second.vector, third.vector) &&
        deliver_once(c, vec::DF, 0, EventKind::Fault))
        return;
    c.fault = {};
    c.request_exit(cpu_exit::TRIPLE_FAULT);
}

void deliver_pending_fault(Cpu& c) {
    PendingFault f = c.fault;
    c.fault = {};
    deliver_event(c, f.vector, f.error, EventKind::Fault);
}

} // namespace rr86
