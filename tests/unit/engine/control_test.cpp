// Near control flow, stack, software interrupts and IF (semantics/control.inc). Checks in modes
// whose fault delivery belongs to another family (protected mode, V86) run one semantic alone with
// f.exec(), which returns the fault instead of delivering it.
#include "tests/unit/engine/cpu_fixture.h"

#include <doctest/doctest.h>

using namespace rr86;
using rr86::test::CpuFixture;

namespace {

void v86(CpuFixture& f, unsigned iopl) {
    f.flat32();
    f.s().eflags = (f.s().eflags & ~fl::IOPL) | fl::VM | (iopl << 12);
    f.s().cpl = 3;
    f.cpu.state_changed();
}

void ring3(CpuFixture& f, unsigned iopl) {
    f.flat32();
    f.s().eflags = (f.s().eflags & ~fl::IOPL) | (iopl << 12);
    f.s().cpl = 3;
    f.cpu.state_changed();
}

uint16_t ax(CpuFixture& f) { return uint16_t(f.s().gpr[EAX]); }

} // namespace

// ---- jumps -------------------------------------------------------------------------------------

TEST_CASE("jmp rel8, rel16 and Jcc taken and not taken") {
    CpuFixture f;
    // 1000: jmp short 1004 ; inc ax ; inc ax ; 1004: jz 1008 (ZF=0: falls through) ; inc bx ;
    //       jmp near 100d ; 100a: inc ax x3 ; 100d: hlt
    f.code({0xeb, 0x02, 0x40, 0x40, 0x74, 0x02, 0x43, 0xe9, 0x03, 0x00, 0x40, 0x40, 0x40, 0xf4});
    f.run();
    CHECK(ax(f) == 0);
    CHECK(uint16_t(f.s().gpr[EBX]) == 1);
    CHECK(f.s().eip == 0x100e);
}

TEST_CASE("jcc near (0f 8x) and jmp rel32 in 32-bit code") {
    CpuFixture f;
    f.flat32();
    // nop ; jb 1009 (CF=1) ; inc eax x2 ; 1009: jmp 100f ; inc eax ; 100f: hlt
    f.s().eflags |= fl::CF;
    f.code({0x90, 0x0f, 0x82, 0x02, 0x00, 0x00, 0x00, 0x40, 0x40, 0xe9, 0x01, 0x00, 0x00, 0x00,
            0x40, 0xf4});
    f.run();
    CHECK(f.s().gpr[EAX] == 0);
    CHECK(f.s().eip == 0x1010);
}

TEST_CASE("near jump beyond the CS limit raises #GP on the jump itself") {
    CpuFixture f;
    f.ivt_hlt(13, 0x3000);
    f.code({0x66, 0xe9, 0x00, 0x00, 0x01, 0x00, 0xf4}); // jmp dword 0x11006
    f.run();
    CHECK(f.s().eip == 0x3001);
    CHECK(f.peek<uint16_t>(0x8000 - 6) == 0x1000);
}

TEST_CASE("jmp near indirect through a register and through memory, 16-bit truncation") {
    CpuFixture f;
    f.poke_as<uint16_t>(0x2000, 0x1010);
    f.poke(0x1010, {0x43, 0xff, 0xe1}); // inc bx ; jmp cx
    f.poke(0x1020, {0xf4});
    f.code({0xff, 0x26, 0x00, 0x20}); // jmp [0x2000]
    f.s().gpr[ECX] = 0xabcd1020;      // upper half ignored by a 16-bit operand size
    f.run();
    CHECK(uint16_t(f.s().gpr[EBX]) == 1);
    CHECK(f.s().eip == 0x1021);
}

TEST_CASE("jcxz uses CX, jecxz (67) uses ECX") {
    CpuFixture f;
    f.code({0xe3, 0x01, 0x40, 0x67, 0xe3, 0x01, 0x43, 0xf4}); // jcxz +1; inc ax; jecxz +1; inc bx
    f.s().gpr[ECX] = 0x10000;
    f.run();
    CHECK(ax(f) == 0);                    // CX = 0: taken
    CHECK(uint16_t(f.s().gpr[EBX]) == 1); // ECX != 0: not taken
}

