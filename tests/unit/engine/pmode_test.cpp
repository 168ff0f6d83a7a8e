// Protected-mode segmentation: descriptor loads and their faults, far JMP/CALL/RET through code
// segments and call gates, IDT delivery with privilege changes, #DF and triple faults.
#include "engine/cpu/exceptions.h"
#include "engine/cpu/segments.h"
#include "tests/unit/engine/pmode_fixture.h"

#include <doctest/doctest.h>

using namespace rr86;
using rr86::test::gate_desc;
using rr86::test::PmFixture;
using rr86::test::seg_desc;

namespace {

// Loads `selector` into `seg` and returns the fault raised ({false} if none), leaving c.fault
// clear.
PendingFault try_load(PmFixture& f, unsigned seg, uint16_t selector) {
    f.cpu.fault = {};
    bool ok = load_segment(f.cpu, seg, selector);
    PendingFault r = f.cpu.fault;
    f.cpu.fault = {};
    CHECK(ok == !r.active);
    return r;
}

bool faulted(const PendingFault& p, uint8_t vector, uint32_t error) {
    return p.active && p.vector == vector && p.error == error;
}

constexpr uint8_t kAccessedBit = 0x01; // in the access byte

} // namespace

TEST_CASE("pmode: mov ds loads a data descriptor, sets its accessed bit, and is used") {
    PmFixture f;
    f.gdt(7, seg_desc(0x20000, 0xfff, 0x92, 0x4)); // 0x38: data, base 0x20000, 4 KiB, not accessed
    f.poke_as<uint32_t>(0x20010, 0xcafef00d);
    // mov ax, 0x38 ; mov ds, ax ; mov eax, [0x10] ; hlt
    f.code({0x66, 0xb8, 0x38, 0x00, 0x8e, 0xd8, 0xa1, 0x10, 0x00, 0x00, 0x00, 0xf4});
    f.run();
    CHECK(f.s().gpr[EAX] == 0xcafef00d);
    CHECK(f.s().seg[DS].selector == 0x38);
    CHECK(f.s().seg[DS].base == 0x20000);
    CHECK(f.s().seg[DS].limit == 0xfff);
    CHECK((f.s().seg[DS].attr & 0xff) == 0x93);
    CHECK(((f.gdt_entry(7) >> 40) & kAccessedBit) == 1);
}

TEST_CASE("pmode: data segment limit is enforced after the load") {
    PmFixture f;
    f.gdt(7, seg_desc(0x20000, 0xfff, 0x93, 0x4));
    f.idt(13, gate_desc(0x08, 0x3000, 0x8e));
    f.poke(0x3000, {0xf4});
    // mov ax, 0x38 ; mov ds, ax ; mov eax, [0xffe] (crosses the 4 KiB limit) ; hlt
    f.code({0x66, 0xb8, 0x38, 0x00, 0x8e, 0xd8, 0xa1, 0xfe, 0x0f, 0x00, 0x00, 0xf4});
    f.s().gpr[ESP] = 0x8000;
    f.run();
    CHECK(f.s().eip == 0x3001);
    CHECK(f.peek<uint32_t>(0x8000 - 16) == 0);      // error code #GP(0)
    CHECK(f.peek<uint32_t>(0x8000 - 12) == 0x1006); // EIP of the faulting mov
}

