// System instructions (semantics/system.inc), CPUID (cpuid.cpp) and MSRs (msr.cpp).
//
// Most checks run one instruction's semantic directly (exec below) so that the raised fault,
// its error code and the untouched state can be seen without depending on interrupt delivery.
#include "engine/cpu/cpuid.h"
#include "engine/cpu/msr.h"
#include "tests/unit/engine/cpu_fixture.h"

#include <doctest/doctest.h>

#include <cstring>
#include <vector>

using namespace rr86;
using rr86::test::CpuFixture;

namespace {

// Places `bytes` at CS:EIP and runs the semantic alone in the current mode (CpuFixture::exec);
// an invalid encoding runs its #UD semantic.
PendingFault exec(CpuFixture& f, const std::vector<uint8_t>& bytes) {
    return f.exec_here(bytes, /*allow_invalid=*/true);
}

bool no_fault(const PendingFault& pf) { return !pf.active; }
bool is_fault(const PendingFault& pf, uint8_t vector, uint32_t error = kNoErrorCode) {
    return pf.active && pf.vector == vector && pf.error == error;
}

// Code/data/system descriptor: `access` is byte 5, `flags` the G D/B L AVL nibble.
uint64_t descriptor(uint32_t base, uint32_t limit, uint8_t access, uint8_t flags) {
    uint32_t lo = (limit & 0xffff) | (base << 16);
    uint32_t hi = ((base >> 16) & 0xff) | (uint32_t(access) << 8) | (limit & 0xf0000) |
                  (uint32_t(flags) << 20) | (base & 0xff000000u);
    return lo | (uint64_t(hi) << 32);
}

constexpr uint32_t kGdt = 0x10000;

// 32-bit protected mode, CPL 0, with a GDT holding the descriptors the tests use.
struct SysFixture : CpuFixture {
    SysFixture() {
        flat32();
        s().gdtr = {kGdt, 0xff};
        gdt(1, descriptor(0, 0xfffff, 0x9b, 0xc));       // 08 code, readable, DPL 0
        gdt(2, descriptor(0, 0xfffff, 0x93, 0xc));       // 10 data, writable, DPL 0
        gdt(3, descriptor(0, 0xfffff, 0xfb, 0xc));       // 18 code, readable, DPL 3
        gdt(4, descriptor(0x123456, 0x7fff, 0xf1, 0x4)); // 20 data, read-only, DPL 3
        gdt(5, descriptor(0x20000, 0x67, 0x89, 0));      // 28 32-bit TSS, available
        gdt(6, descriptor(0x30000, 0x3f, 0x82, 0));      // 30 LDT
        gdt(7, descriptor(0x30000, 0x3f, 0x02, 0));      // 38 LDT, not present
        gdt(8, descriptor(0, 0xfffff, 0x98, 0xc));       // 40 code, execute-only, DPL 0
        gdt(9, descriptor(0, 0xfffff, 0x9e, 0xc));       // 48 conforming readable code, DPL 0
        gdt(10, descriptor(0x21000, 0x2b, 0x81, 0));     // 50 16-bit TSS, available
        gdt(11, descriptor(0x20000, 0x67, 0x8b, 0));     // 58 32-bit TSS, busy
        gdt(12, 0x00008e0000081000ull);                  // 60 32-bit interrupt gate
        gdt(13, 0x00008c0000081000ull);                  // 68 32-bit call gate
        gdt(14, descriptor(0, 0xfffff, 0x93, 0x8));      // 70 data, G=1 limit 4 GiB
        gdt(15, descriptor(0, 0x7ffff, 0xd3, 0x4));      // 78 data, DPL 2, byte-granular
    }
    void gdt(unsigned index, uint64_t d) { poke_as<uint64_t>(kGdt + index * 8, d); }
    uint64_t gdt_entry(unsigned index) { return peek<uint64_t>(kGdt + index * 8); }
    void at_cpl(unsigned cpl) {
        s().cpl = uint8_t(cpl);
        cpu.flush_tlb();
    }
    bool zf() const { return flags() & fl::ZF; }
};

} // namespace

// ---- GDTR / IDTR ------------------------------------------------------------------------------

TEST_CASE("LGDT and LIDT: 32-bit operand size loads all of the base") {
    SysFixture f;
    f.poke(0x2000, {0x7f, 0x00, 0x78, 0x56, 0x34, 0x12});
    REQUIRE(no_fault(exec(f, {0x0f, 0x01, 0x15, 0x00, 0x20, 0x00, 0x00}))); // lgdt [0x2000]
    CHECK(f.s().gdtr.base == 0x12345678u);
    CHECK(f.s().gdtr.limit == 0x7f);
    REQUIRE(no_fault(exec(f, {0x0f, 0x01, 0x1d, 0x00, 0x20, 0x00, 0x00}))); // lidt [0x2000]
    CHECK(f.s().idtr.base == 0x12345678u);
    CHECK(f.s().idtr.limit == 0x7f);
}

TEST_CASE("LGDT with a 16-bit operand size keeps 24 bits of base (real mode)") {
    CpuFixture f;
    f.poke(0x2000, {0xff, 0xff, 0x78, 0x56, 0x34, 0x12});
    REQUIRE(no_fault(exec(f, {0x0f, 0x01, 0x16, 0x00, 0x20}))); // lgdt [0x2000]
    CHECK(f.s().gdtr.base == 0x345678u);
    CHECK(f.s().gdtr.limit == 0xffff);
    REQUIRE(no_fault(exec(f, {0x66, 0x0f, 0x01, 0x1e, 0x00, 0x20}))); // o32 lidt [0x2000]
    CHECK(f.s().idtr.base == 0x12345678u);
}

TEST_CASE("LGDT/LIDT are privileged; SGDT/SIDT are not") {
    SysFixture f;
    f.at_cpl(3);
    TableReg before = f.s().gdtr;
    CHECK(is_fault(exec(f, {0x0f, 0x01, 0x15, 0x00, 0x20, 0x00, 0x00}), vec::GP, 0));
    CHECK(is_fault(exec(f, {0x0f, 0x01, 0x1d, 0x00, 0x20, 0x00, 0x00}), vec::GP, 0));
    CHECK(f.s().gdtr.base == before.base);
    CHECK(f.s().eip == 0x1000);
    REQUIRE(no_fault(exec(f, {0x0f, 0x01, 0x05, 0x00, 0x30, 0x00, 0x00}))); // sgdt [0x3000]
    CHECK(f.peek<uint16_t>(0x3000) == 0xff);
    CHECK(f.peek<uint32_t>(0x3002) == kGdt);
}

