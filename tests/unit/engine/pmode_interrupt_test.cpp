// Protected-mode interrupt and exception delivery through the IDT, IRET, #DF and triple faults.
#include "engine/cpu/exceptions.h"
#include "engine/cpu/segments.h"
#include "tests/unit/engine/pmode_fixture.h"

#include <doctest/doctest.h>

using namespace rr86;
using rr86::test::gate_desc;
using rr86::test::PmFixture;
using rr86::test::seg_desc;

namespace {
constexpr uint32_t kTop0 = PmFixture::kStack0; // ring-0 stack top from the TSS
} // namespace

TEST_CASE("interrupt gate from ring 3 switches stacks, clears IF, and IRET returns to ring 3") {
    PmFixture f;
    f.idt(0x20, gate_desc(0x08, 0x3000, 0x8e)); // 32-bit interrupt gate DPL 0
    f.ring3(0x1000, 0x7000);
    f.s().eflags |= fl::IF;
    f.code({0xeb, 0xfe}); // jmp $
    f.poke(0x3000,
           {0x89, 0xe2, 0x8c, 0xc8, 0xf4, 0xcf}); // mov edx, esp ; mov eax, cs ; hlt ; iretd
    f.raise_irq(0x20);
    f.run(10);
    REQUIRE(f.s().halted == 1);
    CHECK(f.s().cpl == 0);
    CHECK(f.s().gpr[EAX] == 0x08);
    CHECK(f.s().seg[SS].selector == 0x10);
    CHECK(f.s().gpr[EDX] == kTop0 - 20);
    CHECK((f.flags() & fl::IF) == 0);
    CHECK(f.peek<uint32_t>(kTop0 - 4) == 0x23);   // SS
    CHECK(f.peek<uint32_t>(kTop0 - 8) == 0x7000); // ESP
    CHECK((f.peek<uint32_t>(kTop0 - 12) & fl::IF) != 0);
    CHECK(f.peek<uint32_t>(kTop0 - 16) == 0x1b);   // CS
    CHECK(f.peek<uint32_t>(kTop0 - 20) == 0x1000); // EIP: the interrupted jmp
    f.s().halted = 0;
    f.run(5);
    CHECK(f.s().cpl == 3);
    CHECK(f.s().seg[CS].selector == 0x1b);
    CHECK(f.s().seg[SS].selector == 0x23);
    CHECK(f.s().gpr[ESP] == 0x7000);
    CHECK(f.s().eip == 0x1000);
    CHECK((f.flags() & fl::IF) != 0);
}

TEST_CASE("trap gate keeps IF, clears TF and NT; a 16-bit gate pushes a 16-bit frame") {
    PmFixture f;
    f.idt(0x30, gate_desc(0x08, 0x3000, 0x8f)); // 32-bit trap gate
    f.idt(0x31, gate_desc(0x08, 0x4000, 0x86)); // 16-bit interrupt gate
    f.s().gpr[ESP] = 0x8000;
    f.s().eip = 0x1234;
    f.s().eflags |= fl::IF | fl::NT | fl::TF;
    deliver_event(f.cpu, 0x30, kNoErrorCode, EventKind::Software);
    CHECK(!f.cpu.fault.active);
    CHECK(f.s().eip == 0x3000);
    CHECK((f.flags() & fl::IF) != 0);
    CHECK((f.flags() & (fl::TF | fl::NT)) == 0);
    CHECK(f.s().gpr[ESP] == 0x8000 - 12);
    CHECK(f.peek<uint32_t>(0x8000 - 12) == 0x1234);

    f.s().gpr[ESP] = 0x8000;
    f.s().eip = 0x5678;
    deliver_event(f.cpu, 0x31, kNoErrorCode, EventKind::Software);
    CHECK(f.s().eip == 0x4000);
    CHECK((f.flags() & fl::IF) == 0);
    CHECK(f.s().gpr[ESP] == 0x8000 - 6);
    CHECK(f.peek<uint16_t>(0x8000 - 6) == 0x5678);
    CHECK(f.peek<uint16_t>(0x8000 - 4) == 0x08);
}