TEST_CASE("pmode: data segment register load faults with their error codes") {
    PmFixture f;
    f.gdt(7, seg_desc(0x20000, 0xfff, 0x12, 0x4)); // 0x38: not present data
    f.gdt(8, seg_desc(0, 0xfffff, 0x98, 0xc));     // 0x40: execute-only code
    f.gdt(9, seg_desc(0, 0xfffff, 0x9e, 0xc));     // 0x48: readable conforming code DPL 0
    f.gdt(10, seg_desc(0, 0xfffff, 0x9a, 0xc));    // 0x50: readable non-conforming code DPL 0
    f.gdt(11, seg_desc(0, 0xfffff, 0xd2, 0xc));    // 0x58: data DPL 2
    f.gdt(12, seg_desc(0, 0xfffff, 0xf0, 0xc));    // 0x60: read-only data DPL 3
    f.s().gdtr.limit = 13 * 8 - 1;

    SUBCASE("CPL 0") {
        CHECK(faulted(try_load(f, DS, 0x38), vec::NP, 0x38));
        CHECK(faulted(try_load(f, ES, 0x3b), vec::GP, 0x38)); // RPL 3 > DPL 0 before P
        CHECK(faulted(try_load(f, DS, 0x40), vec::GP, 0x40));
        CHECK(faulted(try_load(f, DS, 0x28), vec::GP, 0x28)); // a TSS is no data segment
        CHECK(faulted(try_load(f, DS, 0x68), vec::GP, 0x68)); // beyond the GDT limit
        CHECK(faulted(try_load(f, DS, 0x0c), vec::GP, 0x0c)); // LDT reference, LDTR unusable
        CHECK(faulted(try_load(f, FS, 0x13), vec::GP, 0x10)); // RPL 3 > DPL 0
        CHECK(!try_load(f, GS, 0x48).active);
        CHECK(!try_load(f, GS, 0x50).active);
        CHECK(!try_load(f, FS, 0x5a).active);   // RPL 2 <= DPL 2
        CHECK(!try_load(f, DS, 0x0003).active); // null: allowed, unusable
        CHECK(f.s().seg[DS].selector == 3);
        CHECK((f.s().seg[DS].attr & seg_attr::P) == 0);
    }
    SUBCASE("CPL 3") {
        f.ring3(0x1000, 0x7000);
        CHECK(faulted(try_load(f, DS, 0x13), vec::GP, 0x10)); // DPL 0 < CPL 3
        CHECK(faulted(try_load(f, DS, 0x5b), vec::GP, 0x58)); // DPL 2 < CPL 3
        CHECK(faulted(try_load(f, DS, 0x53), vec::GP, 0x50)); // non-conforming code DPL 0
        CHECK(!try_load(f, DS, 0x4b).active);                 // conforming code: DPL ignored
        CHECK(!try_load(f, ES, 0x63).active);
        CHECK(f.s().seg[ES].base == 0);
    }
}

TEST_CASE("pmode: the not-present fault is taken only after the privilege checks") {
    PmFixture f;
    f.gdt(7, seg_desc(0x20000, 0xfff, 0x12, 0x4)); // 0x38: not present data DPL 0
    f.ring3(0x1000, 0x7000);
    CHECK(faulted(try_load(f, DS, 0x3b), vec::GP, 0x38));
}

TEST_CASE("pmode: stack segment loads and their faults") {
    PmFixture f;
    f.gdt(7, seg_desc(0x20000, 0xfff, 0x12, 0x4));   // 0x38: not present writable data
    f.gdt(8, seg_desc(0, 0xfffff, 0x90, 0xc));       // 0x40: read-only data
    f.gdt(9, seg_desc(0, 0xfffff, 0x9a, 0xc));       // 0x48: code
    f.gdt(10, seg_desc(0x30000, 0xffff, 0x92, 0x0)); // 0x50: 16-bit writable data
    f.s().gdtr.limit = 11 * 8 - 1;

    CHECK(faulted(try_load(f, SS, 0x0000), vec::GP, 0));
    CHECK(faulted(try_load(f, SS, 0x0003), vec::GP, 0));
    CHECK(faulted(try_load(f, SS, 0x13), vec::GP, 0x10)); // RPL != CPL
    CHECK(faulted(try_load(f, SS, 0x20), vec::GP, 0x20)); // DPL 3 != CPL 0
    CHECK(faulted(try_load(f, SS, 0x40), vec::GP, 0x40)); // not writable
    CHECK(faulted(try_load(f, SS, 0x48), vec::GP, 0x48)); // code
    CHECK(faulted(try_load(f, SS, 0x38), vec::SS, 0x38)); // not present -> #SS
    CHECK(faulted(try_load(f, SS, 0x58), vec::GP, 0x58)); // beyond the GDT limit
    CHECK(f.s().seg[SS].selector == 0x10);                // unchanged by the faults
    CHECK(!try_load(f, SS, 0x50).active);
    CHECK(f.s().seg[SS].base == 0x30000);
    CHECK(!f.cpu.stack32());
}