TEST_CASE("SIDT with a 16-bit operand size stores 0 in the fourth base byte") {
    CpuFixture f;
    f.s().idtr = {0xabcdef12u, 0x3ff};
    f.poke(0x2000, {0xee, 0xee, 0xee, 0xee, 0xee, 0xee});
    REQUIRE(no_fault(exec(f, {0x0f, 0x01, 0x0e, 0x00, 0x20}))); // sidt [0x2000]
    CHECK(f.peek<uint16_t>(0x2000) == 0x3ff);
    CHECK(f.peek<uint32_t>(0x2002) == 0x00cdef12u);
    REQUIRE(no_fault(exec(f, {0x66, 0x0f, 0x01, 0x0e, 0x00, 0x20}))); // o32 sidt [0x2000]
    CHECK(f.peek<uint32_t>(0x2002) == 0xabcdef12u);
}

TEST_CASE("SGDT past the segment limit stores nothing") {
    CpuFixture f;
    f.poke(0xfffc, {0xee, 0xee, 0xee, 0xee});
    f.s().gpr[EBX] = 0xfffc;
    CHECK(is_fault(exec(f, {0x0f, 0x01, 0x07}), vec::GP, 0)); // sgdt [bx]: bytes fffc..10001
    CHECK(f.peek<uint32_t>(0xfffc) == 0xeeeeeeeeu);
}

// ---- LDTR / TR --------------------------------------------------------------------------------

TEST_CASE("LLDT loads LDTR from an LDT descriptor; SLDT stores it") {
    SysFixture f;
    f.s().gpr[EAX] = 0x30;
    REQUIRE(no_fault(exec(f, {0x0f, 0x00, 0xd0}))); // lldt ax
    CHECK(f.s().ldtr.selector == 0x30);
    CHECK(f.s().ldtr.base == 0x30000);
    CHECK(f.s().ldtr.limit == 0x3f);
    f.s().gpr[ECX] = 0xffffffffu;
    REQUIRE(no_fault(exec(f, {0x0f, 0x00, 0xc1}))); // sldt ecx: zero-extended
    CHECK(f.s().gpr[ECX] == 0x30);
    f.s().gpr[ECX] = 0xffffffffu;
    REQUIRE(no_fault(exec(f, {0x66, 0x0f, 0x00, 0xc1}))); // sldt cx
    CHECK(f.s().gpr[ECX] == 0xffff0030u);
    f.poke_as<uint32_t>(0x2000, 0xeeeeeeeeu);
    REQUIRE(no_fault(exec(f, {0x0f, 0x00, 0x05, 0x00, 0x20, 0x00, 0x00}))); // sldt [0x2000]
    CHECK(f.peek<uint32_t>(0x2000) == 0xeeee0030u);
}

TEST_CASE("LLDT with a null selector makes LDTR unusable") {
    SysFixture f;
    f.s().gpr[EAX] = 0x3;
    REQUIRE(no_fault(exec(f, {0x0f, 0x00, 0xd0}))); // lldt ax
    CHECK((f.s().ldtr.attr & seg_attr::P) == 0);
    CHECK(f.s().ldtr.selector == 3);
}

TEST_CASE("LLDT faults") {
    SysFixture f;
    Segment before = f.s().ldtr;
    f.s().gpr[EAX] = 0x34; // TI = 1
    CHECK(is_fault(exec(f, {0x0f, 0x00, 0xd0}), vec::GP, 0x34));
    f.s().gpr[EAX] = 0x12; // a data segment
    CHECK(is_fault(exec(f, {0x0f, 0x00, 0xd0}), vec::GP, 0x10));
    f.s().gpr[EAX] = 0x38; // not present
    CHECK(is_fault(exec(f, {0x0f, 0x00, 0xd0}), vec::NP, 0x38));
    f.s().gpr[EAX] = 0x100; // beyond the GDT limit
    CHECK(is_fault(exec(f, {0x0f, 0x00, 0xd0}), vec::GP, 0x100));
    CHECK(f.s().ldtr.selector == before.selector);
    f.s().gpr[EAX] = 0x30;
    f.at_cpl(3);
    CHECK(is_fault(exec(f, {0x0f, 0x00, 0xd0}), vec::GP, 0));
}

TEST_CASE("LTR loads TR and marks the TSS busy in the GDT; STR stores it") {
    SysFixture f;
    f.s().gpr[EAX] = 0x28;
    REQUIRE(no_fault(exec(f, {0x0f, 0x00, 0xd8}))); // ltr ax
    CHECK(f.s().tr.selector == 0x28);
    CHECK(f.s().tr.base == 0x20000);
    CHECK(f.s().tr.limit == 0x67);
    CHECK((f.s().tr.attr & 0xf) == 0xb);
    CHECK(((f.gdt_entry(5) >> 40) & 0xff) == 0x8b);
    REQUIRE(no_fault(exec(f, {0x0f, 0x00, 0xcb}))); // str ebx
    CHECK(f.s().gpr[EBX] == 0x28);
    // A 16-bit TSS becomes type 3.
    f.s().gpr[EAX] = 0x50;
    REQUIRE(no_fault(exec(f, {0x0f, 0x00, 0xd8})));
    CHECK(((f.gdt_entry(10) >> 40) & 0xff) == 0x83);
}

TEST_CASE("LTR faults: busy TSS, null, LDT descriptor, not present, CPL 3") {
    SysFixture f;
    f.s().gpr[EAX] = 0x58;
    CHECK(is_fault(exec(f, {0x0f, 0x00, 0xd8}), vec::GP, 0x58));
    f.s().gpr[EAX] = 0x0;
    CHECK(is_fault(exec(f, {0x0f, 0x00, 0xd8}), vec::GP, 0));
    f.s().gpr[EAX] = 0x30;
    CHECK(is_fault(exec(f, {0x0f, 0x00, 0xd8}), vec::GP, 0x30));
    f.gdt(5, descriptor(0x20000, 0x67, 0x09, 0)); // TSS, not present
    f.s().gpr[EAX] = 0x28;
    CHECK(is_fault(exec(f, {0x0f, 0x00, 0xd8}), vec::NP, 0x28));
    CHECK(((f.gdt_entry(5) >> 40) & 0xff) == 0x09); // not marked busy
    f.gdt(5, descriptor(0x20000, 0x67, 0x89, 0));
    f.at_cpl(3);
    CHECK(is_fault(exec(f, {0x0f, 0x00, 0xd8}), vec::GP, 0));
}