TEST_CASE("loop counts CX down and leaves flags alone") {
    CpuFixture f;
    f.code({0xb9, 0x05, 0x00, 0x40, 0xe2, 0xfd, 0xf4}); // mov cx,5 ; L: inc ax ; loop L ; hlt
    f.s().gpr[ECX] = 0x12340000;
    f.run();
    CHECK(ax(f) == 5);
    CHECK(f.s().gpr[ECX] == 0x12340000);
}

TEST_CASE("loop address size picks CX or ECX") {
    CpuFixture f;
    f.code({0xe2, 0x00, 0x67, 0xe2, 0x01, 0x40, 0xf4}); // loop +0 ; loop (ecx) +1 ; inc ax
    f.s().gpr[ECX] = 0x00050001;
    f.run();
    // First LOOP: CX 1 -> 0, not taken. Second: ECX 0x50000 -> 0x4ffff, taken over inc ax.
    CHECK(f.s().gpr[ECX] == 0x0004ffff);
    CHECK(ax(f) == 0);
}

TEST_CASE("loope and loopne honour ZF") {
    CpuFixture f;
    // cmp ax,ax (ZF=1) ; loope +1 ; inc bx ; loopne +1 ; inc dx ; hlt
    f.code({0x39, 0xc0, 0xe1, 0x01, 0x43, 0xe0, 0x01, 0x42, 0xf4});
    f.s().gpr[ECX] = 5;
    f.s().gpr[EDX] = 0;
    f.run();
    CHECK(uint16_t(f.s().gpr[EBX]) == 0); // loope taken
    CHECK(uint16_t(f.s().gpr[EDX]) == 1); // loopne not taken (ZF=1)
    CHECK(uint16_t(f.s().gpr[ECX]) == 3);
}

// ---- CALL and RET ------------------------------------------------------------------------------

TEST_CASE("call rel16 and ret") {
    CpuFixture f;
    // 1000: call 1005 ; 1003: inc ax ; hlt ; 1005: inc bx ; ret
    f.code({0xe8, 0x02, 0x00, 0x40, 0xf4, 0x43, 0xc3});
    f.run();
    CHECK(ax(f) == 1);
    CHECK(uint16_t(f.s().gpr[EBX]) == 1);
    CHECK(f.s().gpr[ESP] == 0x8000);
    CHECK(f.peek<uint16_t>(0x7ffe) == 0x1003);
}

TEST_CASE("call through register and memory, ret imm16 releases the arguments") {
    CpuFixture f;
    f.poke_as<uint16_t>(0x2000, 0x1020);
    f.poke(0x1020, {0x43, 0xc2, 0x04, 0x00}); // inc bx ; ret 4
    // push 1 ; push 2 ; call [0x2000] ; push 3 ; push 4 ; call si ; hlt
    f.code(
        {0x6a, 0x01, 0x6a, 0x02, 0xff, 0x16, 0x00, 0x20, 0x6a, 0x03, 0x6a, 0x04, 0xff, 0xd6, 0xf4});
    f.s().gpr[ESI] = 0x1020;
    f.run();
    CHECK(uint16_t(f.s().gpr[EBX]) == 2);
    CHECK(f.s().gpr[ESP] == 0x8000);
    CHECK(f.peek<uint16_t>(0x7ffa) == 0x100e); // return address of the second call
    CHECK(f.s().eip == 0x100f);
}

TEST_CASE("call rel32 in 32-bit code pushes EIP") {
    CpuFixture f;
    f.flat32();
    // 1000: call 100a ; 1005: hlt ; nop x4 ; 100a: inc ebx ; ret
    f.code({0xe8, 0x05, 0x00, 0x00, 0x00, 0xf4, 0x90, 0x90, 0x90, 0x90, 0x43, 0xc3});
    f.run();
    CHECK(f.peek<uint32_t>(0x7ffc) == 0x1005);
    CHECK(f.s().gpr[ESP] == 0x8000);
    CHECK(f.s().gpr[EBX] == 1);
    CHECK(f.s().eip == 0x1006);
}

TEST_CASE("ret to beyond the CS limit raises #GP and leaves SP") {
    CpuFixture f;
    f.ivt_hlt(13, 0x3000);
    f.poke_as<uint32_t>(0x7ffc, 0x00010000);
    f.s().gpr[ESP] = 0x7ffc;
    f.code({0x66, 0xc3}); // ret (32-bit operand size)
    f.run();
    CHECK(f.s().eip == 0x3001);
    CHECK(f.s().gpr[ESP] == 0x7ffc - 6); // frame pushed from the unchanged SP
    CHECK(f.peek<uint16_t>(0x7ffc - 6) == 0x1000);
}