TEST_CASE("pmode: mov ss and pop ss hold off interrupts for one instruction") {
    PmFixture f;
    f.idt(0x20, gate_desc(0x08, 0x3000, 0x8e));
    f.poke(0x3000, {0xf4});
    // mov ax, 0x10 ; mov ss, ax ; mov ebx, 1 ; hlt
    f.code({0x66, 0xb8, 0x10, 0x00, 0x8e, 0xd0, 0xbb, 0x01, 0x00, 0x00, 0x00, 0xf4});
    f.s().gpr[ESP] = 0x8000;
    f.s().eflags |= fl::IF;
    f.run(2); // up to and including mov ss
    CHECK(f.s().intr_shadow == 1);
    f.raise_irq(0x20);
    f.run();
    CHECK(f.s().gpr[EBX] == 1);                     // ran before the interrupt
    CHECK(f.peek<uint32_t>(0x8000 - 12) == 0x100b); // return EIP = the hlt
    CHECK(f.s().eip == 0x3001);
}

TEST_CASE("pmode: pop ds commits ESP only when the load succeeds") {
    PmFixture f;
    f.idt(13, gate_desc(0x08, 0x3000, 0x8e));
    f.poke(0x3000, {0xf4});
    f.poke_as<uint32_t>(0x7000, 0x0040); // beyond the GDT limit below
    f.s().gdtr.limit = 0x2f;
    f.s().gpr[ESP] = 0x7000;
    f.code({0x1f, 0xf4}); // pop ds ; hlt
    f.run();
    CHECK(f.s().eip == 0x3001);
    // The #GP frame sits right below the untouched ESP: error, EIP, CS, EFLAGS.
    CHECK(f.peek<uint32_t>(0x7000 - 16) == 0x40);
    CHECK(f.peek<uint32_t>(0x7000 - 12) == 0x1000);
    CHECK(f.s().gpr[ESP] == 0x7000 - 16);
}

TEST_CASE("pmode: LSS, LFS and mov from segment registers") {
    PmFixture f;
    f.gdt(7, seg_desc(0x40000, 0xffff, 0x92, 0x4)); // 0x38
    f.poke_as<uint32_t>(0x2000, 0x12345678);
    f.poke_as<uint16_t>(0x2004, 0x38);
    f.poke_as<uint32_t>(0x2010, 0x00000abc);
    f.poke_as<uint16_t>(0x2014, 0x38);
    // lss esp, [0x2000] ; lfs ecx, [0x2010] ; mov eax, ss ; mov [0x2020], fs ; hlt
    f.code({0x0f, 0xb2, 0x25, 0x00, 0x20, 0x00, 0x00, 0x0f, 0xb4, 0x0d, 0x10, 0x20,
            0x00, 0x00, 0x8c, 0xd0, 0x8c, 0x25, 0x20, 0x20, 0x00, 0x00, 0xf4});
    f.s().gpr[EAX] = 0xffffffff;
    f.poke_as<uint32_t>(0x2020, 0xffffffff);
    f.run();
    CHECK(f.s().gpr[ESP] == 0x12345678);
    CHECK(f.s().seg[SS].base == 0x40000);
    CHECK(f.s().gpr[ECX] == 0xabc);
    CHECK(f.s().seg[FS].selector == 0x38);
    CHECK(f.s().gpr[EAX] == 0x38);                  // zero-extended
    CHECK(f.peek<uint32_t>(0x2020) == 0xffff0038u); // a 16-bit store
}

TEST_CASE("pmode: LDS with a bad selector leaves the register alone") {
    PmFixture f;
    f.idt(13, gate_desc(0x08, 0x3000, 0x8e));
    f.poke(0x3000, {0xf4});
    f.poke_as<uint32_t>(0x2000, 0x11111111);
    f.poke_as<uint16_t>(0x2004, 0x28);                  // the TSS
    f.code({0xc5, 0x35, 0x00, 0x20, 0x00, 0x00, 0xf4}); // lds esi, [0x2000] ; hlt
    f.s().gpr[ESI] = 0x5555;
    f.s().gpr[ESP] = 0x8000;
    f.run();
    CHECK(f.s().gpr[ESI] == 0x5555);
    CHECK(f.s().seg[DS].selector == 0x10);
    CHECK(f.peek<uint32_t>(0x8000 - 16) == 0x28);
}