TEST_CASE("LLDT, SLDT, LTR, STR, LAR, LSL, VERR, VERW, ARPL raise #UD in real mode") {
    CpuFixture f;
    CHECK(is_fault(exec(f, {0x0f, 0x00, 0xd0}), vec::UD)); // lldt ax
    CHECK(is_fault(exec(f, {0x0f, 0x00, 0xc0}), vec::UD)); // sldt ax
    CHECK(is_fault(exec(f, {0x0f, 0x00, 0xd8}), vec::UD)); // ltr ax
    CHECK(is_fault(exec(f, {0x0f, 0x00, 0xc8}), vec::UD)); // str ax
    CHECK(is_fault(exec(f, {0x0f, 0x02, 0xc1}), vec::UD)); // lar ax, cx
    CHECK(is_fault(exec(f, {0x0f, 0x03, 0xc1}), vec::UD)); // lsl ax, cx
    CHECK(is_fault(exec(f, {0x0f, 0x00, 0xe0}), vec::UD)); // verr ax
    CHECK(is_fault(exec(f, {0x0f, 0x00, 0xe8}), vec::UD)); // verw ax
    CHECK(is_fault(exec(f, {0x63, 0xc8}), vec::UD));       // arpl ax, cx
}

TEST_CASE("#UD in real mode is delivered through the IVT") {
    CpuFixture f;
    f.ivt_hlt(6, 0x3000);
    f.code({0x0f, 0x00, 0xd0, 0xf4}); // lldt ax
    f.run();
    CHECK(f.s().eip == 0x3001);
    CHECK(f.peek<uint16_t>(0x8000 - 6) == 0x1000);
}

// ---- LAR, LSL, VERR, VERW, ARPL ---------------------------------------------------------------

TEST_CASE("LAR returns the access rights and sets ZF") {
    SysFixture f;
    f.s().gpr[ECX] = 0x08;
    f.s().gpr[EAX] = 0;
    REQUIRE(no_fault(exec(f, {0x0f, 0x02, 0xc1}))); // lar eax, ecx
    CHECK(f.zf());
    CHECK(f.s().gpr[EAX] == 0x00cf9b00u);
    f.s().gpr[EAX] = 0xffffffffu;
    REQUIRE(no_fault(exec(f, {0x66, 0x0f, 0x02, 0xc1}))); // lar ax, cx
    CHECK(f.s().gpr[EAX] == 0xffff9b00u);
    // System descriptors LAR accepts: TSS, LDT, call gate.
    for (uint16_t sel : {0x28, 0x30, 0x58, 0x68, 0x50}) {
        f.s().gpr[ECX] = sel;
        REQUIRE(no_fault(exec(f, {0x0f, 0x02, 0xc1})));
        CHECK_MESSAGE(f.zf(), "selector " << sel);
    }
}

TEST_CASE("LAR clears ZF and keeps the destination for an invalid selector") {
    SysFixture f;
    for (uint16_t sel : {0x00, 0x03, 0x100, 0x60}) { // null, null RPL 3, past limit, int gate
        f.s().gpr[ECX] = sel;
        f.s().gpr[EAX] = 0x1234;
        f.s().eflags |= fl::ZF;
        REQUIRE(no_fault(exec(f, {0x0f, 0x02, 0xc1})));
        CHECK_MESSAGE(!f.zf(), "selector " << sel);
        CHECK(f.s().gpr[EAX] == 0x1234);
    }
    // LDT selector while LDTR is unusable.
    f.s().ldtr = Segment{0, 0, 0, 0};
    f.s().gpr[ECX] = 0x0c;
    f.s().eflags |= fl::ZF;
    REQUIRE(no_fault(exec(f, {0x0f, 0x02, 0xc1})));
    CHECK(!f.zf());
}

TEST_CASE("LAR and VERR privilege: DPL >= max(CPL, RPL) unless conforming") {
    SysFixture f;
    f.at_cpl(3);
    f.s().gpr[ECX] = 0x08; // DPL 0 code from CPL 3
    REQUIRE(no_fault(exec(f, {0x0f, 0x02, 0xc1})));
    CHECK(!f.zf());
    f.s().gpr[ECX] = 0x4b; // conforming code: visible
    REQUIRE(no_fault(exec(f, {0x0f, 0x02, 0xc1})));
    CHECK(f.zf());
    f.s().gpr[ECX] = 0x1b;                          // DPL 3 code
    REQUIRE(no_fault(exec(f, {0x0f, 0x00, 0xe1}))); // verr cx
    CHECK(f.zf());
    f.at_cpl(0);
    f.s().gpr[ECX] = 0x7b; // DPL 2 data with RPL 3
    REQUIRE(no_fault(exec(f, {0x0f, 0x00, 0xe1})));
    CHECK(!f.zf());
    f.s().gpr[ECX] = 0x7a; // RPL 2
    REQUIRE(no_fault(exec(f, {0x0f, 0x00, 0xe1})));
    CHECK(f.zf());
}

TEST_CASE("LSL returns the byte-granular limit") {
    SysFixture f;
    f.s().gpr[ECX] = 0x70;                          // G = 1
    REQUIRE(no_fault(exec(f, {0x0f, 0x03, 0xc1}))); // lsl eax, ecx
    CHECK(f.zf());
    CHECK(f.s().gpr[EAX] == 0xffffffffu);
    f.s().gpr[ECX] = 0x23;
    REQUIRE(no_fault(exec(f, {0x0f, 0x03, 0xc1})));
    CHECK(f.s().gpr[EAX] == 0x7fff);
    f.s().gpr[ECX] = 0x28; // TSS
    REQUIRE(no_fault(exec(f, {0x0f, 0x03, 0xc1})));
    CHECK(f.s().gpr[EAX] == 0x67);
    f.s().gpr[EAX] = 0xaaaaaaaau;
    f.s().gpr[ECX] = 0x70;
    REQUIRE(no_fault(exec(f, {0x66, 0x0f, 0x03, 0xc1}))); // lsl ax, cx
    CHECK(f.s().gpr[EAX] == 0xaaaaffffu);
    f.s().gpr[ECX] = 0x68; // call gate: no limit
    f.s().gpr[EAX] = 5;
    REQUIRE(no_fault(exec(f, {0x0f, 0x03, 0xc1})));
    CHECK(!f.zf());
    CHECK(f.s().gpr[EAX] == 5);
}

TEST_CASE("LSL with a memory source reads a word and can fault") {
    SysFixture f;
    f.poke_as<uint16_t>(0x2000, 0x10);
    REQUIRE(no_fault(exec(f, {0x0f, 0x03, 0x05, 0x00, 0x20, 0x00, 0x00}))); // lsl eax, [0x2000]
    CHECK(f.zf());
    CHECK(f.s().gpr[EAX] == 0xffffffffu);
    f.s().seg[DS].limit = 0x1000;
    f.cpu.refresh_segment(DS);
    CHECK(is_fault(exec(f, {0x0f, 0x03, 0x05, 0x00, 0x20, 0x00, 0x00}), vec::GP, 0));
}