// ---- PUSH and POP ------------------------------------------------------------------------------

TEST_CASE("push sp pushes the value before the push") {
    CpuFixture f;
    f.code({0x54, 0xf4});
    f.run();
    CHECK(f.peek<uint16_t>(0x7ffe) == 0x8000);
    CHECK(f.s().gpr[ESP] == 0x7ffe);

    CpuFixture g;
    g.flat32();
    g.code({0x54, 0xf4});
    g.run();
    CHECK(g.peek<uint32_t>(0x7ffc) == 0x8000);
}

TEST_CASE("push imm8 is sign-extended to the operand size; push imm16/imm32; push m") {
    CpuFixture f;
    f.flat32();
    f.poke_as<uint32_t>(0x8004, 0xdeadbeef);
    // push -1 ; push word -2 (66 6a) ; push 0x12345678 ; push dword [esp+14] ; hlt
    f.code(
        {0x6a, 0xff, 0x66, 0x6a, 0xfe, 0x68, 0x78, 0x56, 0x34, 0x12, 0xff, 0x74, 0x24, 0x0e, 0xf4});
    f.run();
    CHECK(f.peek<uint32_t>(0x7ffc) == 0xffffffffu);
    CHECK(f.peek<uint16_t>(0x7ffa) == 0xfffe);
    CHECK(f.peek<uint32_t>(0x7ff6) == 0x12345678);
    // [esp+14] with ESP = 0x7ff6 before the push is 0x8004.
    CHECK(f.peek<uint32_t>(0x7ff2) == 0xdeadbeef);
    CHECK(f.s().gpr[ESP] == 0x7ff2);
}

TEST_CASE("push imm8 in 16-bit code pushes a word") {
    CpuFixture f;
    f.code({0x6a, 0x80, 0x68, 0x34, 0x12, 0xf4});
    f.run();
    CHECK(f.peek<uint16_t>(0x7ffe) == 0xff80);
    CHECK(f.peek<uint16_t>(0x7ffc) == 0x1234);
    CHECK(f.s().gpr[ESP] == 0x7ffc);
}

TEST_CASE("push sreg with a 32-bit operand size writes 16 bits into a 4-byte slot") {
    CpuFixture f;
    f.flat32();
    f.s().seg[FS].selector = 0x1234;
    f.poke_as<uint32_t>(0x7ffc, 0xaaaaaaaa);
    f.poke_as<uint16_t>(0x7ffa, 0xbbbb);
    f.code({0x0f, 0xa0, 0x66, 0x1e, 0xf4}); // push fs ; push ds (16-bit)
    f.run();
    CHECK(f.peek<uint32_t>(0x7ffc) == 0xaaaa1234u);
    CHECK(f.peek<uint16_t>(0x7ffa) == 0x0010);
    CHECK(f.s().gpr[ESP] == 0x7ffa);
}

TEST_CASE("pop [esp] computes the address after incrementing ESP") {
    CpuFixture f;
    f.flat32();
    f.poke_as<uint32_t>(0x8000, 0x11223344);
    f.poke_as<uint32_t>(0x8004, 0);
    f.code({0x8f, 0x04, 0x24, 0xf4}); // pop dword [esp]
    f.run();
    CHECK(f.s().gpr[ESP] == 0x8004);
    CHECK(f.peek<uint32_t>(0x8004) == 0x11223344);
}

TEST_CASE("pop esp loads the popped value; pop reg 16-bit keeps the upper half") {
    CpuFixture f;
    f.flat32();
    f.poke_as<uint32_t>(0x8000, 0x00012340);
    f.poke_as<uint16_t>(0x7ffe, 0xbeef);
    f.s().gpr[ESP] = 0x7ffe;
    f.s().gpr[EBX] = 0xcafe0000;
    f.code({0x66, 0x5b, 0x5c, 0xf4}); // pop bx ; pop esp
    f.run();
    CHECK(f.s().gpr[EBX] == 0xcafebeef);
    CHECK(f.s().gpr[ESP] == 0x00012340);
}