TEST_CASE("error codes are pushed for faults only, never for INT n or external interrupts") {
    PmFixture f;
    f.idt(13, gate_desc(0x08, 0x3000, 0xee)); // DPL 3 so INT 13 is allowed
    f.s().eip = 0x1000;
    for (EventKind kind : {EventKind::Fault, EventKind::External, EventKind::Software}) {
        f.s().gpr[ESP] = 0x8000;
        deliver_event(f.cpu, vec::GP, kind == EventKind::Fault ? 0x18 : kNoErrorCode, kind);
        bool fault = kind == EventKind::Fault;
        CHECK(f.s().gpr[ESP] == 0x8000 - (fault ? 16 : 12));
        if (fault) CHECK(f.peek<uint32_t>(0x8000 - 16) == 0x18);
    }
}

TEST_CASE("INT n through a gate with DPL < CPL raises #GP(vector*8+2) on the INT") {
    PmFixture f;
    f.idt(0x40, gate_desc(0x08, 0x3000, 0x8e)); // DPL 0
    f.idt(13, gate_desc(0x08, 0x4000, 0x8e));
    f.poke(0x4000, {0xf4});
    f.ring3(0x1000, 0x7000);
    f.code({0xcd, 0x40}); // int 0x40
    f.run(5);
    CHECK(f.s().halted == 1);
    CHECK(f.s().eip == 0x4001);
    CHECK(f.peek<uint32_t>(kTop0 - 24) == 0x40 * 8 + 2); // error code: IDT bit, EXT clear
    CHECK(f.peek<uint32_t>(kTop0 - 20) == 0x1000);       // EIP of the INT itself
}

TEST_CASE("not-present gate raises #NP with the IDT error code (EXT for external events)") {
    PmFixture f;
    f.idt(0x41, gate_desc(0x08, 0x3000, 0x6e)); // DPL 3, P = 0
    f.s().gpr[ESP] = 0x8000;
    f.cpu.fault = {};
    CHECK(!deliver_protected(f.cpu, 0x41, kNoErrorCode, EventKind::Software));
    CHECK(f.cpu.fault.vector == vec::NP);
    CHECK(f.cpu.fault.error == 0x41 * 8 + 2);
    f.cpu.fault = {};
    CHECK(!deliver_protected(f.cpu, 0x41, kNoErrorCode, EventKind::External));
    CHECK(f.cpu.fault.vector == vec::NP);
    CHECK(f.cpu.fault.error == 0x41 * 8 + 3);
    f.cpu.fault = {};
    CHECK(f.s().gpr[ESP] == 0x8000);

    // End to end: INT 0x41 -> #NP handler with the error code on its stack.
    f.idt(vec::NP, gate_desc(0x08, 0x4000, 0x8e));
    f.poke(0x4000, {0xf4});
    f.code({0xcd, 0x41});
    f.run();
    CHECK(f.s().eip == 0x4001);
    CHECK(f.peek<uint32_t>(0x8000 - 16) == 0x41 * 8 + 2);
    CHECK(f.peek<uint32_t>(0x8000 - 12) == 0x1000);
}