TEST_CASE("LAR, LSL, VERR, VERW, ARPL change ZF only") {
    SysFixture f;
    constexpr uint32_t kOthers = fl::CF | fl::PF | fl::AF | fl::SF | fl::OF;
    struct Probe {
        std::vector<uint8_t> bytes;
        uint32_t ecx;
    } probes[] = {{{0x0f, 0x02, 0xc1}, 0x08},
                  {{0x0f, 0x03, 0xc1}, 0x100},
                  {{0x0f, 0x00, 0xe1}, 0x10},
                  {{0x0f, 0x00, 0xe9}, 0x08},
                  {{0x63, 0xc8}, 0x03}};
    for (const Probe& k : probes) {
        for (uint32_t others : {0u, kOthers}) {
            f.s().eflags = fl::FIXED1 | others;
            f.s().gpr[ECX] = k.ecx;
            f.s().gpr[EAX] = 0;
            REQUIRE(no_fault(exec(f, k.bytes)));
            CHECK((f.flags() & kOthers) == others);
        }
    }
}

TEST_CASE("VERR and VERW") {
    SysFixture f;
    struct Case {
        uint16_t sel;
        bool readable, writable;
    } cases[] = {{0x08, true, false},  {0x10, true, true},   {0x23, true, false},
                 {0x40, false, false}, {0x48, true, false},  {0x28, false, false},
                 {0x00, false, false}, {0x100, false, false}};
    for (const Case& k : cases) {
        f.s().gpr[EAX] = k.sel;
        REQUIRE(no_fault(exec(f, {0x0f, 0x00, 0xe0}))); // verr ax
        CHECK_MESSAGE(f.zf() == k.readable, "verr " << k.sel);
        REQUIRE(no_fault(exec(f, {0x0f, 0x00, 0xe8}))); // verw ax
        CHECK_MESSAGE(f.zf() == k.writable, "verw " << k.sel);
    }
}

TEST_CASE("ARPL raises the RPL and sets ZF") {
    SysFixture f;
    f.s().gpr[EAX] = 0x11110008;
    f.s().gpr[ECX] = 0x3;
    REQUIRE(no_fault(exec(f, {0x63, 0xc8}))); // arpl ax, cx
    CHECK(f.s().gpr[EAX] == 0x1111000bu);
    CHECK(f.zf());
    REQUIRE(no_fault(exec(f, {0x63, 0xc8}))); // already RPL 3
    CHECK(f.s().gpr[EAX] == 0x1111000bu);
    CHECK(!f.zf());
    f.poke_as<uint16_t>(0x2000, 0x0011);
    f.s().gpr[ECX] = 0x2;
    REQUIRE(no_fault(exec(f, {0x63, 0x0d, 0x00, 0x20, 0x00, 0x00}))); // arpl [0x2000], cx
    CHECK(f.peek<uint16_t>(0x2000) == 0x0012);
    CHECK(f.zf());
    // A read-only destination faults even when no adjustment is needed.
    f.s().seg[DS].attr &= ~seg_attr::WRITABLE;
    f.cpu.refresh_segment(DS);
    CHECK(is_fault(exec(f, {0x63, 0x0d, 0x00, 0x20, 0x00, 0x00}), vec::GP, 0));
}

// ---- control registers ------------------------------------------------------------------------

TEST_CASE("MOV to CR0: PG without PE and NW without CD raise #GP(0)") {
    SysFixture f;
    uint32_t before = f.s().cr0;
    f.s().gpr[EAX] = cr0::PG | cr0::ET; // PE = 0
    CHECK(is_fault(exec(f, {0x0f, 0x22, 0xc0}), vec::GP, 0));
    f.s().gpr[EAX] = cr0::PE | cr0::NW | cr0::ET;
    CHECK(is_fault(exec(f, {0x0f, 0x22, 0xc0}), vec::GP, 0));
    CHECK(f.s().cr0 == before);
}

TEST_CASE("MOV to CR0 ignores reserved bits and keeps ET set") {
    SysFixture f;
    f.s().gpr[EAX] = cr0::PE | cr0::WP | 0x00000fc0u | (1u << 17); // reserved 6-11, 17
    REQUIRE(no_fault(exec(f, {0x0f, 0x22, 0xc0})));
    CHECK(f.s().cr0 == (cr0::PE | cr0::ET | cr0::WP));
    CHECK(f.cpu.end_block);
    f.s().gpr[EBX] = 0;
    REQUIRE(no_fault(exec(f, {0x0f, 0x20, 0xc3}))); // mov ebx, cr0
    CHECK(f.s().gpr[EBX] == (cr0::PE | cr0::ET | cr0::WP));
}

TEST_CASE("MOV to CR0 switching PE refreshes the segment checks") {
    CpuFixture f;
    f.s().seg[DS].attr = 0; // an unusable data segment in protected mode; real mode ignores it
    f.cpu.refresh_segment(DS);
    f.s().gpr[EAX] = f.s().cr0 | cr0::PE;
    REQUIRE(no_fault(exec(f, {0x0f, 0x22, 0xc0}))); // mov cr0, eax
    CHECK(f.cpu.protected_mode());
    CHECK(!f.cpu.segc[DS].readable);
    f.s().gpr[EAX] &= ~cr0::PE;
    REQUIRE(no_fault(exec(f, {0x0f, 0x22, 0xc0})));
    CHECK(f.cpu.segc[DS].readable);
}

TEST_CASE("MOV to CR4: reserved and unsupported bits raise #GP(0)") {
    SysFixture f;
    for (uint32_t bit : {cr4::VME, cr4::PVI, cr4::PAE, 1u << 6 /* MCE */, cr4::OSFXSR, 1u << 11}) {
        f.s().gpr[EAX] = bit;
        CHECK_MESSAGE(is_fault(exec(f, {0x0f, 0x22, 0xe0}), vec::GP, 0), "bit " << bit);
    }
    CHECK(f.s().cr4 == 0);
    f.s().gpr[EAX] = cr4::PSE | cr4::PGE | cr4::TSD | cr4::DE | kCr4Pce;
    REQUIRE(no_fault(exec(f, {0x0f, 0x22, 0xe0})));
    CHECK(f.s().cr4 == f.s().gpr[EAX]);
    REQUIRE(no_fault(exec(f, {0x0f, 0x20, 0xe1}))); // mov ecx, cr4
    CHECK(f.s().gpr[ECX] == f.s().cr4);
}

TEST_CASE("MOV CR2 and CR3 round-trip; CR3 ends the block") {
    SysFixture f;
    f.s().gpr[EAX] = 0xcafef00du;
    REQUIRE(no_fault(exec(f, {0x0f, 0x22, 0xd0}))); // mov cr2, eax
    CHECK(f.s().cr2 == 0xcafef00du);
    f.s().gpr[EAX] = 0x00123018u;
    REQUIRE(no_fault(exec(f, {0x0f, 0x22, 0xd8}))); // mov cr3, eax
    CHECK(f.s().cr3 == 0x00123018u);
    CHECK(f.cpu.end_block);
    REQUIRE(no_fault(exec(f, {0x0f, 0x20, 0xd2}))); // mov edx, cr2
    CHECK(f.s().gpr[EDX] == 0xcafef00du);
}

