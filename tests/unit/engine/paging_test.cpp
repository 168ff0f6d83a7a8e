// 32-bit paging (engine/memory/paging.cpp, SDM vol. 3 §4.3): 4 KiB and 4 MiB pages, accessed and
// dirty bits, #PF error codes and CR2, CR0.WP, TLB invalidation by INVLPG and CR3, and a page
// fault handled through the IDT and resumed.
#include "tests/unit/engine/cpu_fixture.h"

#include <doctest/doctest.h>

#include <vector>

using namespace rr86;
using rr86::test::CpuFixture;

namespace {

constexpr uint32_t P = 1, RW = 2, US = 4, A = 0x20, D = 0x40, PS = 0x80;
constexpr uint32_t kPd = 0x80000, kPt0 = 0x81000, kPt1 = 0x82000; // page directory and tables
constexpr uint32_t kWindow = 0x400000; // linear 4 MiB..8 MiB: PDE 1, mapped per test
constexpr uint32_t kFrame = 0x150000;  // a physical page the window maps to

// Flat 32-bit protected mode with paging on: linear 0..2 MiB identity-mapped (user, writable)
// through kPt0; PDE 1 points at kPt1, whose entries start not present.
struct PagingFixture : CpuFixture {
    PagingFixture() {
        flat32();
        for (uint32_t i = 0; i < 512; ++i)
            pte0(i, (i << 12) | P | RW | US);
        pde(0, kPt0 | P | RW | US);
        pde(1, kPt1 | P | RW | US);
        s().cr3 = kPd;
        s().cr0 |= cr0::PG;
        cpu.state_changed();
    }
    void pde(unsigned i, uint32_t v) { poke_as<uint32_t>(kPd + i * 4, v); }
    void pte0(unsigned i, uint32_t v) { poke_as<uint32_t>(kPt0 + i * 4, v); }
    void pte1(unsigned i, uint32_t v) { poke_as<uint32_t>(kPt1 + i * 4, v); }
    uint32_t pde_at(unsigned i) { return peek<uint32_t>(kPd + i * 4); }
    uint32_t pte1_at(unsigned i) { return peek<uint32_t>(kPt1 + i * 4); }
    void at_cpl(unsigned cpl) {
        s().cpl = uint8_t(cpl);
        cpu.flush_tlb();
    }
    // A GDT with flat ring-0 code (08) and data (10), and an IDT whose entry `vector` is a
    // 32-bit interrupt gate to 0008:handler.
    static constexpr uint32_t kGdt = 0x4000, kIdt = 0x3000;
    void tables(unsigned vector, uint32_t handler) {
        poke_as<uint64_t>(kGdt + 0x08, 0x00cf9a000000ffffull);
        poke_as<uint64_t>(kGdt + 0x10, 0x00cf92000000ffffull);
        s().gdtr = {kGdt, 0x17};
        uint64_t gate =
            (uint64_t((handler & 0xffff0000u) | 0x8e00) << 32) | (0x08u << 16) | (handler & 0xffff);
        poke_as<uint64_t>(kIdt + vector * 8, gate);
        s().idtr = {kIdt, 0x7ff};
    }
};

// Places `bytes` at CS:EIP and runs the semantic alone without delivering its fault.
PendingFault exec(CpuFixture& f, const std::vector<uint8_t>& bytes) { return f.exec_here(bytes); }

bool page_fault(const PendingFault& pf, uint32_t error) {
    return pf.active && pf.vector == vec::PF && pf.error == error;
}

// mov eax, [kWindow + off]
std::vector<uint8_t> load(uint32_t off) {
    uint32_t a = kWindow + off;
    return {0xa1, uint8_t(a), uint8_t(a >> 8), uint8_t(a >> 16), uint8_t(a >> 24)};
}
// mov [kWindow + off], eax
std::vector<uint8_t> store(uint32_t off) {
    uint32_t a = kWindow + off;
    return {0xa3, uint8_t(a), uint8_t(a >> 8), uint8_t(a >> 16), uint8_t(a >> 24)};
}

} // namespace

