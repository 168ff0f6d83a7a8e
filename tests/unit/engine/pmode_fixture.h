// Protected-mode test fixture: a GDT, an IDT and a 32-bit TSS in RAM, built by hand.
//
//   PmFixture f;           // 32-bit protected mode, CPL 0, CS = 0x08, data = 0x10, paging off
//   f.gdt(7, data(0x20000, 0xfff, 0x92, 0x4));   // descriptor 7 = selector 0x38
//   f.idt(0x20, gate(0x08, 0x3000, 0x8e));        // 32-bit interrupt gate, DPL 0
//   f.ring3(0x5000, 0x7000);                      // CS = 0x1b, SS/DS/ES/FS/GS = 0x23, CPL 3
#pragma once

#include "tests/unit/engine/cpu_fixture.h"

namespace rr86::test {

// An 8-byte code/data/system descriptor: `access` is byte 5 (P DPL S type), `flags` the G/D/L/AVL
// nibble, `limit` the raw 20-bit field (SDM vol. 3 §3.4.5 figure 3-8).
inline uint64_t seg_desc(uint32_t base, uint32_t limit, uint8_t access, uint8_t flags) {
    uint32_t lo = (limit & 0xffff) | (base << 16);
    uint32_t hi = ((base >> 16) & 0xff) | (uint32_t(access) << 8) | (limit & 0xf0000) |
                  (uint32_t(flags & 0xf) << 20) | (base & 0xff000000u);
    return lo | (uint64_t(hi) << 32);
}

// A call/interrupt/trap/task gate (SDM vol. 3 figure 5-8, figure 6-2).
inline uint64_t gate_desc(uint16_t selector, uint32_t offset, uint8_t access, uint8_t params = 0) {
    uint32_t lo = (offset & 0xffff) | (uint32_t(selector) << 16);
    uint32_t hi = (offset & 0xffff0000u) | (uint32_t(access) << 8) | (params & 0x1f);
    return lo | (uint64_t(hi) << 32);
}

struct PmFixture : CpuFixture {
    static constexpr uint32_t kGdt = 0x10000, kIdt = 0x11000, kTss = 0x12000;
    static constexpr uint32_t kStack0 = 0x9000; // ring-0 ESP in the TSS
    // Standard selectors.
    static constexpr uint16_t kCode0 = 0x08, kData0 = 0x10, kCode3 = 0x1b, kData3 = 0x23;
    static constexpr uint16_t kTssSel = 0x28;

    int irq_vector = -1; // the vector intr_ack returns (once: it drops the line)

    PmFixture() {
        gdt(1, seg_desc(0, 0xfffff, 0x9b, 0xc)); // 0x08 ring-0 code, flat 32-bit
        gdt(2, seg_desc(0, 0xfffff, 0x93, 0xc)); // 0x10 ring-0 data
        gdt(3, seg_desc(0, 0xfffff, 0xfb, 0xc)); // 0x18 ring-3 code
        gdt(4, seg_desc(0, 0xfffff, 0xf3, 0xc)); // 0x20 ring-3 data
        gdt(5, seg_desc(kTss, 0x67, 0x89, 0));   // 0x28 32-bit TSS (available)
        poke_as<uint32_t>(kTss + 4, kStack0);    // ESP0
        poke_as<uint32_t>(kTss + 8, kData0);     // SS0
        flat32();
        s().gdtr = {kGdt, 0x1ff};
        s().idtr = {kIdt, 0x7ff};
        s().tr = Segment{kTss, 0x67, kTssSel, uint16_t(seg_attr::P | 0xb)};
        cpu.intr_ctx = this;
        cpu.intr_ack = [](void* ctx) -> int {
            auto* f = static_cast<PmFixture*>(ctx);
            f->cpu.intr = false;
            return f->irq_vector;
        };
    }

    void gdt(unsigned index, uint64_t d) { poke_as<uint64_t>(kGdt + index * 8, d); }
    void idt(unsigned vector, uint64_t d) { poke_as<uint64_t>(kIdt + vector * 8, d); }
    uint64_t gdt_entry(unsigned index) { return peek<uint64_t>(kGdt + index * 8); }

    // Puts the CPU at CPL 3 with the flat ring-3 segments (as an IRET to ring 3 would).
    void ring3(uint32_t eip, uint32_t esp) {
        constexpr uint16_t kAttr3 = 0xc00 | 0xf3;
        for (unsigned i = 0; i < kNumSegs; ++i)
            s().seg[i] = {0, 0xffffffffu, kData3, kAttr3};
        s().seg[CS] = {0, 0xffffffffu, kCode3, uint16_t(kAttr3 | seg_attr::CODE)};
        s().cpl = 3;
        s().eip = eip;
        s().gpr[ESP] = esp;
        cpu.state_changed();
    }

    void raise_irq(int vector) {
        irq_vector = vector;
        cpu.intr = true;
    }
};

} // namespace rr86::test