TEST_CASE("MOV CR1/CR5 raise #UD; MOV CRn at CPL 3 raises #GP(0)") {
    SysFixture f;
    CHECK(is_fault(exec(f, {0x0f, 0x22, 0xc8}), vec::UD)); // mov cr1, eax
    CHECK(is_fault(exec(f, {0x0f, 0x20, 0xe8}), vec::UD)); // mov eax, cr5
    f.at_cpl(3);
    f.s().gpr[EAX] = 0x77;
    CHECK(is_fault(exec(f, {0x0f, 0x20, 0xc0}), vec::GP, 0)); // mov eax, cr0
    CHECK(f.s().gpr[EAX] == 0x77);
    CHECK(is_fault(exec(f, {0x0f, 0x22, 0xd8}), vec::GP, 0)); // mov cr3, eax
}

TEST_CASE("MOV CR0 in real mode is allowed (16-bit code, 32-bit register)") {
    CpuFixture f;
    f.s().gpr[EAX] = 0;
    REQUIRE(no_fault(exec(f, {0x0f, 0x20, 0xc0}))); // mov eax, cr0
    CHECK(f.s().gpr[EAX] == (cr0::CD | cr0::NW | cr0::ET));
}

TEST_CASE("LMSW sets PE MP EM TS but cannot clear PE") {
    CpuFixture f;
    f.s().gpr[EAX] = 0xfffb;                        // PE MP TS, not EM; high bits ignored
    REQUIRE(no_fault(exec(f, {0x0f, 0x01, 0xf0}))); // lmsw ax
    CHECK(f.cpu.protected_mode());
    CHECK((f.s().cr0 & 0xf) == 0xb);
    CHECK((f.s().cr0 & ~0xfu) == (cr0::CD | cr0::NW | cr0::ET));
    CHECK(f.cpu.end_block);
    f.s().gpr[EAX] = 0x4; // EM only: PE stays
    REQUIRE(no_fault(exec(f, {0x0f, 0x01, 0xf0})));
    CHECK((f.s().cr0 & 0xf) == 0x5);
}

TEST_CASE("LMSW and CLTS are privileged; SMSW is not") {
    SysFixture f;
    f.s().cr0 |= cr0::TS;
    f.at_cpl(3);
    f.s().gpr[EAX] = 0x1;
    CHECK(is_fault(exec(f, {0x0f, 0x01, 0xf0}), vec::GP, 0));
    CHECK(is_fault(exec(f, {0x0f, 0x06}), vec::GP, 0));
    CHECK((f.s().cr0 & cr0::TS) != 0);
    f.s().gpr[ECX] = 0xffffffffu;
    REQUIRE(no_fault(exec(f, {0x0f, 0x01, 0xe1}))); // smsw ecx: all of CR0
    CHECK(f.s().gpr[ECX] == f.s().cr0);
    f.at_cpl(0);
    REQUIRE(no_fault(exec(f, {0x0f, 0x06}))); // clts
    CHECK((f.s().cr0 & cr0::TS) == 0);
}

TEST_CASE("SMSW register and memory forms") {
    SysFixture f;
    f.s().cr0 = cr0::PE | cr0::ET | cr0::CD | cr0::MP;
    f.s().gpr[ECX] = 0xaaaaaaaau;
    REQUIRE(no_fault(exec(f, {0x66, 0x0f, 0x01, 0xe1}))); // smsw cx
    CHECK(f.s().gpr[ECX] == 0xaaaa0013u);
    f.poke_as<uint32_t>(0x2000, 0xeeeeeeeeu);
    REQUIRE(no_fault(exec(f, {0x0f, 0x01, 0x25, 0x00, 0x20, 0x00, 0x00}))); // smsw [0x2000]
    CHECK(f.peek<uint32_t>(0x2000) == 0xeeee0013u);
}

// ---- debug registers --------------------------------------------------------------------------

TEST_CASE("MOV DRn: DR0-3 round-trip, DR6/DR7 fixed bits") {
    SysFixture f;
    f.s().gpr[EAX] = 0x12345678;
    REQUIRE(no_fault(exec(f, {0x0f, 0x23, 0xd8}))); // mov dr3, eax
    CHECK(f.s().dr[3] == 0x12345678u);
    f.s().gpr[EAX] = 0;
    REQUIRE(no_fault(exec(f, {0x0f, 0x23, 0xf0}))); // mov dr6, eax
    CHECK(f.s().dr[6] == 0xffff0ff0u);
    f.s().gpr[EAX] = 0xffffffffu;
    REQUIRE(no_fault(exec(f, {0x0f, 0x23, 0xf8}))); // mov dr7, eax
    CHECK(f.s().dr[7] == 0xffff27ffu);
    f.s().dr[7] = 0x401;
    REQUIRE(no_fault(exec(f, {0x0f, 0x21, 0xf9}))); // mov ecx, dr7
    CHECK(f.s().gpr[ECX] == 0x401);
}

TEST_CASE("DR4/DR5 alias DR6/DR7 unless CR4.DE, then #UD") {
    SysFixture f;
    f.s().dr[6] = 0xffff0ff1u;
    REQUIRE(no_fault(exec(f, {0x0f, 0x21, 0xe0}))); // mov eax, dr4
    CHECK(f.s().gpr[EAX] == 0xffff0ff1u);
    f.s().gpr[EAX] = 0x403;
    REQUIRE(no_fault(exec(f, {0x0f, 0x23, 0xe8}))); // mov dr5, eax
    CHECK(f.s().dr[7] == 0x403);
    f.s().cr4 = cr4::DE;
    CHECK(is_fault(exec(f, {0x0f, 0x21, 0xe0}), vec::UD));
    CHECK(is_fault(exec(f, {0x0f, 0x23, 0xe8}), vec::UD));
    CHECK(no_fault(exec(f, {0x0f, 0x21, 0xf0}))); // mov eax, dr6 still fine
}

TEST_CASE("DR7.GD: MOV DRn raises #DB with DR6.BD set and GD cleared") {
    SysFixture f;
    f.s().dr[7] = 0x400 | (1u << 13);
    f.s().gpr[EAX] = 0x55;
    CHECK(is_fault(exec(f, {0x0f, 0x23, 0xc0}), vec::DB)); // mov dr0, eax
    CHECK(f.s().dr[0] == 0);
    CHECK((f.s().dr[6] & (1u << 13)) != 0);
    CHECK((f.s().dr[7] & (1u << 13)) == 0);
    CHECK(no_fault(exec(f, {0x0f, 0x23, 0xc0}))); // the handler can now use them
    CHECK(f.s().dr[0] == 0x55);
}