TEST_CASE("4 KiB page: translation, accessed and dirty bits") {
    PagingFixture f;
    f.pte1(2, kFrame | P | RW);
    f.poke_as<uint32_t>(kFrame + 0x10, 0x11223344);
    REQUIRE(!exec(f, load(0x2010)).active);
    CHECK(f.s().gpr[EAX] == 0x11223344u);
    CHECK((f.pde_at(1) & A) != 0);
    CHECK((f.pte1_at(2) & (A | D)) == A); // a read sets A only
    f.s().gpr[EAX] = 0xa5a5a5a5u;
    REQUIRE(!exec(f, store(0x2014)).active);
    CHECK(f.peek<uint32_t>(kFrame + 0x14) == 0xa5a5a5a5u);
    CHECK((f.pte1_at(2) & (A | D)) == (A | D));
    CHECK((f.pde_at(1) & D) == 0); // D exists only in the entry that maps the page
}

TEST_CASE("4 MiB page with CR4.PSE: translation, A and D in the PDE") {
    PagingFixture f;
    f.s().cr4 |= cr4::PSE;
    f.pde(1, 0x00000000 | PS | P | RW); // linear 4-8 MiB -> physical 0-4 MiB
    f.poke_as<uint32_t>(0x123458, 0xfeedface);
    REQUIRE(!exec(f, load(0x123458)).active);
    CHECK(f.s().gpr[EAX] == 0xfeedfaceu);
    CHECK((f.pde_at(1) & (A | D)) == A);
    REQUIRE(!exec(f, store(0x12345c)).active);
    CHECK(f.peek<uint32_t>(0x12345c) == 0xfeedfaceu);
    CHECK((f.pde_at(1) & (A | D)) == (A | D));
}

TEST_CASE("PDE.PS is ignored without CR4.PSE") {
    PagingFixture f;
    f.pde(1, kPt1 | PS | P | RW); // PS set, but it is a page-table pointer now
    f.pte1(0, kFrame | P | RW);
    f.poke_as<uint32_t>(kFrame + 8, 0x600d);
    REQUIRE(!exec(f, load(8)).active);
    CHECK(f.s().gpr[EAX] == 0x600d);
}

TEST_CASE("4 MiB page with reserved bits 21:13 set: #PF with RSVD") {
    PagingFixture f;
    f.s().cr4 |= cr4::PSE;
    f.pde(1, 0x00002000 | PS | P | RW);
    CHECK(page_fault(exec(f, load(0)), 0x9)); // P | RSVD
    CHECK(f.s().cr2 == kWindow);
}

TEST_CASE("#PF for not-present pages: error code and CR2") {
    PagingFixture f;
    f.s().gpr[EAX] = 0x77;
    CHECK(page_fault(exec(f, load(0x3004)), 0)); // supervisor read
    CHECK(f.s().cr2 == kWindow + 0x3004);
    CHECK(f.s().gpr[EAX] == 0x77);
    CHECK(f.s().eip == 0x1000);
    CHECK(page_fault(exec(f, store(0x5008)), 2)); // supervisor write
    CHECK(f.s().cr2 == kWindow + 0x5008);
    f.pde(2, 0);                                                   // not-present PDE
    CHECK(page_fault(exec(f, {0xa1, 0x10, 0x00, 0x80, 0x00}), 0)); // mov eax, [0x800010]
    CHECK(f.s().cr2 == 0x800010u);
    f.at_cpl(3);
    CHECK(page_fault(exec(f, load(0x3000)), 4));  // user read
    CHECK(page_fault(exec(f, store(0x3000)), 6)); // user write
}

TEST_CASE("#PF for protection violations: U/S and R/W") {
    PagingFixture f;
    f.pte1(0, kFrame | P | RW);            // supervisor page
    f.pte1(1, (kFrame + 0x1000) | P | US); // user read-only page
    f.at_cpl(3);
    CHECK(page_fault(exec(f, load(0x10)), 5));    // user read of a supervisor page
    CHECK(page_fault(exec(f, store(0x10)), 7));   // user write of a supervisor page
    CHECK(!exec(f, load(0x1010)).active);         // user read of a user page
    CHECK(page_fault(exec(f, store(0x1010)), 7)); // user write of a read-only page
    CHECK(f.s().cr2 == kWindow + 0x1010);
    // The PDE's permissions combine with the PTE's.
    f.pte1(2, (kFrame + 0x2000) | P | RW | US);
    f.pde(1, kPt1 | P | US); // read-only directory entry
    f.at_cpl(3);
    CHECK(page_fault(exec(f, store(0x2000)), 7));
    f.pde(1, kPt1 | P | RW); // supervisor directory entry
    f.at_cpl(3);
    CHECK(page_fault(exec(f, load(0x2000)), 5));
}