TEST_CASE("pmode: far jump from 16-bit to 32-bit code") {
    PmFixture f;
    f.gdt(8, seg_desc(0, 0xffff, 0x9b, 0x0)); // 0x40: 16-bit code, 64 KiB
    f.s().seg[CS] = {0, 0xffff, 0x40, 0x9b};
    f.cpu.state_changed();
    f.code({0xea, 0x00, 0x20, 0x08, 0x00});               // jmp 0x08:0x2000 (16-bit offset)
    f.poke(0x2000, {0xb8, 0x78, 0x56, 0x34, 0x12, 0xf4}); // mov eax, 0x12345678 ; hlt
    f.run();
    CHECK(f.s().gpr[EAX] == 0x12345678);
    CHECK(f.s().seg[CS].selector == 0x08);
    CHECK(f.cpu.code32());
    CHECK(f.s().eip == 0x2006);
}

TEST_CASE("pmode: entering protected mode with a far jump from real-mode code") {
    PmFixture f;
    // As after MOV CR0: PE set, CS still holds the real-mode cache.
    f.s().seg[CS] = {0, 0xffff, 0, 0x9b};
    f.s().cpl = 0;
    f.cpu.state_changed();
    // jmp dword 0x08:0x00102000 (66 prefix in 16-bit code)
    f.code({0x66, 0xea, 0x00, 0x20, 0x10, 0x00, 0x08, 0x00});
    f.poke(0x102000, {0xb8, 0x01, 0x00, 0x00, 0x00, 0xf4}); // mov eax, 1 ; hlt
    f.run();
    CHECK(f.s().gpr[EAX] == 1);
    CHECK(f.s().eip == 0x102006);
    CHECK(f.s().seg[CS].limit == 0xffffffffu);
}

TEST_CASE("pmode: far jump and call faults") {
    PmFixture f;
    f.gdt(7, seg_desc(0, 0xfffff, 0x1a, 0xc));  // 0x38: not present code
    f.gdt(8, seg_desc(0, 0xfff, 0x9a, 0x4));    // 0x40: code with a 4 KiB limit
    f.gdt(9, seg_desc(0, 0xfffff, 0xda, 0xc));  // 0x48: code DPL 2
    f.gdt(10, seg_desc(0, 0xfffff, 0x92, 0xc)); // 0x50: data
    f.gdt(11, gate_desc(0x08, 0, 0x85));        // 0x58: task gate
    auto fault_of = [&](bool call, uint16_t sel, uint32_t off) {
        f.cpu.fault = {};
        uint32_t esp = f.s().gpr[ESP];
        bool ok = call ? far_call(f.cpu, sel, off, true) : far_jump(f.cpu, sel, off, true);
        PendingFault r = f.cpu.fault;
        f.cpu.fault = {};
        CHECK(ok == !r.active);
        if (!ok) CHECK(f.s().gpr[ESP] == esp);
        return r;
    };
    f.s().gpr[ESP] = 0x8000;
    for (bool call : {false, true}) {
        CAPTURE(call);
        CHECK(faulted(fault_of(call, 0, 0), vec::GP, 0));
        CHECK(faulted(fault_of(call, 0x38, 0), vec::NP, 0x38));
        CHECK(faulted(fault_of(call, 0x40, 0x1000), vec::GP, 0)); // beyond the limit
        CHECK(faulted(fault_of(call, 0x48, 0), vec::GP, 0x48));   // DPL 2 != CPL 0
        CHECK(faulted(fault_of(call, 0x50, 0), vec::GP, 0x50));   // data
        // Hardware task switching is not emulated: TSS and task gate targets raise #GP(sel).
        CHECK(faulted(fault_of(call, 0x28, 0), vec::GP, 0x28));
        CHECK(faulted(fault_of(call, 0x58, 0), vec::GP, 0x58));
        CHECK(f.s().seg[CS].selector == 0x08);
    }
    CHECK(!fault_of(false, 0x40, 0xfff).active);
    CHECK(f.s().seg[CS].selector == 0x40);
}