TEST_CASE("MOV DRn at CPL 3 raises #GP(0)") {
    SysFixture f;
    f.at_cpl(3);
    CHECK(is_fault(exec(f, {0x0f, 0x21, 0xc0}), vec::GP, 0));
    CHECK(is_fault(exec(f, {0x0f, 0x23, 0xc0}), vec::GP, 0));
}

// ---- INVLPG, INVD, WBINVD, UD2, RDPMC ---------------------------------------------------------

TEST_CASE("INVLPG, INVD, WBINVD are privileged no-faults at CPL 0") {
    SysFixture f;
    CHECK(no_fault(exec(f, {0x0f, 0x01, 0x38}))); // invlpg [eax]
    CHECK(no_fault(exec(f, {0x0f, 0x08})));       // invd
    CHECK(no_fault(exec(f, {0x0f, 0x09})));       // wbinvd
    f.at_cpl(3);
    CHECK(is_fault(exec(f, {0x0f, 0x01, 0x38}), vec::GP, 0));
    CHECK(is_fault(exec(f, {0x0f, 0x08}), vec::GP, 0));
    CHECK(is_fault(exec(f, {0x0f, 0x09}), vec::GP, 0));
}

TEST_CASE("UD2 raises #UD; RDPMC raises #GP(0)") {
    SysFixture f;
    CHECK(is_fault(exec(f, {0x0f, 0x0b}), vec::UD));
    CHECK(f.s().eip == 0x1000);
    CHECK(is_fault(exec(f, {0x0f, 0x33}), vec::GP, 0));
}

// ---- CPUID ------------------------------------------------------------------------------------

namespace {
CpuidResult run_cpuid(CpuFixture& f, uint32_t leaf, uint32_t subleaf = 0) {
    f.s().gpr[EAX] = leaf;
    f.s().gpr[ECX] = subleaf;
    REQUIRE(no_fault(exec(f, {0x0f, 0xa2})));
    return {f.s().gpr[EAX], f.s().gpr[EBX], f.s().gpr[ECX], f.s().gpr[EDX]};
}
} // namespace

TEST_CASE("CPUID leaf 0: maximum leaf and GenuineIntel") {
    CpuFixture f;
    CpuidResult r = run_cpuid(f, 0);
    CHECK(r.eax == 2);
    char vendor[13] = {};
    std::memcpy(vendor, &r.ebx, 4);
    std::memcpy(vendor + 4, &r.edx, 4);
    std::memcpy(vendor + 8, &r.ecx, 4);
    CHECK(std::string(vendor) == "GenuineIntel");
}

TEST_CASE("CPUID leaf 1: signature and exactly the emulated features") {
    CpuFixture f;
    CpuidResult r = run_cpuid(f, 1);
    CHECK(r.eax == f.cpu.model.signature);
    CHECK(((r.eax >> 8) & 0xf) == 6); // P6 family
    CHECK(r.ebx == 0);                // APIC id 0
    CHECK(r.ecx == 0);
    using namespace cpuid_edx;
    CHECK(r.edx == (FPU | DE | PSE | TSC | MSR | CX8 | MTRR | PGE | CMOV | PAT));
    for (uint32_t absent : {VME, PAE, MCE, APIC, SEP, MCA, PSE36, CLFSH, MMX, FXSR, SSE, SSE2})
        CHECK((r.edx & absent) == 0);
}

TEST_CASE("CPUID leaf 2 and unknown leaves return the cache descriptors") {
    CpuFixture f;
    CpuidResult l2 = run_cpuid(f, 2);
    CHECK((l2.eax & 0xff) == 1);
    CHECK((l2.eax & 0x80000000u) == 0);
    CHECK(l2.edx == 0x0c040843u);
    for (uint32_t leaf : {3u, 4u, 0xbu, 0x40000000u, 0x80000001u, 0x80000008u, 0xffffffffu}) {
        CpuidResult r = run_cpuid(f, leaf, 1);
        CHECK_MESSAGE((r.eax == l2.eax && r.ebx == l2.ebx && r.ecx == l2.ecx && r.edx == l2.edx),
                      "leaf " << leaf);
    }
}

TEST_CASE("CPUID 0x80000000 reports no extended leaves") {
    CpuFixture f;
    CpuidResult r = run_cpuid(f, 0x80000000u);
    CHECK(r.eax == 0x80000000u);
    CHECK(r.ebx == 0);
    CHECK(r.ecx == 0);
    CHECK(r.edx == 0);
}

TEST_CASE("CPUID works at CPL 3") {
    SysFixture f;
    f.at_cpl(3);
    CHECK(run_cpuid(f, 0).eax == 2);
}

// ---- RDTSC ------------------------------------------------------------------------------------

TEST_CASE("RDTSC reads icount + tsc_offset") {
    CpuFixture f;
    f.s().icount = 0x123456789ull;
    f.s().tsc_offset = 0x100000000ull;
    REQUIRE(no_fault(exec(f, {0x0f, 0x31})));
    CHECK(f.s().gpr[EAX] == 0x23456789u);
    CHECK(f.s().gpr[EDX] == 0x2);
}

TEST_CASE("RDTSC counts retired instructions") {
    CpuFixture f;
    // rdtsc ; mov ebx, eax ; nop ; nop ; rdtsc ; hlt
    f.code({0x0f, 0x31, 0x66, 0x89, 0xc3, 0x90, 0x90, 0x0f, 0x31, 0xf4});
    f.run();
    CHECK(f.s().gpr[EAX] - f.s().gpr[EBX] == 4);
}

TEST_CASE("RDTSC with CR4.TSD: #GP(0) above CPL 0 only") {
    SysFixture f;
    f.s().cr4 = cr4::TSD;
    CHECK(no_fault(exec(f, {0x0f, 0x31})));
    f.at_cpl(3);
    f.s().gpr[EAX] = 0x99;
    CHECK(is_fault(exec(f, {0x0f, 0x31}), vec::GP, 0));
    CHECK(f.s().gpr[EAX] == 0x99);
    f.s().cr4 = 0;
    CHECK(no_fault(exec(f, {0x0f, 0x31})));
}

// ---- MSRs -------------------------------------------------------------------------------------

namespace {
PendingFault rdmsr(CpuFixture& f, uint32_t index, uint64_t& v) {
    f.s().gpr[ECX] = index;
    f.s().gpr[EAX] = f.s().gpr[EDX] = 0xdeadbeef;
    PendingFault pf = exec(f, {0x0f, 0x32});
    v = f.s().gpr[EAX] | (uint64_t(f.s().gpr[EDX]) << 32);
    return pf;
}
PendingFault wrmsr(CpuFixture& f, uint32_t index, uint64_t v) {
    f.s().gpr[ECX] = index;
    f.s().gpr[EAX] = uint32_t(v);
    f.s().gpr[EDX] = uint32_t(v >> 32);
    return exec(f, {0x0f, 0x30});
}
uint64_t read(CpuFixture& f, uint32_t index) {
    uint64_t v;
    REQUIRE(no_fault(rdmsr(f, index, v)));
    return v;
}
} // namespace