TEST_CASE("pop to a faulting memory operand leaves SP unchanged") {
    CpuFixture f;
    f.ivt_hlt(13, 0x3000);
    f.code({0x8f, 0x06, 0xff, 0xff}); // pop word [0xffff]
    f.s().gpr[ESP] = 0x7000;
    f.run();
    CHECK(f.s().eip == 0x3001);
    CHECK(f.s().gpr[ESP] == 0x7000 - 6);
    CHECK(f.peek<uint16_t>(0x7000 - 6) == 0x1000);
}

TEST_CASE("pusha/popa layout; popa skips the SP slot") {
    CpuFixture f;
    for (unsigned r = 0; r < 8; ++r)
        if (r != ESP) f.s().gpr[r] = 0x11110000 + r * 0x101;
    f.code({0x60, 0x31, 0xc0, 0x31, 0xdb, 0x31, 0xf6, 0x61, 0xf4});
    // pusha ; xor ax,ax ; xor bx,bx ; xor si,si ; popa ; hlt
    f.s().gpr[EBP] = 0x5000;
    f.run();
    CHECK(f.peek<uint16_t>(0x7ffe) == 0x0000); // AX
    CHECK(f.peek<uint16_t>(0x7ffc) == 0x0101); // CX
    CHECK(f.peek<uint16_t>(0x7ff6) == 0x8000); // original SP
    CHECK(f.peek<uint16_t>(0x7ff4) == 0x5000); // BP
    CHECK(f.peek<uint16_t>(0x7ff0) == 0x0707); // DI
    CHECK(f.s().gpr[EAX] == 0x11110000);       // upper half kept, low half restored
    CHECK(f.s().gpr[EBX] == 0x11110303);
    CHECK(f.s().gpr[ESI] == 0x11110606);
    CHECK(f.s().gpr[ESP] == 0x8000);
}

TEST_CASE("pushad/popad in 32-bit code") {
    CpuFixture f;
    f.flat32();
    for (unsigned r = 0; r < 8; ++r)
        if (r != ESP) f.s().gpr[r] = 0xa0000000 + r;
    f.code({0x60, 0x89, 0xe5, 0x61, 0xf4}); // pushad ; mov ebp, esp ; popad
    f.run();
    CHECK(f.peek<uint32_t>(0x7ffc) == 0xa0000000);
    CHECK(f.peek<uint32_t>(0x7fec) == 0x8000); // ESP slot
    CHECK(f.peek<uint32_t>(0x7fe0) == 0xa0000007);
    CHECK(f.s().gpr[EBP] == 0xa0000005);
    CHECK(f.s().gpr[ESP] == 0x8000);
}

// ---- PUSHF and POPF ----------------------------------------------------------------------------

TEST_CASE("pushf/popf in real mode: IOPL and NT writable, bit 15 and reserved bits not") {
    CpuFixture f;
    f.code({0x68, 0xff, 0xfe, 0x9d, 0x9c, 0xf4}); // push 0xfeff ; popf ; pushf ; hlt
    f.run();
    uint32_t expect = (fl::ARITH | fl::IF | fl::DF | fl::IOPL | fl::NT | fl::FIXED1);
    CHECK(f.flags() == expect);
    CHECK(f.peek<uint16_t>(0x7ffe) == expect);
}

TEST_CASE("popfd in real mode: RF cleared, VM/VIP/VIF untouched, AC and ID writable") {
    CpuFixture f;
    f.s().eflags |= fl::RF;
    f.code({0x66, 0x68, 0xff, 0xfe, 0xff, 0xff, 0x66, 0x9d, 0x66, 0x9c, 0xf4});
    f.run();
    uint32_t expect =
        fl::ARITH | fl::IF | fl::DF | fl::IOPL | fl::NT | fl::AC | fl::ID | fl::FIXED1;
    CHECK(f.flags() == expect);
    // PUSHFD stores RF and VM as zero.
    CHECK(f.peek<uint32_t>(0x7ffc) == expect);
}

TEST_CASE("popf at CPL 3: IOPL never changes, IF only when CPL <= IOPL") {
    CpuFixture f;
    ring3(f, 0);
    f.s().eflags |= fl::IF;
    f.poke_as<uint32_t>(0x8000, fl::IOPL | fl::CF); // IF = 0, IOPL = 3 in the image
    CHECK(!f.exec({0x9d}, CodeMode::Prot32).active);
    CHECK((f.s().eflags & fl::IF) != 0);
    CHECK((f.s().eflags & fl::IOPL) == 0);
    CHECK((f.s().eflags & fl::CF) != 0);
    CHECK(f.cpu.end_block);

    CpuFixture g;
    ring3(g, 3);
    g.s().eflags |= fl::IF;
    g.poke_as<uint32_t>(0x8000, fl::ZF);
    CHECK(!g.exec({0x9d}, CodeMode::Prot32).active);
    CHECK((g.s().eflags & fl::IF) == 0);
    CHECK((g.s().eflags & fl::IOPL) == fl::IOPL);
    CHECK((g.s().eflags & fl::ZF) != 0);
}