TEST_CASE("pmode: call gate from ring 3 to ring 0 and back with RET far") {
    PmFixture f;
    f.gdt(6, gate_desc(0x08, 0x3000, 0xec, 2)); // 0x30: 32-bit call gate DPL 3, 2 parameters
    f.ring3(0x1000, 0x7000);
    f.poke_as<uint32_t>(0x7000, 0x11111111); // parameter 0 (last pushed)
    f.poke_as<uint32_t>(0x7004, 0x22222222); // parameter 1
    // ring 3: call 0x33:0 ; jmp $
    f.code({0x9a, 0x00, 0x00, 0x00, 0x00, 0x33, 0x00, 0xeb, 0xfe});
    // ring 0: mov eax, cs ; mov ecx, ss ; mov edx, esp ; mov si, 0x10 ; mov ds, si ; retf 8
    f.poke(0x3000, {0x8c, 0xc8, 0x8c, 0xd1, 0x89, 0xe2, 0x66, 0xbe, 0x10, 0x00, 0x8e, 0xde, 0xca,
                    0x08, 0x00});
    f.run(20);
    CHECK(f.s().gpr[EAX] == 0x08);
    CHECK(f.s().gpr[ECX] == 0x10);
    CHECK(f.s().gpr[EDX] == PmFixture::kStack0 - 24);
    // The inner stack: old SS, old ESP, the two parameters in their order, CS, EIP.
    CHECK(f.peek<uint32_t>(0x9000 - 4) == 0x23);
    CHECK(f.peek<uint32_t>(0x9000 - 8) == 0x7000);
    CHECK(f.peek<uint32_t>(0x9000 - 12) == 0x22222222);
    CHECK(f.peek<uint32_t>(0x9000 - 16) == 0x11111111);
    CHECK(f.peek<uint32_t>(0x9000 - 20) == 0x1b);
    CHECK(f.peek<uint32_t>(0x9000 - 24) == 0x1007);
    // Back at ring 3 after the parameters were released; DS (DPL 0) was nulled.
    CHECK(f.s().cpl == 3);
    CHECK(f.s().seg[CS].selector == 0x1b);
    CHECK(f.s().seg[SS].selector == 0x23);
    CHECK(f.s().gpr[ESP] == 0x7008);
    CHECK(f.s().eip == 0x1007);
    CHECK(f.s().seg[DS].selector == 0);
    CHECK(f.s().seg[ES].selector == 0x23);
}

TEST_CASE("pmode: 16-bit call gate at the same privilege level") {
    PmFixture f;
    f.gdt(6, gate_desc(0x08, 0x3000, 0x84)); // 0x30: 16-bit call gate DPL 0
    f.s().gpr[ESP] = 0x8000;
    f.code({0x9a, 0x00, 0x00, 0x00, 0x00, 0x30, 0x00, 0xf4}); // call 0x30:0 ; hlt
    f.poke(0x3000, {0x66, 0xcb});                             // o16 retf
    f.run();
    CHECK(f.s().eip == 0x1008);
    CHECK(f.s().gpr[ESP] == 0x8000);
    CHECK(f.peek<uint16_t>(0x8000 - 2) == 0x08);   // CS, 16-bit slot
    CHECK(f.peek<uint16_t>(0x8000 - 4) == 0x1007); // IP, 16-bit slot
}