TEST_CASE("IA32_TIME_STAMP_COUNTER: reads the TSC, writes move tsc_offset") {
    CpuFixture f;
    f.s().icount = 1000;
    CHECK(read(f, msr::TSC) == 1000);
    REQUIRE(no_fault(wrmsr(f, msr::TSC, 0x500000000ull)));
    CHECK(f.s().tsc_offset == 0x500000000ull - 1000);
    f.s().icount += 7;
    REQUIRE(no_fault(exec(f, {0x0f, 0x31}))); // rdtsc
    CHECK(f.s().gpr[EAX] == 7);
    CHECK(f.s().gpr[EDX] == 5);
}

TEST_CASE("IA32_APIC_BASE: reset value, BSP read-only, reserved bits #GP") {
    CpuFixture f;
    CHECK(read(f, msr::APIC_BASE) == 0xfee00900u);
    REQUIRE(no_fault(wrmsr(f, msr::APIC_BASE, 0xfec00000u))); // disable, move; BSP stays
    CHECK(read(f, msr::APIC_BASE) == 0xfec00100u);
    CHECK(is_fault(wrmsr(f, msr::APIC_BASE, 0xfee00c00u), vec::GP, 0)); // x2APIC
    CHECK(is_fault(wrmsr(f, msr::APIC_BASE, 0x1000fee00000ull), vec::GP, 0));
    CHECK(read(f, msr::APIC_BASE) == 0xfec00100u);
}

TEST_CASE("MTRRs: capabilities, the SeaBIOS set-up sequence, invalid values") {
    CpuFixture f;
    CHECK(read(f, msr::MTRRCAP) == 0x508); // 8 variable, fixed, WC
    CHECK(is_fault(wrmsr(f, msr::MTRRCAP, 0), vec::GP, 0));
    // What SeaBIOS's mtrr_setup writes for 2 MiB of RAM on a CPU without leaf 0x80000008.
    REQUIRE(no_fault(wrmsr(f, msr::MTRR_DEF_TYPE, 0)));
    REQUIRE(no_fault(wrmsr(f, msr::MTRR_FIX64K_00000, 0x0606060606060606ull)));
    REQUIRE(no_fault(wrmsr(f, msr::MTRR_FIX16K_80000, 0x0606060606060606ull)));
    REQUIRE(no_fault(wrmsr(f, msr::MTRR_FIX16K_A0000, 0)));
    for (uint32_t i = 0; i < 8; ++i)
        REQUIRE(no_fault(wrmsr(f, msr::MTRR_FIX4K_C0000 + i, 0x0505050505050505ull)));
    for (uint32_t i = 0; i < 16; ++i)
        REQUIRE(no_fault(wrmsr(f, 0x200 + i, 0)));
    REQUIRE(no_fault(wrmsr(f, 0x200, 0xe0000000u)));
    REQUIRE(no_fault(wrmsr(f, 0x201, 0xfe0000800ull))); // 36-bit mask, valid
    REQUIRE(no_fault(wrmsr(f, msr::MTRR_DEF_TYPE, 0xc06)));
    CHECK(read(f, 0x200) == 0xe0000000u);
    CHECK(read(f, 0x201) == 0xfe0000800ull);
    CHECK(read(f, msr::MTRR_FIX4K_C0000 + 7) == 0x0505050505050505ull);
    CHECK(read(f, msr::MTRR_FIX16K_80000) == 0x0606060606060606ull);
    CHECK(read(f, msr::MTRR_DEF_TYPE) == 0xc06);
    CHECK(f.s().mtrr_fixed[10] == 0x0505050505050505ull);
    // Reserved bits and invalid memory types.
    CHECK(is_fault(wrmsr(f, 0x202, 0x2), vec::GP, 0));             // type 2
    CHECK(is_fault(wrmsr(f, 0x202, 0x100), vec::GP, 0));           // bit 8
    CHECK(is_fault(wrmsr(f, 0x203, 0x1000000800ull), vec::GP, 0)); // bit 36
    CHECK(is_fault(wrmsr(f, 0x203, 0x400), vec::GP, 0));           // mask bit 10
    CHECK(is_fault(wrmsr(f, msr::MTRR_FIX64K_00000, 0x07), vec::GP, 0));
    CHECK(is_fault(wrmsr(f, msr::MTRR_DEF_TYPE, 0x1006), vec::GP, 0));
    CHECK(is_fault(wrmsr(f, msr::MTRR_DEF_TYPE, 0x3), vec::GP, 0));
    CHECK(is_fault(wrmsr(f, 0x210, 0), vec::GP, 0)); // no ninth variable range
    CHECK(is_fault(wrmsr(f, 0x251, 0), vec::GP, 0)); // between fixed MTRRs
    CHECK(read(f, 0x202) == 0);
}

TEST_CASE("IA32_PAT: reset value, UC- allowed, invalid types #GP") {
    CpuFixture f;
    CHECK(read(f, msr::PAT) == 0x0007040600070406ull);
    REQUIRE(no_fault(wrmsr(f, msr::PAT, 0x0007010600070106ull)));
    CHECK(read(f, msr::PAT) == 0x0007010600070106ull);
    CHECK(is_fault(wrmsr(f, msr::PAT, 0x0007040600070402ull), vec::GP, 0));
    CHECK(is_fault(wrmsr(f, msr::PAT, 0x0807040600070406ull), vec::GP, 0));
}

TEST_CASE("SYSENTER MSRs, MISC_ENABLE, BIOS_SIGN_ID, FEATURE_CONTROL") {
    CpuFixture f;
    REQUIRE(no_fault(wrmsr(f, msr::SYSENTER_CS, 0x10)));
    REQUIRE(no_fault(wrmsr(f, msr::SYSENTER_ESP, 0x1234567800009000ull)));
    REQUIRE(no_fault(wrmsr(f, msr::SYSENTER_EIP, 0xc0100000u)));
    CHECK(read(f, msr::SYSENTER_CS) == 0x10);
    CHECK(read(f, msr::SYSENTER_ESP) == 0x9000);
    CHECK(read(f, msr::SYSENTER_EIP) == 0xc0100000u);
    CHECK(read(f, msr::MISC_ENABLE) == 0x1800);
    REQUIRE(no_fault(wrmsr(f, msr::MISC_ENABLE, 0x1801)));
    CHECK(read(f, msr::MISC_ENABLE) == 0x1801);
    CHECK(is_fault(wrmsr(f, msr::MISC_ENABLE, 1u << 18), vec::GP, 0)); // MONITOR: no
    REQUIRE(no_fault(wrmsr(f, msr::BIOS_SIGN_ID, 0)));
    CHECK(read(f, msr::BIOS_SIGN_ID) == 0);
    CHECK(read(f, msr::FEATURE_CONTROL) == 1); // locked, VMX off
    CHECK(is_fault(wrmsr(f, msr::FEATURE_CONTROL, 5), vec::GP, 0));
}