TEST_CASE("popfd at CPL 0 in protected mode changes IOPL and never sets VM") {
    CpuFixture f;
    f.flat32();
    f.poke_as<uint32_t>(0x8000, fl::IOPL | fl::VM | fl::VIF | fl::VIP | fl::RF | fl::IF);
    CHECK(!f.exec({0x9d}, CodeMode::Prot32).active);
    CHECK((f.s().eflags & fl::IOPL) == fl::IOPL);
    CHECK((f.s().eflags & (fl::VM | fl::VIF | fl::VIP | fl::RF)) == 0);
    CHECK(f.s().gpr[ESP] == 0x8004);
}

TEST_CASE("v86 mode: pushf, popf, cli, sti, int n raise #GP(0) with IOPL < 3") {
    for (std::vector<uint8_t> insn : std::vector<std::vector<uint8_t>>{
             {0x9c}, {0x9d}, {0x66, 0x9c}, {0xfa}, {0xfb}, {0xcd, 0x21}}) {
        CpuFixture f;
        v86(f, 0);
        PendingFault p = f.exec(insn, CodeMode::V86);
        CHECK(p.active);
        CHECK(p.vector == vec::GP);
        CHECK(p.error == 0);
        CHECK(f.s().gpr[ESP] == 0x8000);
    }
}

TEST_CASE("v86 mode with IOPL 3: popf changes IF but not IOPL") {
    CpuFixture f;
    v86(f, 3);
    f.s().eflags |= fl::IF;
    f.poke_as<uint16_t>(0x8000, 0); // IOPL 0, IF 0
    CHECK(!f.exec({0x9d}, CodeMode::V86).active);
    CHECK((f.s().eflags & fl::IF) == 0);
    CHECK((f.s().eflags & fl::IOPL) == fl::IOPL);
    CHECK((f.s().eflags & fl::VM) != 0);
}

// ---- ENTER and LEAVE ---------------------------------------------------------------------------

TEST_CASE("enter level 0 and leave") {
    CpuFixture f;
    f.s().gpr[EBP] = 0x9000;
    f.code({0xc8, 0x10, 0x00, 0x00, 0xf4});
    f.run();
    CHECK(f.peek<uint16_t>(0x7ffe) == 0x9000);
    CHECK(uint16_t(f.s().gpr[EBP]) == 0x7ffe);
    CHECK(f.s().gpr[ESP] == 0x7fee);

    f.s().halted = 0;
    f.code({0xc9, 0xf4});
    f.run();
    CHECK(f.s().gpr[EBP] == 0x9000);
    CHECK(f.s().gpr[ESP] == 0x8000);
}

TEST_CASE("enter with nesting levels copies the outer frame pointers") {
    CpuFixture f;
    f.s().gpr[EBP] = 0x9000;
    f.poke_as<uint16_t>(0x8ffe, 0xaaaa);
    f.poke_as<uint16_t>(0x8ffc, 0xbbbb);
    f.code({0xc8, 0x08, 0x00, 0x23, 0xf4}); // enter 8, 35 (= level 3 mod 32)
    f.run();
    CHECK(f.peek<uint16_t>(0x7ffe) == 0x9000);
    CHECK(f.peek<uint16_t>(0x7ffc) == 0xaaaa);
    CHECK(f.peek<uint16_t>(0x7ffa) == 0xbbbb);
    CHECK(f.peek<uint16_t>(0x7ff8) == 0x7ffe); // frame pointer
    CHECK(uint16_t(f.s().gpr[EBP]) == 0x7ffe);
    CHECK(f.s().gpr[ESP] == 0x7ff8 - 8);
}