TEST_CASE("pmode: call gate checks") {
    PmFixture f;
    f.gdt(6, gate_desc(0x08, 0x3000, 0x8c)); // 0x30: call gate DPL 0
    f.gdt(7, gate_desc(0x08, 0x3000, 0x6c)); // 0x38: call gate DPL 3, not present
    f.gdt(8, gate_desc(0x50, 0x3000, 0xec)); // 0x40: call gate DPL 3 to a data segment
    f.gdt(9, gate_desc(0x08, 0x3000, 0xec)); // 0x48: call gate DPL 3 to ring-0 code
    f.gdt(10, seg_desc(0, 0xfffff, 0x92, 0xc));
    f.ring3(0x1000, 0x7000);
    auto call = [&](uint16_t sel) {
        f.cpu.fault = {};
        far_call(f.cpu, sel, 0, true);
        PendingFault r = f.cpu.fault;
        f.cpu.fault = {};
        return r;
    };
    CHECK(faulted(call(0x33), vec::GP, 0x30)); // gate DPL 0 < CPL 3
    CHECK(faulted(call(0x3b), vec::NP, 0x38));
    CHECK(faulted(call(0x43), vec::GP, 0x50));
    // A JMP through a call gate cannot raise the privilege level.
    f.cpu.fault = {};
    CHECK(!far_jump(f.cpu, 0x4b, 0, true));
    CHECK(faulted(f.cpu.fault, vec::GP, 0x08));
    f.cpu.fault = {};
    // An SS0 that is not writable: #TS(SS0).
    f.poke_as<uint32_t>(PmFixture::kTss + 8, 0x08);
    CHECK(faulted(call(0x4b), vec::TS, 0x08));
    f.poke_as<uint32_t>(PmFixture::kTss + 8, 0);
    CHECK(faulted(call(0x4b), vec::TS, 0));
    CHECK(f.s().cpl == 3);
    CHECK(f.s().seg[SS].selector == 0x23);
}

TEST_CASE("pmode: far return to an outer level checks the popped SS") {
    PmFixture f;
    f.s().gpr[ESP] = 0x8000;
    f.poke_as<uint32_t>(0x8000, 0x5000); // EIP
    f.poke_as<uint32_t>(0x8004, 0x1b);   // CS ring 3
    f.poke_as<uint32_t>(0x8008, 0x6000); // ESP
    f.poke_as<uint32_t>(0x800c, 0x10);   // SS: ring-0 data, wrong for ring 3
    CHECK(!far_return(f.cpu, true, 0));
    CHECK(faulted(f.cpu.fault, vec::GP, 0x10));
    f.cpu.fault = {};
    CHECK(f.s().cpl == 0);
    f.poke_as<uint32_t>(0x800c, 0x23);
    CHECK(far_return(f.cpu, true, 0));
    CHECK(f.s().cpl == 3);
    CHECK(f.s().eip == 0x5000);
    CHECK(f.s().gpr[ESP] == 0x6000);
    // Returning to ring 0 from ring 3 is refused: RPL < CPL.
    f.poke_as<uint32_t>(0x6000, 0x5000);
    f.poke_as<uint32_t>(0x6004, 0x08);
    CHECK(!far_return(f.cpu, true, 0));
    CHECK(faulted(f.cpu.fault, vec::GP, 0x08));
}

TEST_CASE("pmode: a descriptor read at CPL 3 does not open the supervisor GDT page to ring 3") {
    PmFixture f;
    constexpr uint32_t kPd = 0x20000, kPt = 0x21000;
    f.poke_as<uint32_t>(kPd, kPt | 7);
    for (uint32_t page = 0; page < 512; ++page) {
        uint32_t user = (page << 12) == PmFixture::kGdt ? 0 : 4;
        f.poke_as<uint32_t>(kPt + page * 4, (page << 12) | 3 | user);
    }
    f.s().cr3 = kPd;
    f.s().cr0 |= cr0::PG;
    f.idt(vec::PF, gate_desc(0x08, 0x3000, 0x8e));
    f.poke(0x3000, {0xf4});
    f.ring3(0x1000, 0x7000);
    // mov ax, 0x23 ; mov ds, ax (reads the GDT) ; mov eax, [kGdt] -> #PF
    f.code({0x66, 0xb8, 0x23, 0x00, 0x8e, 0xd8, 0xa1, 0x00, 0x00, 0x01, 0x00});
    f.run(10);
    CHECK(f.s().eip == 0x3001);
    CHECK(f.s().cr2 == PmFixture::kGdt);
    CHECK(f.peek<uint32_t>(PmFixture::kStack0 - 24) == 5); // present, read, user
    CHECK(f.peek<uint32_t>(PmFixture::kStack0 - 20) == 0x1006);
}