TEST_CASE("Unknown MSRs raise #GP(0) and leave EDX:EAX alone") {
    CpuFixture f;
    for (uint32_t index : {0x0u, 0x1u, 0x17u, 0x79u, 0xc0000080u, 0x400u, 0x40000000u}) {
        uint64_t v;
        CHECK_MESSAGE(is_fault(rdmsr(f, index, v), vec::GP, 0), "rdmsr " << index);
        CHECK(v == 0xdeadbeefdeadbeefull);
        CHECK_MESSAGE(is_fault(wrmsr(f, index, 0), vec::GP, 0), "wrmsr " << index);
    }
}

TEST_CASE("RDMSR and WRMSR are privileged") {
    SysFixture f;
    f.at_cpl(3);
    uint64_t v;
    CHECK(is_fault(rdmsr(f, msr::TSC, v), vec::GP, 0));
    CHECK(is_fault(wrmsr(f, msr::TSC, 0), vec::GP, 0));
    CHECK(f.s().tsc_offset == 0);
}

// ---- x87 probes -------------------------------------------------------------------------------

TEST_CASE("FNINIT, FNSTSW, FNSTCW: the firmware FPU probe finds an FPU") {
    CpuFixture f;
    // fninit ; mov word [0x2000], 0x5a5a ; fnstsw [0x2000] ; fnstcw [0x2002] ; fnstsw ax ; hlt
    f.code({0xdb, 0xe3, 0xc7, 0x06, 0x00, 0x20, 0x5a, 0x5a, 0xdd, 0x3e, 0x00, 0x20, 0xd9, 0x3e,
            0x02, 0x20, 0xdf, 0xe0, 0xf4});
    f.s().fpu.fsw = 0x3800;
    f.s().fpu.ftw = 0xff;
    f.s().gpr[EAX] = 0xffffffffu;
    f.run();
    CHECK(f.peek<uint16_t>(0x2000) == 0);
    CHECK(f.peek<uint16_t>(0x2002) == 0x037f);
    CHECK(f.s().gpr[EAX] == 0xffff0000u);
    CHECK(f.s().fpu.fcw == 0x037f);
    CHECK(f.s().fpu.ftw == 0);
    CHECK(f.s().eip == 0x1013);
}

TEST_CASE("FLDCW keeps the defined bits; FNCLEX clears exception flags") {
    SysFixture f;
    f.poke_as<uint16_t>(0x2000, 0xffff);
    REQUIRE(no_fault(exec(f, {0xd9, 0x2d, 0x00, 0x20, 0x00, 0x00}))); // fldcw [0x2000]
    CHECK(f.s().fpu.fcw == 0x1f7f);
    f.s().fpu.fsw = 0xb8ff;
    REQUIRE(no_fault(exec(f, {0xdb, 0xe2}))); // fnclex
    CHECK(f.s().fpu.fsw == 0x3800);
    // Unmasking a flagged exception sets the summary bits ES and B.
    f.s().fpu.fsw = 0x0001;
    f.poke_as<uint16_t>(0x2000, 0x037e);
    REQUIRE(no_fault(exec(f, {0xd9, 0x2d, 0x00, 0x20, 0x00, 0x00})));
    CHECK(f.s().fpu.fsw == 0x8081);
}

TEST_CASE("x87 instructions raise #NM under CR0.EM or CR0.TS") {
    SysFixture f;
    for (uint32_t bits : {cr0::EM, cr0::TS}) {
        f.s().cr0 = cr0::PE | cr0::ET | bits;
        f.s().fpu.fcw = 0x40;
        CHECK(is_fault(exec(f, {0xdb, 0xe3}), vec::NM)); // fninit
        CHECK(f.s().fpu.fcw == 0x40);
        CHECK(is_fault(exec(f, {0xdf, 0xe0}), vec::NM));                         // fnstsw ax
        CHECK(is_fault(exec(f, {0xd9, 0x3d, 0x00, 0x20, 0x00, 0x00}), vec::NM)); // fnstcw
        CHECK(is_fault(exec(f, {0xd9, 0x2d, 0x00, 0x20, 0x00, 0x00}), vec::NM)); // fldcw
        CHECK(is_fault(exec(f, {0xdb, 0xe2}), vec::NM));                         // fnclex
        CHECK(is_fault(exec(f, {0xd9, 0xe8}), vec::NM));                         // fld1
        CHECK(is_fault(exec(f, {0xdd, 0x30}), vec::NM));                         // fnsave [eax]
    }
}

TEST_CASE("FWAIT raises #NM only with CR0.MP and CR0.TS") {
    SysFixture f;
    f.s().cr0 = cr0::PE | cr0::ET | cr0::TS;
    CHECK(no_fault(exec(f, {0x9b})));
    f.s().cr0 |= cr0::MP;
    CHECK(is_fault(exec(f, {0x9b}), vec::NM));
    f.s().cr0 = cr0::PE | cr0::ET | cr0::MP | cr0::EM;
    CHECK(no_fault(exec(f, {0x9b})));
}

TEST_CASE("Other x87 instructions raise #UD; FNOP and the 287 no-ops run") {
    SysFixture f;
    CHECK(is_fault(exec(f, {0xd9, 0xe8}), vec::UD)); // fld1
    CHECK(is_fault(exec(f, {0xde, 0xc1}), vec::UD)); // faddp
    CHECK(is_fault(exec(f, {0xdd, 0x30}), vec::UD)); // fnsave [eax]
    CHECK(no_fault(exec(f, {0xd9, 0xd0})));          // fnop
    CHECK(no_fault(exec(f, {0xdb, 0xe4})));          // fsetpm
    CHECK(no_fault(exec(f, {0xdb, 0xe0})));          // feni
}

TEST_CASE("MMX and SSE instructions raise #UD: CPUID reports neither") {
    SysFixture f;
    CHECK(is_fault(exec(f, {0x0f, 0x6f, 0xc1}), vec::UD)); // movq mm0, mm1
    CHECK(is_fault(exec(f, {0x0f, 0x77}), vec::UD));       // emms
    CHECK(is_fault(exec(f, {0x0f, 0x28, 0xc1}), vec::UD)); // movaps
    CHECK(is_fault(exec(f, {0x0f, 0xae, 0x00}), vec::UD)); // fxsave [eax]
    f.s().cr0 |= cr0::TS;
    CHECK(is_fault(exec(f, {0x0f, 0x6f, 0xc1}), vec::UD));
}