TEST_CASE("enter level 1 in 32-bit code") {
    CpuFixture f;
    f.flat32();
    f.s().gpr[EBP] = 0x12345678;
    f.code({0xc8, 0x00, 0x01, 0x01, 0xf4}); // enter 0x100, 1
    f.run();
    CHECK(f.peek<uint32_t>(0x7ffc) == 0x12345678);
    CHECK(f.peek<uint32_t>(0x7ff8) == 0x7ffc);
    CHECK(f.s().gpr[EBP] == 0x7ffc);
    CHECK(f.s().gpr[ESP] == 0x7ff8 - 0x100);
}

TEST_CASE("enter whose new stack top is outside SS raises #SS and changes nothing") {
    CpuFixture f;
    f.flat32();
    f.s().seg[SS].limit = 0x7fff;
    f.cpu.refresh_segment(SS);
    f.s().gpr[EBP] = 0x1111;
    // Expand-up SS: an allocation below 0 wraps to the top, past the limit.
    f.s().gpr[ESP] = 0x10;
    PendingFault p = f.exec({0xc8, 0x20, 0x00, 0x00}, CodeMode::Prot32);
    CHECK(p.active);
    CHECK(p.vector == vec::SS);
    CHECK(f.s().gpr[ESP] == 0x10);
    CHECK(f.s().gpr[EBP] == 0x1111);
}

// ---- XLAT and BOUND ----------------------------------------------------------------------------

TEST_CASE("xlat with DS and with a segment override") {
    CpuFixture f;
    f.poke(0x2005, {0x77});
    f.poke(0x3005, {0x88});
    f.s().gpr[EBX] = 0x2000;
    f.s().gpr[EAX] = 0x1205;
    f.code({0xd7, 0xf4});
    f.run();
    CHECK(f.s().gpr[EAX] == 0x1277);

    CpuFixture g;
    g.poke(0x3005, {0x88});
    g.s().seg[ES].base = 0x1000;
    g.s().gpr[EBX] = 0x2000;
    g.s().gpr[EAX] = 0x05;
    g.code({0x26, 0xd7, 0xf4});
    g.run();
    CHECK(g.s().gpr[EAX] == 0x88);
}

TEST_CASE("bound: in range continues, out of range raises #BR on the instruction") {
    CpuFixture f;
    f.ivt_hlt(5, 0x3000);
    f.poke_as<int16_t>(0x2000, -5);
    f.poke_as<int16_t>(0x2002, 10);
    f.s().gpr[EBX] = 0x2000;
    f.s().gpr[EAX] = 10;
    f.code({0x62, 0x07, 0x40, 0xf4}); // bound ax,[bx] ; inc ax ; hlt
    f.run();
    CHECK(ax(f) == 11);
    CHECK(f.s().eip == 0x1004);

    for (int16_t bad : {int16_t(11), int16_t(-6)}) {
        CpuFixture g;
        g.ivt_hlt(5, 0x3000);
        g.poke_as<int16_t>(0x2000, -5);
        g.poke_as<int16_t>(0x2002, 10);
        g.s().gpr[EBX] = 0x2000;
        g.s().gpr[EAX] = uint16_t(bad);
        g.code({0x62, 0x07, 0x40, 0xf4});
        g.run();
        CHECK(g.s().eip == 0x3001);
        CHECK(g.peek<uint16_t>(0x7ffa) == 0x1000);
        CHECK(ax(g) == uint16_t(bad));
    }
}

TEST_CASE("bound with 32-bit operands and the register form is #UD") {
    CpuFixture f;
    f.flat32();
    f.poke_as<int32_t>(0x2000, -100000);
    f.poke_as<int32_t>(0x2004, 100000);
    f.s().gpr[EBX] = 0x2000;
    f.s().gpr[ECX] = uint32_t(-100000);
    CHECK(!f.exec({0x62, 0x0b}, CodeMode::Prot32).active);
    f.s().gpr[ECX] = 100001;
    PendingFault p = f.exec({0x62, 0x0b}, CodeMode::Prot32);
    CHECK(p.active);
    CHECK(p.vector == vec::BR);

    CpuFixture g;
    g.ivt_hlt(6, 0x3000);
    g.code({0x62, 0xc0, 0xf4});
    g.run();
    CHECK(g.s().eip == 0x3001);
}

// ---- software interrupts -----------------------------------------------------------------------

