// Real-mode segment loads and far transfers, and "unreal" mode (SDM vol. 3 §20.1, vol. 2 pages of
// JMP, CALL, RET, IRET, LDS, MOV).
#include "tests/unit/engine/pmode_fixture.h"

#include <doctest/doctest.h>

using namespace rr86;
using rr86::test::CpuFixture;
using rr86::test::seg_desc;

TEST_CASE("real mode: far jmp ptr16:16 and jmp m16:16") {
    CpuFixture f;
    f.code({0xea, 0x10, 0x00, 0x00, 0x02});   // jmp 0200:0010
    f.poke(0x2010, {0xff, 0x2e, 0x00, 0x30}); // jmp far [0x3000] (DS = 0)
    f.poke_as<uint16_t>(0x3000, 0x0004);
    f.poke_as<uint16_t>(0x3002, 0x0300);
    f.poke(0x3004, {0xf4});
    f.run();
    CHECK(f.s().seg[CS].selector == 0x300);
    CHECK(f.s().seg[CS].base == 0x3000);
    CHECK(f.s().eip == 0x5);
}

TEST_CASE("real mode: far call, retf and retf imm16") {
    CpuFixture f;
    f.code({0x9a, 0x20, 0x00, 0x00, 0x02, 0xf4}); // call 0200:0020 ; hlt
    f.poke(0x2020, {0xca, 0x00, 0x00});           // retf 0 (no bytes released)
    f.run();
    CHECK(f.s().eip == 0x1006);
    CHECK(f.s().seg[CS].selector == 0);
    CHECK(f.s().gpr[ESP] == 0x8000);
    CHECK(f.peek<uint16_t>(0x8000 - 2) == 0);      // CS
    CHECK(f.peek<uint16_t>(0x8000 - 4) == 0x1005); // IP

    CpuFixture g;
    g.s().gpr[ESP] = 0x7ff8;
    g.poke_as<uint16_t>(0x7ff8, 0x0030); // IP
    g.poke_as<uint16_t>(0x7ffa, 0x0400); // CS
    g.code({0xca, 0x04, 0x00});          // retf 4
    g.poke(0x4030, {0xf4});
    g.run();
    CHECK(g.s().eip == 0x31);
    CHECK(g.s().seg[CS].base == 0x4000);
    CHECK(g.s().gpr[ESP] == 0x8000);
}

TEST_CASE("real mode: iret and iretd") {
    CpuFixture f;
    f.s().gpr[ESP] = 0x7ffa;
    f.poke_as<uint16_t>(0x7ffa, 0x0040);
    f.poke_as<uint16_t>(0x7ffc, 0x0100);
    f.poke_as<uint16_t>(0x7ffe, uint16_t(fl::CF | fl::IF | fl::IOPL | fl::NT));
    f.code({0xcf}); // iret
    f.poke(0x1040, {0xf4});
    f.run();
    CHECK(f.s().eip == 0x41);
    CHECK(f.s().seg[CS].base == 0x1000);
    CHECK(f.flags() == (fl::FIXED1 | fl::CF | fl::IF | fl::IOPL | fl::NT));
    CHECK(f.s().gpr[ESP] == 0x8000);

    CpuFixture g;
    g.s().gpr[ESP] = 0x7ff4;
    g.poke_as<uint32_t>(0x7ff4, 0x0040);
    g.poke_as<uint32_t>(0x7ff8, 0x0100);
    g.poke_as<uint32_t>(0x7ffc, fl::ZF | fl::VM | fl::AC);
    g.code({0x66, 0xcf}); // iretd
    g.poke(0x1040, {0xf4});
    g.run();
    CHECK(g.s().eip == 0x41);
    CHECK(g.flags() == (fl::FIXED1 | fl::ZF | fl::AC)); // VM is never loaded in real mode
}

TEST_CASE("real mode: lds, les, mov to and from segment registers") {
    CpuFixture f;
    f.poke_as<uint16_t>(0x3000, 0x1234);
    f.poke_as<uint16_t>(0x3002, 0x5000);
    // lds si, [0x3000] ; mov ax, ds ; mov bx, 0x6000 ; mov es, bx ; mov [0x10], es ; hlt
    f.code({0xc5, 0x36, 0x00, 0x30, 0x8c, 0xd8, 0xbb, 0x00, 0x60, 0x8e, 0xc3, 0x8c, 0x06, 0x10,
            0x00, 0xf4});
    f.run();
    CHECK((f.s().gpr[ESI] & 0xffff) == 0x1234);
    CHECK(f.s().seg[DS].base == 0x50000);
    CHECK(f.s().seg[DS].limit == 0xffff);
    CHECK((f.s().gpr[EAX] & 0xffff) == 0x5000);
    CHECK(f.s().seg[ES].base == 0x60000);
    CHECK(f.peek<uint16_t>(0x50010) == 0x6000);
}