TEST_CASE("IDT limit, gate type and target code segment checks") {
    PmFixture f;
    f.s().gpr[ESP] = 0x8000;
    f.gdt(6, seg_desc(0, 0xfffff, 0x1a, 0xc));  // 0x30: not-present code
    f.idt(0x50, gate_desc(0x08, 0x3000, 0x8c)); // a call gate in the IDT
    f.idt(0x51, gate_desc(0x28, 0, 0x85));      // task gate: not emulated -> #GP
    f.idt(0x52, gate_desc(0x10, 0x3000, 0x8e)); // target is data
    f.idt(0x53, gate_desc(0x30, 0x3000, 0x8e)); // target not present
    f.idt(0x54, gate_desc(0x00, 0x3000, 0x8e)); // null target
    auto fault = [&](uint8_t v, EventKind kind) {
        f.cpu.fault = {};
        CHECK(!deliver_protected(f.cpu, v, kNoErrorCode, kind));
        PendingFault r = f.cpu.fault;
        f.cpu.fault = {};
        return std::pair<int, uint32_t>(r.vector, r.error);
    };
    using P = std::pair<int, uint32_t>;
    CHECK(fault(0x50, EventKind::External) == P(vec::GP, 0x50 * 8 + 3));
    CHECK(fault(0x51, EventKind::External) == P(vec::GP, 0x51 * 8 + 3));
    CHECK(fault(0x52, EventKind::External) == P(vec::GP, 0x11));
    CHECK(fault(0x53, EventKind::External) == P(vec::NP, 0x31));
    CHECK(fault(0x53, EventKind::Software) == P(vec::NP, 0x30)); // INT n: EXT clear
    CHECK(fault(0x54, EventKind::Fault) == P(vec::GP, 1));
    f.s().idtr.limit = 0x50 * 8 + 6; // one byte short of gate 0x50
    CHECK(fault(0x50, EventKind::Software) == P(vec::GP, 0x50 * 8 + 2));
    CHECK(f.s().gpr[ESP] == 0x8000);
    CHECK(f.s().seg[CS].selector == 0x08);
}

TEST_CASE("a fault pushing the handler's frame escalates to #DF") {
    PmFixture f;
    f.gdt(6, seg_desc(0, 0xfff, 0x92, 0x4));        // 0x30: ring-0 stack, 4 KiB
    f.gdt(7, seg_desc(0, 0xfffff, 0x9e, 0xc));      // 0x38: conforming code DPL 0
    f.poke_as<uint32_t>(PmFixture::kTss + 4, 8);    // ESP0 = 8: the third push wraps
    f.poke_as<uint32_t>(PmFixture::kTss + 8, 0x30); // SS0
    f.idt(13, gate_desc(0x08, 0x3000, 0x8e));
    f.idt(vec::DF, gate_desc(0x38, 0x4000, 0x8e)); // conforming: runs at CPL 3, same stack
    f.poke(0x4000, {0xeb, 0xfe});                  // jmp $
    f.ring3(0x1000, 0x7000);
    f.code({0x66, 0xb8, 0x10, 0x00, 0x8e, 0xd8}); // mov ax, 0x10 ; mov ds, ax -> #GP(0x10)
    f.run(10);
    CHECK(f.cpu.exit_reasons == 0);
    CHECK(f.s().eip == 0x4000);
    CHECK(f.s().cpl == 3);
    CHECK(f.s().seg[CS].selector == 0x3b);
    CHECK(f.s().gpr[ESP] == 0x7000 - 16);
    CHECK(f.peek<uint32_t>(0x7000 - 16) == 0);      // #DF error code
    CHECK(f.peek<uint32_t>(0x7000 - 12) == 0x1004); // EIP of the faulting mov ds
    CHECK(f.peek<uint32_t>(0x7000 - 8) == 0x1b);
    CHECK(f.s().seg[DS].selector == 0x23); // the faulting load changed nothing
}

TEST_CASE("a fault while delivering #DF is a triple fault") {
    PmFixture f;
    f.s().idtr.limit = 8 * 8 - 1; // vectors 0-7 only: #GP and #DF entries are missing
    f.code({0x66, 0xb8, 0x13, 0x00, 0x8e, 0xd8, 0xf4}); // mov ax, 0x13 ; mov ds, ax ; hlt
    f.run();
    CHECK((f.cpu.exit_reasons & cpu_exit::TRIPLE_FAULT) != 0);
    CHECK(f.s().halted == 0);
}

