// Delivery of exceptions and interrupts through the IVT (real mode) or the IDT (protected mode),
// with the double-fault and triple-fault rules of SDM vol. 3 §6.15 (interrupt 8, table 6-5).
#pragma once

#include "engine/cpu/cpu.h"

namespace rr86 {

enum class EventKind : uint8_t {
    Fault,    // exception; EIP points at the faulting instruction
    Trap,     // exception reported after the instruction (#DB single-step, #OF from INTO, #BP)
    Software, // INT n: privilege-checked against the gate DPL in protected mode
    External, // INTR from the PIC or NMI
};

// Delivers `vector`; EIP must already hold the return address to push. On a fault during
// delivery, escalates to #DF, and from #DF to a triple fault (Cpu::request_exit(TRIPLE_FAULT)).
void deliver_event(Cpu& c, uint8_t vector, uint32_t error, EventKind kind);

// Delivers the fault recorded in c.fault (and clears it).
void deliver_pending_fault(Cpu& c);

// Protected-mode delivery through the IDT (protected.cpp); false with c.fault set on a fault.
bool deliver_protected(Cpu& c, uint8_t vector, uint32_t error, EventKind kind);

} // namespace rr86