TEST_CASE("CR0.WP: supervisor writes to read-only pages") {
    PagingFixture f;
    f.pte1(0, kFrame | P | US); // read-only user page
    f.s().gpr[EAX] = 0x1234;
    REQUIRE(!exec(f, store(0x20)).active); // WP = 0: allowed
    CHECK(f.peek<uint32_t>(kFrame + 0x20) == 0x1234);
    f.s().gpr[EAX] = cr0::PE | cr0::ET | cr0::PG | cr0::WP;
    REQUIRE(!exec(f, {0x0f, 0x22, 0xc0}).active); // mov cr0, eax (flushes the TLB)
    f.s().gpr[EAX] = 0x5678;
    CHECK(page_fault(exec(f, store(0x20)), 3)); // supervisor write, present
    CHECK(f.peek<uint32_t>(kFrame + 0x20) == 0x1234);
}

TEST_CASE("INVLPG makes a changed PTE visible") {
    PagingFixture f;
    f.pte1(0, kFrame | P | RW);
    f.poke_as<uint32_t>(kFrame, 1);
    f.poke_as<uint32_t>(kFrame + 0x1000, 2);
    REQUIRE(!exec(f, load(0)).active);
    CHECK(f.s().gpr[EAX] == 1);
    f.pte1(0, (kFrame + 0x1000) | P | RW);
    // invlpg [kWindow]
    REQUIRE(!exec(f, {0x0f, 0x01, 0x3d, 0x00, 0x00, 0x40, 0x00}).active);
    REQUIRE(!exec(f, load(0)).active);
    CHECK(f.s().gpr[EAX] == 2);
    // Unmapping: the next access faults.
    f.pte1(0, 0);
    REQUIRE(!exec(f, {0x0f, 0x01, 0x3d, 0x00, 0x00, 0x40, 0x00}).active);
    CHECK(page_fault(exec(f, load(0)), 0));
}

TEST_CASE("INVLPG anywhere in a 4 MiB page drops the whole page") {
    PagingFixture f;
    f.s().cr4 |= cr4::PSE;
    f.pde(1, 0x00000000 | PS | P | RW);
    f.poke_as<uint32_t>(0x5000, 0x1111);
    REQUIRE(!exec(f, load(0x5000)).active);
    CHECK(f.s().gpr[EAX] == 0x1111);
    f.pde(1, 0);                                                          // unmapped
    REQUIRE(!exec(f, {0x0f, 0x01, 0x3d, 0x00, 0x00, 0x40, 0x00}).active); // invlpg [kWindow]
    CHECK(page_fault(exec(f, load(0x5000)), 0));
}

TEST_CASE("A CR3 write flushes the TLB") {
    PagingFixture f;
    f.pte1(0, kFrame | P | RW);
    f.poke_as<uint32_t>(kFrame, 1);
    f.poke_as<uint32_t>(kFrame + 0x1000, 2);
    REQUIRE(!exec(f, load(0)).active);
    f.pte1(0, (kFrame + 0x1000) | P | RW);
    f.s().gpr[EBX] = kPd;
    REQUIRE(!exec(f, {0x0f, 0x22, 0xdb}).active); // mov cr3, ebx
    REQUIRE(!exec(f, load(0)).active);
    CHECK(f.s().gpr[EAX] == 2);
}

TEST_CASE("A supervisor access at CPL 3 does not open the page to user accesses") {
    // LAR reads the GDT with a supervisor access; the GDT lives in a supervisor page.
    PagingFixture f;
    f.pte1(0, kFrame | P | RW);
    f.poke_as<uint64_t>(kFrame + 8, 0x00cffa000000ffffull); // ring-3 code descriptor
    f.s().gdtr = {kWindow, 0xf};
    f.at_cpl(3);
    f.s().gpr[ECX] = 0x0b;
    REQUIRE(!exec(f, {0x0f, 0x02, 0xc1}).active); // lar eax, ecx
    CHECK((f.flags() & fl::ZF) != 0);
    CHECK(page_fault(exec(f, load(8)), 5)); // still a user access to a supervisor page
}