TEST_CASE("int n pushes FLAGS, CS and the next IP and clears IF") {
    CpuFixture f;
    f.ivt_hlt(0x21, 0x3000);
    f.s().eflags |= fl::IF | fl::CF;
    f.code({0xcd, 0x21, 0xf4});
    f.run();
    CHECK(f.s().eip == 0x3001);
    CHECK(f.peek<uint16_t>(0x7ffa) == 0x1002);
    CHECK(f.peek<uint16_t>(0x7ffc) == 0x0000);
    CHECK((f.peek<uint16_t>(0x7ffe) & (fl::IF | fl::CF)) == (fl::IF | fl::CF));
    CHECK((f.s().eflags & fl::IF) == 0);
}

TEST_CASE("int3, into and int1 vectors and return addresses") {
    struct Case {
        uint8_t op, vector;
        bool of;
    };
    for (Case k : {Case{0xcc, 3, false}, Case{0xce, 4, true}, Case{0xf1, 1, false}}) {
        CpuFixture f;
        f.ivt_hlt(k.vector, 0x3000);
        if (k.of) f.s().eflags |= fl::OF;
        f.code({k.op, 0xf4});
        f.run();
        CHECK(f.s().eip == 0x3001);
        CHECK(f.peek<uint16_t>(0x7ffa) == 0x1001);
    }
    CpuFixture g; // INTO with OF = 0 does nothing
    g.ivt_hlt(4, 0x3000);
    g.code({0xce, 0xf4});
    g.run();
    CHECK(g.s().eip == 0x1002);
}

// ---- CLI, STI, HLT, NOP ------------------------------------------------------------------------

TEST_CASE("sti sets the interrupt shadow only when IF was clear") {
    CpuFixture f;
    CHECK(!f.exec({0xfb}, CodeMode::Real16).active);
    CHECK((f.s().eflags & fl::IF) != 0);
    CHECK(f.s().intr_shadow == 1);
    CHECK(f.cpu.end_block);
    f.s().intr_shadow = 0;
    CHECK(!f.exec({0xfb}, CodeMode::Real16).active);
    CHECK(f.s().intr_shadow == 0);
    CHECK(!f.exec({0xfa}, CodeMode::Real16).active);
    CHECK((f.s().eflags & fl::IF) == 0);
}

TEST_CASE("a pending interrupt is taken one instruction after sti") {
    CpuFixture f;
    f.ivt_hlt(0x20, 0x3000);
    f.cpu.intr = true;
    f.cpu.intr_ack = [](void*) { return 0x20; };
    f.code({0xfb, 0x40, 0x40, 0xf4}); // sti ; inc ax ; inc ax ; hlt
    f.run();
    CHECK(f.s().eip == 0x3001);
    CHECK(ax(f) == 1);
    CHECK(f.peek<uint16_t>(0x7ffa) == 0x1002);
}

TEST_CASE("cli/sti at CPL > IOPL raise #GP(0); allowed when CPL <= IOPL") {
    CpuFixture f;
    ring3(f, 0);
    for (uint8_t op : {uint8_t(0xfa), uint8_t(0xfb)}) {
        PendingFault p = f.exec({op}, CodeMode::Prot32);
        CHECK(p.active);
        CHECK(p.vector == vec::GP);
        CHECK(p.error == 0);
    }
    CpuFixture g;
    ring3(g, 3);
    CHECK(!g.exec({0xfb}, CodeMode::Prot32).active);
    CHECK((g.s().eflags & fl::IF) != 0);
    CHECK(!g.exec({0xfa}, CodeMode::Prot32).active);
    CHECK((g.s().eflags & fl::IF) == 0);
}

TEST_CASE("hlt at CPL 3 raises #GP(0)") {
    CpuFixture f;
    ring3(f, 3);
    PendingFault p = f.exec({0xf4}, CodeMode::Prot32);
    CHECK(p.active);
    CHECK(p.vector == vec::GP);
    CHECK(f.s().halted == 0);
}

TEST_CASE("nop forms, including multi-byte 0f 1f with memory operands, touch nothing") {
    CpuFixture f;
    f.flat32();
    // nop ; nop dword [eax+eax+0] ; 66 nop word [eax+eax+0x0] (9 bytes) ; 0f 19 /0 ; hlt
    f.code({0x90, 0x0f, 0x1f, 0x44, 0x00, 0x00, 0x66, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x0f, 0x19, 0x00, 0xf4});
    f.s().gpr[EAX] = 0xfffffff0; // would fault if it were dereferenced
    uint64_t n = f.run();
    CHECK(n == 5);
    CHECK(f.s().eip == 0x1013);
}