TEST_CASE("IRET: flag privileges, nulling of inaccessible segments") {
    PmFixture f;
    f.s().gpr[ESP] = 0x8000;
    uint32_t img = fl::IF | fl::IOPL | fl::CF | fl::FIXED1;
    SUBCASE("at CPL 0 every flag loads") {
        f.poke_as<uint32_t>(0x8000, 0x2000);
        f.poke_as<uint32_t>(0x8004, 0x08);
        f.poke_as<uint32_t>(0x8008, img);
        CHECK(interrupt_return(f.cpu, true));
        CHECK(f.flags() == img);
        CHECK(f.s().gpr[ESP] == 0x800c);
        CHECK(f.s().eip == 0x2000);
    }
    SUBCASE("to ring 3: IOPL and IF follow the CPL at the start, DS is nulled") {
        f.s().eflags = fl::FIXED1; // IOPL 0
        f.poke_as<uint32_t>(0x8000, 0x2000);
        f.poke_as<uint32_t>(0x8004, 0x1b);
        f.poke_as<uint32_t>(0x8008, img);
        f.poke_as<uint32_t>(0x800c, 0x6000);
        f.poke_as<uint32_t>(0x8010, 0x23);
        f.s().seg[ES].selector = 0x23; // ES, FS, GS keep their flat DPL-0 caches except ES
        f.s().seg[ES].attr = 0xcf3;
        f.cpu.state_changed();
        CHECK(interrupt_return(f.cpu, true));
        CHECK(f.s().cpl == 3);
        CHECK(f.flags() == img); // CPL was 0 when the flags were loaded
        CHECK(f.s().gpr[ESP] == 0x6000);
        CHECK(f.s().seg[DS].selector == 0);
        CHECK(f.s().seg[FS].selector == 0);
        CHECK(f.s().seg[ES].selector == 0x23);
        // Now at CPL 3 with IOPL 3 -> IF loads, IOPL does not.
        f.s().gpr[ESP] = 0x6000;
        f.poke_as<uint32_t>(0x6000, 0x2100);
        f.poke_as<uint32_t>(0x6004, 0x1b);
        f.poke_as<uint32_t>(0x6008, fl::FIXED1 | fl::ZF);
        CHECK(interrupt_return(f.cpu, true));
        CHECK(f.flags() == (fl::FIXED1 | fl::ZF | fl::IOPL));
        CHECK(f.s().eip == 0x2100);
    }
    SUBCASE("IRET with NT = 1 would switch tasks: #GP(back link)") {
        f.poke_as<uint16_t>(PmFixture::kTss, 0x38);
        f.s().eflags |= fl::NT;
        CHECK(!interrupt_return(f.cpu, true));
        CHECK(f.cpu.fault.vector == vec::GP);
        CHECK(f.cpu.fault.error == 0x38);
    }
    SUBCASE("IRET to virtual-8086 mode is not emulated: #GP(0)") {
        f.poke_as<uint32_t>(0x8000, 0x2000);
        f.poke_as<uint32_t>(0x8004, 0x1000);
        f.poke_as<uint32_t>(0x8008, fl::VM | fl::FIXED1);
        CHECK(!interrupt_return(f.cpu, true));
        CHECK(f.cpu.fault.vector == vec::GP);
        CHECK(f.cpu.fault.error == 0);
        CHECK(f.s().gpr[ESP] == 0x8000);
    }
}

TEST_CASE("interrupt into a conforming handler stays at CPL 3 on the same stack") {
    PmFixture f;
    f.gdt(7, seg_desc(0, 0xfffff, 0x9e, 0xc)); // 0x38: conforming code DPL 0
    f.idt(0x60, gate_desc(0x38, 0x3000, 0xee));
    f.ring3(0x1000, 0x7000);
    f.s().eip = 0x1002;
    deliver_event(f.cpu, 0x60, kNoErrorCode, EventKind::Software);
    CHECK(f.s().cpl == 3);
    CHECK(f.s().seg[CS].selector == 0x3b);
    CHECK(f.s().seg[SS].selector == 0x23);
    CHECK(f.s().gpr[ESP] == 0x7000 - 12);
    CHECK(f.peek<uint32_t>(0x7000 - 12) == 0x1002);
}

