#include "tests/unit/engine/cpu_fixture.h"

#include <doctest/doctest.h>

using namespace rr86;
using rr86::test::CpuFixture;

TEST_CASE("add ax, bx sets result and flags") {
    CpuFixture f;
    f.code({0x01, 0xd8, 0xf4}); // add ax, bx ; hlt
    f.s().gpr[EAX] = 0xffff;
    f.s().gpr[EBX] = 1;
    f.run();
    CHECK((f.s().gpr[EAX] & 0xffff) == 0);
    CHECK((f.flags() & fl::CF) != 0);
    CHECK((f.flags() & fl::ZF) != 0);
    CHECK((f.flags() & fl::AF) != 0);
    CHECK((f.flags() & fl::OF) == 0);
    CHECK(f.s().eip == 0x1003);
}

TEST_CASE("sub with memory destination and 32-bit operand size in real mode") {
    CpuFixture f;
    f.poke_as<uint32_t>(0x2000, 10);
    f.code({0x66, 0x83, 0x2e, 0x00, 0x20, 0x0b, 0xf4}); // sub dword [0x2000], 11 ; hlt
    f.run();
    CHECK(f.peek<uint32_t>(0x2000) == 0xffffffffu);
    CHECK((f.flags() & fl::CF) != 0);
    CHECK((f.flags() & fl::SF) != 0);
}

TEST_CASE("word access at offset 0xffff raises #GP in real mode") {
    CpuFixture f;
    f.ivt_hlt(13, 0x3000);
    f.code({0x8b, 0x07, 0xf4}); // mov ax, [bx] ; hlt
    f.s().gpr[EBX] = 0xffff;
    f.run();
    CHECK(f.s().eip == 0x3001);
    CHECK(f.peek<uint16_t>(0x8000 - 6) == 0x1000); // pushed IP = the faulting instruction
}

TEST_CASE("movzx and movsx") {
    CpuFixture f;
    f.flat32();
    f.code({0x0f, 0xb6, 0xc3, 0x0f, 0xbe, 0xcb, 0xf4}); // movzx eax, bl ; movsx ecx, bl ; hlt
    f.s().gpr[EBX] = 0x80;
    f.run();
    CHECK(f.s().gpr[EAX] == 0x80);
    CHECK(f.s().gpr[ECX] == 0xffffff80u);
}

TEST_CASE("self-modifying code is seen on the next execution") {
    CpuFixture f;
    // 1000: mov byte [0x1008], 0x40 ; (inc ax is 0x40) ; jmp short 1008 ; 1008: nop ; hlt
    f.code({0xc6, 0x06, 0x08, 0x10, 0x40, 0xeb, 0x01, 0x90, 0x90, 0xf4});
    f.run();
    CHECK((f.s().gpr[EAX] & 0xffff) == 1);
}

TEST_CASE("a fault handler that faults again still lets the run loop reach its limit") {
    CpuFixture f;
    // IVT[13] -> 0000:3000, whose first instruction faults again (word read at DS:0xffff).
    f.ivt(13, 0x3000);
    f.poke(0x3000, {0x8b, 0x06, 0xff, 0xff}); // mov ax, [0xffff]
    f.code({0x8b, 0x06, 0xff, 0xff});
    f.s().gpr[ESP] = 0xf000;
    CHECK(f.run(1000) == 1000); // each fault costs one icount; the loop returns
}

TEST_CASE("unassigned ports read all ones and unassigned memory reads all ones, writes dropped") {
    CpuFixture f;
    // in al, 0x99 ; in ax, 0x99 ; in eax, dx ; mov [es:0], al (0xa0000: nothing there) ;
    // mov bl, [es:0] ; hlt
    f.code({0xe4, 0x99, 0x88, 0xc1, 0xe5, 0x99, 0x89, 0xc6, 0x66, 0xed,
            0x26, 0xa2, 0x00, 0x00, 0x26, 0x8a, 0x1e, 0x00, 0x00, 0xf4});
    f.s().gpr[EDX] = 0x1234;
    f.s().seg[ES].base = 0x300000u; // beyond the fixture's 2 MiB of RAM: unassigned
    f.cpu.refresh_segment(ES);
    f.run();
    CHECK((f.s().gpr[ECX] & 0xff) == 0xff);
    CHECK((f.s().gpr[ESI] & 0xffff) == 0xffff);
    CHECK(f.s().gpr[EAX] == 0xffffffffu);
    CHECK((f.s().gpr[EBX] & 0xff) == 0xff);
    CHECK(f.s().eip == 0x1000 + 20);
}