TEST_CASE("real mode: mov cs, ax is #UD") {
    CpuFixture f;
    f.ivt_hlt(vec::UD, 0x3000);
    f.code({0x8e, 0xc8}); // mov cs, ax
    f.run();
    CHECK(f.s().eip == 0x3001);
    CHECK(f.peek<uint16_t>(0x8000 - 6) == 0x1000);
}

TEST_CASE("unreal mode: a 4 GiB DS limit survives the return to real mode") {
    CpuFixture f;
    f.poke_as<uint64_t>(0x10000 + 0x10, seg_desc(0, 0xfffff, 0x93, 0xc));
    f.s().gdtr = {0x10000, 0x17};
    f.poke_as<uint32_t>(0x150000, 0xdeadbeef);
    // Protected mode as after MOV CR0 (CS keeps its real-mode cache): mov ax, 0x10 ; mov ds, ax
    f.s().cr0 |= cr0::PE;
    f.cpu.state_changed();
    f.code({0xb8, 0x10, 0x00, 0x8e, 0xd8, 0xf4});
    f.run();
    REQUIRE(f.s().seg[DS].limit == 0xffffffffu);
    // Back to real mode: xor ax, ax ; mov ds, ax ; mov esi, 0x150000 ; mov eax, [esi] ; hlt
    f.s().cr0 &= ~cr0::PE;
    f.cpu.state_changed();
    f.s().halted = 0;
    f.code(
        {0x31, 0xc0, 0x8e, 0xd8, 0x66, 0xbe, 0x00, 0x00, 0x15, 0x00, 0x67, 0x66, 0x8b, 0x06, 0xf4});
    f.run();
    CHECK(f.s().gpr[EAX] == 0xdeadbeef);
    CHECK(f.s().seg[DS].selector == 0);
    CHECK(f.s().seg[DS].base == 0);
    CHECK(f.s().seg[DS].limit == 0xffffffffu);
    // ES still has the real-mode 64 KiB limit: the same access through ES faults (#GP -> IVT).
    f.ivt_hlt(13, 0x3000);
    f.s().halted = 0;
    f.code({0x67, 0x26, 0x66, 0x8b, 0x06, 0xf4}); // mov eax, es:[esi]
    uint32_t at = f.s().eip;
    f.run();
    CHECK(f.s().eip == 0x3001);
    CHECK(f.peek<uint16_t>(f.s().gpr[ESP]) == at);
}

TEST_CASE("a null selector loaded in protected mode is usable again after a real-mode load") {
    CpuFixture f;
    f.s().cr0 |= cr0::PE;
    f.cpu.state_changed();
    f.code({0x31, 0xc0, 0x8e, 0xe0, 0xf4}); // xor ax, ax ; mov fs, ax ; hlt
    f.run();
    CHECK((f.s().seg[FS].attr & seg_attr::P) == 0);
    f.s().cr0 &= ~cr0::PE;
    f.cpu.state_changed();
    f.s().halted = 0;
    f.poke_as<uint16_t>(0x20010, 0x4321);
    // mov ax, 0x2000 ; mov fs, ax ; mov bx, fs:[0x10] ; hlt
    f.code({0xb8, 0x00, 0x20, 0x8e, 0xe0, 0x64, 0x8b, 0x1e, 0x10, 0x00, 0xf4});
    f.run();
    CHECK((f.s().gpr[EBX] & 0xffff) == 0x4321);
    CHECK(f.s().seg[FS].limit == 0xffff);
    CHECK((f.s().seg[FS].attr & seg_attr::P) != 0);
}

TEST_CASE("16-bit addressing: the selector of a far pointer at FFFEh wraps to offset 0") {
    CpuFixture f;
    f.poke_as<uint16_t>(0xfffe, 0x0123); // offset
    f.poke_as<uint16_t>(0x0000, 0x0456); // selector, after the wrap
    f.code({0xc4, 0x37, 0xf4});          // les si, [bx] ; hlt
    f.s().gpr[EBX] = 0xfffe;
    f.run();
    CHECK((f.s().gpr[ESI] & 0xffff) == 0x0123);
    CHECK(f.s().seg[ES].selector == 0x0456);
}