TEST_CASE("interrupt from virtual-8086 mode saves and nulls the data segments") {
    PmFixture f;
    f.idt(0x20, gate_desc(0x08, 0x3000, 0xee));
    f.poke(0x3000, {0xf4});
    constexpr uint16_t kV86 = 0xf3;
    for (unsigned i = 0; i < kNumSegs; ++i)
        f.s().seg[i] = {0x1000, 0xffff, 0x100, kV86};
    f.s().seg[DS] = {0x2000, 0xffff, 0x200, kV86};
    f.s().eflags = fl::FIXED1 | fl::VM | fl::IOPL;
    f.s().cpl = 3;
    f.s().eip = 0;
    f.s().gpr[ESP] = 0x800;
    f.cpu.state_changed();
    f.code({0xcd, 0x20}); // int 0x20 at 0100:0000
    f.run();
    CHECK(f.s().eip == 0x3001);
    CHECK(f.s().cpl == 0);
    CHECK((f.flags() & fl::VM) == 0);
    for (unsigned seg : {ES, DS, FS, GS})
        CHECK(f.s().seg[seg].selector == 0);
    CHECK(f.peek<uint32_t>(kTop0 - 4) == 0x100);  // GS
    CHECK(f.peek<uint32_t>(kTop0 - 12) == 0x200); // DS
    CHECK(f.peek<uint32_t>(kTop0 - 20) == 0x100); // SS
    CHECK(f.peek<uint32_t>(kTop0 - 24) == 0x800); // ESP
    CHECK((f.peek<uint32_t>(kTop0 - 28) & fl::VM) != 0);
    CHECK(f.peek<uint32_t>(kTop0 - 32) == 0x100); // CS
    CHECK(f.peek<uint32_t>(kTop0 - 36) == 2);     // EIP after the INT
}

TEST_CASE("16-bit TSS and 16-bit interrupt gate from ring 3") {
    PmFixture f;
    constexpr uint32_t kTss16 = 0x13000;
    f.gdt(6, seg_desc(kTss16, 0x2b, 0x81, 0));    // 0x30: 16-bit TSS
    f.gdt(7, seg_desc(0x20000, 0xffff, 0x92, 0)); // 0x38: 16-bit ring-0 stack
    f.poke_as<uint16_t>(kTss16 + 2, 0x0100);      // SP0
    f.poke_as<uint16_t>(kTss16 + 4, 0x38);        // SS0
    f.s().tr = Segment{kTss16, 0x2b, 0x30, uint16_t(seg_attr::P | 0x3)};
    f.idt(0x20, gate_desc(0x08, 0x3000, 0x86)); // 16-bit interrupt gate
    f.ring3(0x1000, 0x7000);
    f.s().gpr[ESP] = 0x7000;
    deliver_event(f.cpu, 0x20, kNoErrorCode, EventKind::External);
    CHECK(f.s().cpl == 0);
    CHECK(f.s().seg[SS].selector == 0x38);
    CHECK(!f.cpu.stack32());
    CHECK((f.s().gpr[ESP] & 0xffff) == 0x100 - 10);
    CHECK(f.peek<uint16_t>(0x20000 + 0x100 - 2) == 0x23);   // SS
    CHECK(f.peek<uint16_t>(0x20000 + 0x100 - 4) == 0x7000); // SP
    CHECK(f.peek<uint16_t>(0x20000 + 0x100 - 8) == 0x1b);   // CS
    CHECK(f.peek<uint16_t>(0x20000 + 0x100 - 10) == 0x1000);
    // A TSS too short for SS0:SP0 gives #TS(TSS selector + EXT).
    f.ring3(0x1000, 0x7000);
    f.s().tr.limit = 4;
    f.cpu.fault = {};
    CHECK(!deliver_protected(f.cpu, 0x20, kNoErrorCode, EventKind::External));
    CHECK(f.cpu.fault.vector == vec::TS);
    CHECK(f.cpu.fault.error == 0x31);
}