TEST_CASE("Single-stepped fetch near an unmapped page leaves CR2 alone") {
    // After MOV SS the next instruction runs alone (interrupt shadow) and its fetch looks at up
    // to 15 bytes, past the end of the page into an unmapped one: that is no page fault.
    PagingFixture f;
    f.tables(14, 0x2000);
    f.pte1(0, kFrame | P | RW);
    f.s().cr2 = 0x12345678;
    f.s().gpr[EAX] = 0x10;
    f.s().eip = kWindow + 0xffb;
    f.poke(kFrame + 0xffb, {0x8e, 0xd0, 0x90, 0x90, 0xf4}); // mov ss, ax ; nop ; nop ; hlt
    f.run(10);
    CHECK(f.s().eip == kWindow + 0x1000);
    CHECK(f.s().halted);
    CHECK(f.s().cr2 == 0x12345678u);
}

TEST_CASE("An instruction fetch crossing into an unmapped page faults with CR2 there") {
    PagingFixture f;
    f.tables(14, 0x2000);
    f.poke(0x2000, {0xf4}); // handler: hlt
    f.pte1(0, kFrame | P | RW);
    f.s().eip = kWindow + 0xffe;
    f.poke(kFrame + 0xffe, {0xb8, 0x01}); // mov eax, imm32: 3 bytes on the next page
    f.run(10);
    CHECK(f.s().eip == 0x2001);
    CHECK(f.s().cr2 == kWindow + 0x1000);
    CHECK(f.peek<uint32_t>(0x8000 - 16) == 0);               // error code: supervisor read
    CHECK(f.peek<uint32_t>(0x8000 - 12) == kWindow + 0xffe); // EIP: the instruction
}

TEST_CASE("Page fault handled through the IDT: the handler maps the page and IRETs") {
    // The handler may use EAX freely: the faulting MOV loads it again when it is restarted.
    PagingFixture f;
    constexpr uint32_t kHandler = 0x2000, kData = 0x5000;
    f.tables(14, kHandler);
    f.poke_as<uint32_t>(kFrame + 0x40, 0xdeadbeef);
    f.poke(kHandler, {
                         0x0f, 0x20, 0xd0,                         // mov eax, cr2
                         0xa3, 0x00, 0x50, 0x00, 0x00,             // mov [kData], eax
                         0x8b, 0x04, 0x24,                         // mov eax, [esp]
                         0xa3, 0x04, 0x50, 0x00, 0x00,             // mov [kData+4], eax
                         0xc7, 0x05, 0x00, 0x20, 0x08, 0x00,       // mov dword [kPt1], ..
                         0x03, 0x00, 0x15, 0x00,                   //   kFrame | P | RW
                         0x0f, 0x01, 0x3d, 0x00, 0x00, 0x40, 0x00, // invlpg [kWindow]
                         0xff, 0x05, 0x08, 0x50, 0x00, 0x00,       // inc dword [kData+8]
                         0x83, 0xc4, 0x04,                         // add esp, 4 (error code)
                         0xcf,                                     // iret
                     });
    f.code({0xbb, 0x40, 0x00, 0x40, 0x00, // mov ebx, kWindow + 0x40
            0x8b, 0x03,                   // mov eax, [ebx]
            0xf4});                       // hlt
    f.run(100);
    CHECK(f.peek<uint32_t>(kData + 8) == 1); // one fault
    CHECK(f.peek<uint32_t>(kData) == kWindow + 0x40);
    CHECK(f.peek<uint32_t>(kData + 4) == 0); // supervisor read, not present
    CHECK(f.s().gpr[EAX] == 0xdeadbeefu);
    CHECK(f.s().eip == 0x1008);
    CHECK(f.s().gpr[ESP] == 0x8000);
    CHECK((f.pte1_at(0) & A) != 0);
}
