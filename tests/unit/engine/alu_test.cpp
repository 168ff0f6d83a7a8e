// Unit tests for semantics/alu.inc: shifts and rotates, multiply and divide, BCD adjust, bit
// operations, SETcc/CMOVcc, BSWAP, XADD, CMPXCHG(8B) and the flag instructions. Each test checks
// results and all six arithmetic flags (including the undefined ones, as flags.h defines them).
#include "tests/unit/engine/cpu_fixture.h"

#include <doctest/doctest.h>

#include <vector>

using namespace rr86;
using rr86::test::CpuFixture;

namespace {

constexpr uint32_t C = fl::CF, P = fl::PF, A = fl::AF, Z = fl::ZF, S = fl::SF, O = fl::OF;
constexpr uint32_t kAll = fl::ARITH;

uint32_t arith(const CpuFixture& f) { return f.flags() & fl::ARITH; }

// Places `bytes` + HLT at CS:EIP and runs to the HLT.
void exec(CpuFixture& f, std::vector<uint8_t> bytes) {
    bytes.push_back(0xf4);
    f.code(bytes);
    f.run();
}

void set_flags(CpuFixture& f, uint32_t v) { f.s().eflags = fl::FIXED1 | v; }

// A flat 32-bit CPU with EFLAGS arithmetic bits preset.
struct Flat : CpuFixture {
    explicit Flat(uint32_t flags = 0) {
        flat32();
        set_flags(*this, flags);
    }
};

// Real mode with IVT entry `vector` pointing at a HLT at 0000:3000.
struct RealWithHandler : CpuFixture {
    explicit RealWithHandler(uint8_t vector) {
        ivt_hlt(vector, 0x3000);
    }
    uint16_t pushed_ip() { return peek<uint16_t>(0x8000 - 6); }
};

// Flat 32-bit protected mode with a GDT (code 08h, data 10h) and an IDT whose gate for `vector`
// leads to a HLT at 0x3000, so protected-mode faults can be observed.
struct FlatWithHandler : Flat {
    explicit FlatWithHandler(uint8_t vector) {
        poke(0x500, {0,    0,    0, 0, 0, 0,    0,    0,   // null
                     0xff, 0xff, 0, 0, 0, 0x9a, 0xcf, 0,   // 08h: code
                     0xff, 0xff, 0, 0, 0, 0x92, 0xcf, 0}); // 10h: data
        s().gdtr = {0x500, 0x17};
        s().idtr = {0x600, 0x7ff};
        poke(0x600 + vector * 8, {0x00, 0x30, 0x08, 0x00, 0x00, 0x8e, 0x00, 0x00});
        poke(0x3000, {0xf4});
        s().gpr[ESP] = 0x8000;
    }
    // The n-th dword on the handler's stack (0 = the last one pushed).
    uint32_t pushed(unsigned n) { return peek<uint32_t>(s().gpr[ESP] + 4 * n); }
};

// Condition `cc` (O NO B AE E NE BE A S NS P NP L GE LE G) spelled out from SDM vol. 1
// appendix B, independently of flags.h.
bool expected_cc(uint32_t f, unsigned cc) {
    bool of = f & O, cf = f & C, zf = f & Z, sf = f & S, pf = f & P;
    const bool base[8] = {of, cf, zf, cf || zf, sf, pf, sf != of, zf || sf != of};
    return base[cc / 2] != bool(cc & 1);
}
constexpr uint32_t kCcFlags[] = {0, O, C, Z, S, P, S | O, C | Z, Z | S, kAll};

} // namespace

// ---- shifts and rotates --------------------------------------------------------------------

TEST_CASE("alu: SHL by 1 sets CF, OF and the result flags") {
    Flat f;
    f.s().gpr[EAX] = 0xc0000001u;
    exec(f, {0xd1, 0xe0}); // shl eax, 1
    CHECK(f.s().gpr[EAX] == 0x80000002u);
    CHECK(arith(f) == (C | S)); // CF = old MSB; OF = MSB ^ CF = 0; AF = bit 4 = 0

    Flat g;
    g.s().gpr[EAX] = 0x48; // al = 0100'1000b
    exec(g, {0xd0, 0xe0}); // shl al, 1
    CHECK((g.s().gpr[EAX] & 0xff) == 0x90);
    CHECK(arith(g) == (O | S | A | P)); // sign changed; bit 4 set; 0x90 has even parity
}

TEST_CASE("alu: SHR and SAR by 1 and by CL") {
    Flat f;
    f.s().gpr[EAX] = 0x8001;     // 16-bit
    exec(f, {0x66, 0xd1, 0xe8}); // shr ax, 1
    CHECK((f.s().gpr[EAX] & 0xffff) == 0x4000);
    CHECK(arith(f) == (C | O | A | P)); // OF = old MSB for count 1; AF = 1 (286)

    Flat g;
    g.s().gpr[EAX] = 0x80000010u;
    g.s().gpr[ECX] = 4;
    exec(g, {0xd3, 0xf8}); // sar eax, cl
    CHECK(g.s().gpr[EAX] == 0xf8000001u);
    CHECK(arith(g) == (S | A)); // CF = bit 3 = 0; OF = 0; parity of 01 is odd

    Flat h;
    h.s().gpr[EAX] = 0xff;
    h.s().gpr[ECX] = 3;
    exec(h, {0xd2, 0xe8}); // shr al, cl
    CHECK((h.s().gpr[EAX] & 0xff) == 0x1f);
    CHECK(arith(h) == (C | A)); // 0x1f: five bits, odd parity; OF = 0 after a multi-bit SHR
}

TEST_CASE("alu: a shift count of 0 (after masking) changes no flags and no operand") {
    for (uint8_t count : {0, 32, 64}) {
        Flat f(C | Z | O | A);
        f.s().gpr[EAX] = 0x12345678u;
        f.s().gpr[ECX] = count;
        exec(f, {0xd3, 0xe0}); // shl eax, cl
        CHECK(f.s().gpr[EAX] == 0x12345678u);
        CHECK(arith(f) == (C | Z | O | A));
    }
    Flat g(S | P);
    g.s().gpr[EAX] = 0x81;
    exec(g, {0xc0, 0xc0, 0x20}); // rol al, 32 -> masked to 0
    CHECK((g.s().gpr[EAX] & 0xff) == 0x81);
    CHECK(arith(g) == (S | P));
}

TEST_CASE("alu: shift counts are masked to 5 bits, not to the operand width") {
    Flat f;
    f.s().gpr[EAX] = 1;
    f.s().gpr[ECX] = 33;   // masked to 1
    exec(f, {0xd3, 0xe0}); // shl eax, cl
    CHECK(f.s().gpr[EAX] == 2);

    // 8-bit SHL by 8: every bit out, CF = the last bit shifted out (old bit 0).
    Flat g;
    g.s().gpr[EAX] = 0x01;
    exec(g, {0xc0, 0xe0, 0x08}); // shl al, 8
    CHECK((g.s().gpr[EAX] & 0xff) == 0);
    CHECK(arith(g) == (C | O | Z | P)); // OF = MSB(0) ^ CF

    // 8-bit SHL by 9 or more: result 0, CF 0.
    Flat h(C);
    h.s().gpr[EAX] = 0xff;
    exec(h, {0xc0, 0xe0, 0x09}); // shl al, 9
    CHECK((h.s().gpr[EAX] & 0xff) == 0);
    CHECK(arith(h) == (Z | P));

    // 16-bit SHR by 16: CF = old bit 15; by 17: 0.
    Flat k;
    k.s().gpr[EAX] = 0x8000;
    exec(k, {0x66, 0xc1, 0xe8, 0x10}); // shr ax, 16
    CHECK((k.s().gpr[EAX] & 0xffff) == 0);
    CHECK(arith(k) == (C | Z | P | A));

    // SAR beyond the width fills with the sign and CF = the sign.
    Flat m;
    m.s().gpr[EAX] = 0x80;
    exec(m, {0xc0, 0xf8, 0x1f}); // sar al, 31
    CHECK((m.s().gpr[EAX] & 0xff) == 0xff);
    CHECK(arith(m) == (C | S | P | A));
}

TEST_CASE("alu: ROL and ROR update only CF and OF") {
    Flat f(Z | A | P);
    f.s().gpr[EAX] = 0x80000001u;
    exec(f, {0xd1, 0xc0}); // rol eax, 1
    CHECK(f.s().gpr[EAX] == 0x00000003u);
    CHECK(arith(f) == (C | O | Z | A | P)); // CF = LSB 1; OF = MSB 0 ^ CF 1

    Flat g(S);
    g.s().gpr[EAX] = 0x01;
    exec(g, {0xd0, 0xc8}); // ror al, 1
    CHECK((g.s().gpr[EAX] & 0xff) == 0x80);
    CHECK(arith(g) == (C | O | S)); // CF = MSB; OF = bit7 ^ bit6

    // ROL of an 8-bit operand by 8: value unchanged, CF = LSB, OF still computed.
    Flat h;
    h.s().gpr[EAX] = 0x81;
    exec(h, {0xc0, 0xc0, 0x08}); // rol al, 8
    CHECK((h.s().gpr[EAX] & 0xff) == 0x81);
    CHECK(arith(h) == C); // OF = MSB 1 ^ CF 1 = 0

    Flat k;
    k.s().gpr[EAX] = 0x1234;
    k.s().gpr[ECX] = 4;
    exec(k, {0x66, 0xd3, 0xc8}); // ror ax, cl
    CHECK((k.s().gpr[EAX] & 0xffff) == 0x4123);
    CHECK(arith(k) == O); // CF = MSB 0; OF = bit15 0 ^ bit14 1
}

TEST_CASE("alu: RCL and RCR rotate through CF, count modulo 9/17 for 8/16 bits") {
    Flat f(C);
    f.s().gpr[EAX] = 0x80;
    exec(f, {0xd0, 0xd0}); // rcl al, 1
    CHECK((f.s().gpr[EAX] & 0xff) == 0x01);
    CHECK(arith(f) == (C | O)); // CF = old MSB; OF = MSB 0 ^ CF 1

    Flat g(C);
    g.s().gpr[EAX] = 0x01;
    exec(g, {0xd0, 0xd8}); // rcr al, 1
    CHECK((g.s().gpr[EAX] & 0xff) == 0x80);
    CHECK(arith(g) == (C | O));

    // 8-bit RCL by 9 is the identity: operand and CF unchanged, OF = MSB ^ CF.
    Flat h(C | Z);
    h.s().gpr[EAX] = 0x55;
    h.s().gpr[ECX] = 9;
    exec(h, {0xd2, 0xd0}); // rcl al, cl
    CHECK((h.s().gpr[EAX] & 0xff) == 0x55);
    CHECK(arith(h) == (C | O | Z));

    // 8-bit RCL by 10 = RCL by 1.
    Flat k;
    k.s().gpr[EAX] = 0x81;
    exec(k, {0xc0, 0xd0, 0x0a}); // rcl al, 10
    CHECK((k.s().gpr[EAX] & 0xff) == 0x02);
    CHECK(arith(k) == (C | O)); // CF = old MSB; OF = MSB 0 ^ CF 1
}

TEST_CASE("alu: RCR of 16 and 32 bits by larger counts") {
    Flat f;
    f.s().gpr[EAX] = 0x0001;
    exec(f, {0x66, 0xc1, 0xd8, 0x11}); // rcr ax, 17 -> identity
    CHECK((f.s().gpr[EAX] & 0xffff) == 0x0001);
    CHECK(arith(f) == 0); // OF = bit15 ^ bit14 = 0, CF stays 0

    Flat g(C);
    g.s().gpr[EAX] = 0;
    exec(g, {0xc1, 0xd8, 0x1f}); // rcr eax, 31: CF lands in bit 1
    CHECK(g.s().gpr[EAX] == 2);
    CHECK(arith(g) == 0);
}

TEST_CASE("alu: shifts with a memory destination") {
    Flat f;
    f.poke_as<uint32_t>(0x2000, 0x40000000u);
    f.s().gpr[EBX] = 0x2000;
    f.s().gpr[ECX] = 1;
    exec(f, {0xd3, 0x23}); // shl dword [ebx], cl
    CHECK(f.peek<uint32_t>(0x2000) == 0x80000000u);
    CHECK(arith(f) == (O | S | P));

    Flat g;
    g.poke_as<uint16_t>(0x2000, 0x8421);
    g.s().gpr[EBX] = 0x2000;
    exec(g, {0x66, 0xc1, 0x0b, 0x04}); // ror word [ebx], 4
    CHECK(g.peek<uint16_t>(0x2000) == 0x1842);
    CHECK(arith(g) == 0);
}

TEST_CASE("alu: SHLD and SHRD with imm8 and CL") {
    Flat f;
    f.s().gpr[EAX] = 0x12345678u;
    f.s().gpr[EBX] = 0x9abcdef0u;
    exec(f, {0x0f, 0xa4, 0xd8, 0x08}); // shld eax, ebx, 8
    CHECK(f.s().gpr[EAX] == 0x3456789au);
    CHECK(f.s().gpr[EBX] == 0x9abcdef0u);
    CHECK(arith(f) == (A | P)); // CF = bit 24 of old eax = 0; OF = 0; AF = bit 4 of 9Ah

    Flat g;
    g.s().gpr[EAX] = 0x12345678u;
    g.s().gpr[EBX] = 0x9abcdef1u;
    g.s().gpr[ECX] = 4;
    exec(g, {0x0f, 0xad, 0xd8}); // shrd eax, ebx, cl
    CHECK(g.s().gpr[EAX] == 0x11234567u);
    CHECK(arith(g) == (C | A)); // CF = bit 3 of old eax = 1; 0x67 has odd parity

    Flat h;
    h.s().gpr[EAX] = 0x8000;
    h.s().gpr[EBX] = 0x0000;
    exec(h, {0x66, 0x0f, 0xac, 0xd8, 0x01}); // shrd ax, bx, 1: sign changes
    CHECK((h.s().gpr[EAX] & 0xffff) == 0x4000);
    CHECK(arith(h) == (O | A | P));

    // Count 0 (after masking) changes nothing.
    Flat k(Z | C);
    k.s().gpr[EAX] = 1;
    exec(k, {0x0f, 0xa4, 0xd8, 0x20}); // shld eax, ebx, 32
    CHECK(k.s().gpr[EAX] == 1);
    CHECK(arith(k) == (Z | C));
}

TEST_CASE("alu: 16-bit SHLD/SHRD beyond 16 shift dest:src:dest and memory forms work") {
    Flat f;
    f.s().gpr[EAX] = 0x1234;
    f.s().gpr[EBX] = 0xabcd;
    exec(f, {0x66, 0x0f, 0xa4, 0xd8, 0x14}); // shld ax, bx, 20
    CHECK((f.s().gpr[EAX] & 0xffff) == 0xbcd1);
    CHECK(arith(f) == (O | S | A | P)); // CF = bit 12 of bx = 0; OF = MSB ^ CF = 1

    Flat g;
    g.poke_as<uint32_t>(0x2000, 0x0000000fu);
    g.s().gpr[ESI] = 0x2000;
    g.s().gpr[EBX] = 0xffffffffu;
    g.s().gpr[ECX] = 4;
    exec(g, {0x0f, 0xad, 0x1e}); // shrd [esi], ebx, cl
    CHECK(g.peek<uint32_t>(0x2000) == 0xf0000000u);
    CHECK(arith(g) == (C | S | A | P)); // CF = bit 3 of the old value; top bits equal: OF 0
}

// ---- multiply ------------------------------------------------------------------------------

TEST_CASE("alu: MUL into AX, DX:AX and EDX:EAX") {
    Flat f;
    f.s().gpr[EAX] = 0x80;
    f.s().gpr[EBX] = 0x02;
    exec(f, {0xf6, 0xe3}); // mul bl
    CHECK((f.s().gpr[EAX] & 0xffff) == 0x0100);
    // CF = OF = AH != 0; SF ZF PF of AH (01: odd), AF = 1 (286 values of undefined flags)
    CHECK(arith(f) == (C | O | A));

    Flat g;
    g.s().gpr[EAX] = 0x1234;
    g.s().gpr[EBX] = 0x0010;
    g.s().gpr[EDX] = 0xdead0000u;
    exec(g, {0x66, 0xf7, 0xe3}); // mul bx
    CHECK((g.s().gpr[EAX] & 0xffff) == 0x2340);
    CHECK(g.s().gpr[EDX] == 0xdead0001u); // only DX is written
    CHECK(arith(g) == (C | O | A));

    Flat h;
    h.s().gpr[EAX] = 0xffffffffu;
    h.s().gpr[EBX] = 0xffffffffu;
    exec(h, {0xf7, 0xe3}); // mul ebx
    CHECK(h.s().gpr[EAX] == 1);
    CHECK(h.s().gpr[EDX] == 0xfffffffeu);
    CHECK(arith(h) == (C | O | S | A)); // high 0xfffffffe: SF, low byte fe has 7 bits -> odd

    Flat k;
    k.s().gpr[EAX] = 7;
    k.s().gpr[EBX] = 6;
    exec(k, {0xf7, 0xe3}); // mul ebx: fits
    CHECK(k.s().gpr[EAX] == 42);
    CHECK(k.s().gpr[EDX] == 0);
    CHECK(arith(k) == (Z | A | P)); // high half 0
}

TEST_CASE("alu: IMUL one-operand forms") {
    Flat f;
    f.s().gpr[EAX] = 0xff;                      // -1
    f.s().gpr[EBX] = 0x80;                      // -128
    exec(f, {0xf6, 0xeb});                      // imul bl
    CHECK((f.s().gpr[EAX] & 0xffff) == 0x0080); // +128 does not fit a signed byte
    CHECK(arith(f) == (C | O | Z | A | P));

    Flat g;
    g.s().gpr[EAX] = 0xfffffffeu; // -2
    g.s().gpr[EBX] = 3;
    exec(g, {0xf7, 0xeb}); // imul ebx
    CHECK(g.s().gpr[EAX] == 0xfffffffau);
    CHECK(g.s().gpr[EDX] == 0xffffffffu);
    CHECK(arith(g) == (S | A | P)); // fits: CF = OF = 0
}

TEST_CASE("alu: IMUL two- and three-operand forms") {
    Flat f;
    f.s().gpr[EAX] = 0x10000;
    f.s().gpr[EBX] = 0x10000;
    exec(f, {0x0f, 0xaf, 0xc3}); // imul eax, ebx
    CHECK(f.s().gpr[EAX] == 0);
    CHECK(arith(f) == (C | O | A)); // high half 1

    Flat g;
    g.s().gpr[EBX] = 0xfffffff0u; // -16
    exec(g, {0x6b, 0xc3, 0xfd});  // imul eax, ebx, -3
    CHECK(g.s().gpr[EAX] == 48);
    CHECK(arith(g) == (Z | A | P));

    Flat h;
    h.s().gpr[EBX] = 0x4000;
    exec(h, {0x66, 0x69, 0xc3, 0x02, 0x00}); // imul ax, bx, 2
    CHECK((h.s().gpr[EAX] & 0xffff) == 0x8000);
    CHECK(arith(h) == (C | O | Z | A | P)); // 0x8000 overflows a signed word

    Flat k;
    k.poke_as<uint16_t>(0x2000, 0xfffd);
    k.s().gpr[ESI] = 0x2000;
    k.s().gpr[ECX] = 0x1234fff0u;
    exec(k, {0x66, 0x0f, 0xaf, 0x0e}); // imul cx, [esi]
    CHECK(k.s().gpr[ECX] == 0x12340030u);
}

// ---- divide --------------------------------------------------------------------------------

TEST_CASE("alu: DIV and IDIV results; flags unchanged") {
    Flat f(C | Z | O);
    f.s().gpr[EAX] = 1000;
    f.s().gpr[EBX] = 7;
    exec(f, {0xf6, 0xf3}); // div bl: 1000 / 7 = 142 r 6
    CHECK((f.s().gpr[EAX] & 0xffff) == ((6 << 8) | 142));
    CHECK(arith(f) == (C | Z | O));

    Flat g;
    g.s().gpr[EDX] = 1;
    g.s().gpr[EAX] = 0;
    g.s().gpr[EBX] = 0x10;
    exec(g, {0xf7, 0xf3}); // div ebx: 2^32 / 16
    CHECK(g.s().gpr[EAX] == 0x10000000u);
    CHECK(g.s().gpr[EDX] == 0);

    Flat h;
    h.s().gpr[EAX] = 0xfff9; // -7
    h.s().gpr[EDX] = 0xffff;
    h.s().gpr[EBX] = 2;
    exec(h, {0x66, 0xf7, 0xfb}); // idiv bx: -7 / 2 = -3 r -1
    CHECK((h.s().gpr[EAX] & 0xffff) == 0xfffd);
    CHECK((h.s().gpr[EDX] & 0xffff) == 0xffff);

    Flat k;
    k.s().gpr[EAX] = 0xff80; // -128 / 1 = -128 fits
    k.s().gpr[EBX] = 1;
    exec(k, {0xf6, 0xfb}); // idiv bl
    CHECK((k.s().gpr[EAX] & 0xffff) == 0x0080);

    Flat m;
    m.s().gpr[EAX] = 0x100; // 256 / -2 = -128 fits
    m.s().gpr[EBX] = 0xfe;
    exec(m, {0xf6, 0xfb}); // idiv bl
    CHECK((m.s().gpr[EAX] & 0xffff) == 0x0080);

    Flat n;
    n.s().gpr[EDX] = 0xffffffffu; // -2^31 / 1 fits
    n.s().gpr[EAX] = 0x80000000u;
    n.s().gpr[EBX] = 1;
    exec(n, {0xf7, 0xfb}); // idiv ebx
    CHECK(n.s().gpr[EAX] == 0x80000000u);
    CHECK(n.s().gpr[EDX] == 0);
}

TEST_CASE("alu: DIV by zero raises #DE with the IP of the instruction (real mode)") {
    RealWithHandler f(vec::DE);
    f.s().gpr[EAX] = 0x1234;
    f.s().gpr[EBX] = 0;
    exec(f, {0x2e, 0xf6, 0xf3}); // cs: div bl
    CHECK(f.s().eip == 0x3001);
    CHECK(f.pushed_ip() == 0x1000); // the first prefix byte
    CHECK((f.s().gpr[EAX] & 0xffff) == 0x1234);
}

TEST_CASE("alu: quotient overflow raises #DE, IDIV INT_MIN / -1 included") {
    RealWithHandler f(vec::DE);
    f.s().gpr[EAX] = 0x0100; // 256 / 1 does not fit a byte
    f.s().gpr[EBX] = 1;
    exec(f, {0xf6, 0xf3}); // div bl
    CHECK(f.s().eip == 0x3001);
    CHECK(f.pushed_ip() == 0x1000);
    CHECK((f.s().gpr[EAX] & 0xffff) == 0x0100);

    RealWithHandler g(vec::DE);
    g.s().gpr[EDX] = 0x80000000u; // EDX:EAX = INT64_MIN
    g.s().gpr[EAX] = 0;
    g.s().gpr[EBX] = 0xffffffffu; // -1
    exec(g, {0x66, 0xf7, 0xfb});  // idiv ebx
    CHECK(g.s().eip == 0x3001);
    CHECK(g.pushed_ip() == 0x1000);
    CHECK(g.s().gpr[EDX] == 0x80000000u);

    RealWithHandler h(vec::DE);
    h.s().gpr[EAX] = 0x0080; // +128 / 1 does not fit
    h.s().gpr[EBX] = 1;
    exec(h, {0xf6, 0xfb}); // idiv bl
    CHECK(h.s().eip == 0x3001);
}

TEST_CASE("alu: #DE in protected mode points EIP at the faulting instruction") {
    FlatWithHandler f(vec::DE);
    f.s().gpr[EAX] = 5;
    f.s().gpr[EDX] = 0;
    f.s().gpr[ECX] = 0;
    exec(f, {0x90, 0xf7, 0xf1}); // nop ; div ecx
    CHECK(f.s().eip == 0x3001);
    CHECK(f.pushed(0) == 0x1001); // EIP of the DIV
    CHECK(f.pushed(1) == 0x08);
    CHECK(f.s().gpr[EAX] == 5);
}

TEST_CASE("alu: DIV with a memory divisor") {
    Flat f;
    f.poke_as<uint16_t>(0x2000, 300);
    f.s().gpr[ESI] = 0x2000;
    f.s().gpr[EAX] = 1000;
    f.s().gpr[EDX] = 0;
    exec(f, {0x66, 0xf7, 0x36}); // div word [esi]
    CHECK((f.s().gpr[EAX] & 0xffff) == 3);
    CHECK((f.s().gpr[EDX] & 0xffff) == 100);
}

// ---- BCD and ASCII adjust ------------------------------------------------------------------

TEST_CASE("alu: DAA and DAS") {
    Flat f;
    f.s().gpr[EAX] = 0x9a; // 0x45 + 0x55 in binary
    exec(f, {0x27});       // daa
    CHECK((f.s().gpr[EAX] & 0xff) == 0x00);
    CHECK(arith(f) == (C | A | Z | P));

    Flat g(A);
    g.s().gpr[EAX] = 0x12;
    exec(g, {0x27}); // daa with AF: +6
    CHECK((g.s().gpr[EAX] & 0xff) == 0x18);
    CHECK(arith(g) == (A | P));

    Flat h;
    h.s().gpr[EAX] = 0x7a; // +6 +... : 0x7a -> 0x80, signed overflow (286 OF)
    exec(h, {0x27});
    CHECK((h.s().gpr[EAX] & 0xff) == 0x80);
    CHECK(arith(h) == (A | S | O));

    Flat k(C);
    k.s().gpr[EAX] = 0x03; // 0x03 with CF: -0x60 -> 0xa3
    exec(k, {0x2f});       // das
    CHECK((k.s().gpr[EAX] & 0xff) == 0xa3);
    CHECK(arith(k) == (C | S | P));

    Flat m(A);
    m.s().gpr[EAX] = 0x03; // AF: -6 borrows -> 0xfd, CF set by the borrow
    exec(m, {0x2f});
    CHECK((m.s().gpr[EAX] & 0xff) == 0xfd);
    CHECK(arith(m) == (C | A | S));
}

TEST_CASE("alu: AAA and AAS adjust AX") {
    Flat f;
    f.s().gpr[EAX] = 0x00fb; // AL + 6 carries into AH: AX + 106h
    exec(f, {0x37});         // aaa
    CHECK((f.s().gpr[EAX] & 0xffff) == 0x0201);
    CHECK(arith(f) == (C | A)); // SZP of 0x01 (al + 6 before masking): odd parity

    Flat g;
    g.s().gpr[EAX] = 0x0105;
    exec(g, {0x37}); // no adjust: AL & 0Fh
    CHECK((g.s().gpr[EAX] & 0xffff) == 0x0105);
    CHECK(arith(g) == P); // 0x05 has even parity

    Flat h(A);
    h.s().gpr[EAX] = 0x0203;
    exec(h, {0x3f}); // aas: AX - 6 borrows, AH - 1
    CHECK((h.s().gpr[EAX] & 0xffff) == 0x000d);
    CHECK(arith(h) == (C | A | S)); // 0xfd: S, 7 bits odd

    Flat k;
    k.s().gpr[EAX] = 0x7a;
    exec(k, {0x37});
    CHECK((k.s().gpr[EAX] & 0xffff) == 0x0100);
    CHECK(arith(k) == (C | A | S | O)); // 7a + 6 = 80: + to -
}

TEST_CASE("alu: AAM and AAD, AAM 0 raises #DE without changing state") {
    Flat f;
    f.s().gpr[EAX] = 63;
    exec(f, {0xd4, 0x0a}); // aam
    CHECK((f.s().gpr[EAX] & 0xffff) == 0x0603);
    CHECK(arith(f) == P);

    Flat g;
    g.s().gpr[EAX] = 0x0603;
    exec(g, {0xd5, 0x0a}); // aad
    CHECK((g.s().gpr[EAX] & 0xffff) == 63);
    CHECK(arith(g) == P);

    Flat h;
    h.s().gpr[EAX] = 0x0ff0; // 0xf0 + 0x0f * 0x10 = 0x1e0: carry out
    exec(h, {0xd5, 0x10});   // aad 16
    CHECK((h.s().gpr[EAX] & 0xffff) == 0x00e0);
    CHECK(arith(h) == (C | O | S)); // AF: (f0 ^ f0 ^ e0) bit 4 = 0; OF = CF (286)

    RealWithHandler k(vec::DE);
    set_flags(k, Z);
    k.s().gpr[EAX] = 0x1234;
    exec(k, {0xd4, 0x00}); // aam 0
    CHECK(k.s().eip == 0x3001);
    CHECK(k.pushed_ip() == 0x1000);
    CHECK((k.s().gpr[EAX] & 0xffff) == 0x1234);
    CHECK((k.peek<uint16_t>(0x8000 - 2) & kAll) == Z); // pushed FLAGS unchanged
}

TEST_CASE("alu: SALC sets AL from CF without touching flags") {
    Flat f(C | Z);
    f.s().gpr[EAX] = 0x1234;
    exec(f, {0xd6});
    CHECK(f.s().gpr[EAX] == 0x12ff);
    CHECK(arith(f) == (C | Z));

    Flat g(S);
    g.s().gpr[EAX] = 0x12ff;
    exec(g, {0xd6});
    CHECK(g.s().gpr[EAX] == 0x1200);
    CHECK(arith(g) == S);
}

// ---- bit test and scan ---------------------------------------------------------------------

TEST_CASE("alu: BT/BTS/BTR/BTC with register operands take the offset modulo the width") {
    Flat f(Z | S | O | A | P);
    f.s().gpr[EAX] = 0x00000010u;
    f.s().gpr[EBX] = 36;                        // 36 mod 32 = 4
    exec(f, {0x0f, 0xa3, 0xd8});                // bt eax, ebx
    CHECK(arith(f) == (C | Z | S | O | A | P)); // only CF changes
    CHECK(f.s().gpr[EAX] == 0x10);

    Flat g(C);
    g.s().gpr[EAX] = 0xffff0000u;
    g.s().gpr[EBX] = 0x13;             // 16-bit: 19 mod 16 = 3
    exec(g, {0x66, 0x0f, 0xab, 0xd8}); // bts ax, bx
    CHECK(g.s().gpr[EAX] == 0xffff0008u);
    CHECK(arith(g) == 0);

    Flat h;
    h.s().gpr[EAX] = 0x80000000u;
    exec(h, {0x0f, 0xba, 0xf0, 0x3f}); // btr eax, 63 -> bit 31
    CHECK(h.s().gpr[EAX] == 0);
    CHECK(arith(h) == C);

    Flat k;
    k.s().gpr[EAX] = 0x5;
    k.s().gpr[EBX] = 1;
    exec(k, {0x0f, 0xbb, 0xd8}); // btc eax, ebx
    CHECK(k.s().gpr[EAX] == 0x7);
    CHECK(arith(k) == 0);
}

TEST_CASE("alu: BT family with memory and a register offset addresses beyond the operand") {
    Flat f;
    f.s().gpr[ESI] = 0x2000;
    f.s().gpr[EBX] = 35;         // dword at +4, bit 3
    exec(f, {0x0f, 0xab, 0x1e}); // bts [esi], ebx
    CHECK(f.peek<uint32_t>(0x2000) == 0);
    CHECK(f.peek<uint32_t>(0x2004) == 8);
    CHECK(arith(f) == 0);

    Flat g;
    g.poke_as<uint32_t>(0x1ffc, 0x80000000u);
    g.s().gpr[ESI] = 0x2000;
    g.s().gpr[EBX] = 0xffffffffu; // -1: dword at -4, bit 31
    exec(g, {0x0f, 0xb3, 0x1e});  // btr [esi], ebx
    CHECK(g.peek<uint32_t>(0x1ffc) == 0);
    CHECK(arith(g) == C);

    Flat h;
    h.s().gpr[ESI] = 0x2000;
    h.s().gpr[EBX] = 0xfefe; // 16-bit -258: word at 2 * (-258 SAR 4) = -34, bit 14
    h.poke_as<uint16_t>(0x2000 - 34, 0x4000);
    exec(h, {0x66, 0x0f, 0xa3, 0x1e}); // bt word [esi], bx
    CHECK(arith(h) == C);

    // An imm8 offset never leaves the operand.
    Flat k;
    k.s().gpr[ESI] = 0x2000;
    exec(k, {0x0f, 0xba, 0x2e, 0x23}); // bts dword [esi], 35 -> bit 3 of [esi]
    CHECK(k.peek<uint32_t>(0x2000) == 8);
    CHECK(k.peek<uint32_t>(0x2004) == 0);
}

TEST_CASE("alu: BT with 16-bit addressing wraps the computed address at 64 KiB") {
    CpuFixture f; // real mode, DS = 0
    f.s().gpr[ESI] = 0;
    f.s().gpr[EAX] = 0xfff0;     // -16: word at -2 -> offset FFFEh, bit 0
    exec(f, {0x0f, 0xab, 0x04}); // bts [si], ax
    CHECK(f.peek<uint16_t>(0xfffe) == 1);
    CHECK(f.peek<uint16_t>(0x0000) != 1);
}

TEST_CASE("alu: BSF and BSR") {
    Flat f(Z | C | S);
    f.s().gpr[EBX] = 0x00f00100u;
    exec(f, {0x0f, 0xbc, 0xc3, 0x0f, 0xbd, 0xcb}); // bsf eax, ebx ; bsr ecx, ebx
    CHECK(f.s().gpr[EAX] == 8);
    CHECK(f.s().gpr[ECX] == 23);
    CHECK(arith(f) == P); // flags of BSR: index 23 = 10111b has even parity
}

TEST_CASE("alu: BSF/BSR of 0 set ZF and leave the destination unchanged") {
    Flat f(C | S | P);
    f.s().gpr[EAX] = 0xdeadbeefu;
    f.s().gpr[EBX] = 0;
    exec(f, {0x0f, 0xbc, 0xc3}); // bsf eax, ebx
    CHECK(f.s().gpr[EAX] == 0xdeadbeefu);
    CHECK(arith(f) == (Z | C | S | P));

    Flat g;
    g.poke_as<uint16_t>(0x2000, 0x8000);
    g.s().gpr[ESI] = 0x2000;
    g.s().gpr[EAX] = 0xffffffffu;
    exec(g, {0x66, 0x0f, 0xbd, 0x06}); // bsr ax, [esi]
    CHECK(g.s().gpr[EAX] == 0xffff000fu);
    CHECK(arith(g) == P);
}

// ---- SETcc, CMOVcc, BSWAP ------------------------------------------------------------------

TEST_CASE("alu: SETcc for all 16 conditions") {
    for (uint32_t flags : kCcFlags) {
        for (unsigned cc = 0; cc < 16; ++cc) {
            Flat f(flags);
            f.s().gpr[EAX] = 0x12345678u;
            exec(f, {0x0f, uint8_t(0x90 + cc), 0xc0}); // setcc al
            INFO("flags " << flags << " cc " << cc);
            CHECK(f.s().gpr[EAX] == (0x12345600u | (expected_cc(flags, cc) ? 1 : 0)));
            CHECK(arith(f) == flags);
        }
    }
}

TEST_CASE("alu: SETcc to memory") {
    Flat f(C);
    f.poke_as<uint16_t>(0x2000, 0xaaaa);
    f.s().gpr[ESI] = 0x2000;
    exec(f, {0x0f, 0x92, 0x06}); // setb [esi]
    CHECK(f.peek<uint16_t>(0x2000) == 0xaa01);
}

TEST_CASE("alu: CMOVcc for all 16 conditions; false leaves the destination") {
    for (unsigned cc = 0; cc < 16; ++cc) {
        for (uint32_t flags : kCcFlags) {
            Flat f(flags);
            f.s().gpr[EAX] = 0x11111111u;
            f.s().gpr[EBX] = 0x22222222u;
            exec(f, {0x0f, uint8_t(0x40 + cc), 0xc3}); // cmovcc eax, ebx
            bool want = expected_cc(flags, cc);
            INFO("cc " << cc << " flags " << flags);
            CHECK(f.s().gpr[EAX] == (want ? 0x22222222u : 0x11111111u));
            CHECK(arith(f) == flags);
        }
    }
    Flat g(Z);
    g.s().gpr[EAX] = 0xffff1111u;
    g.s().gpr[EBX] = 0x2222;
    exec(g, {0x66, 0x0f, 0x44, 0xc3}); // cmovz ax, bx
    CHECK(g.s().gpr[EAX] == 0xffff2222u);
}

TEST_CASE("alu: CMOVcc reads (and faults on) a memory source even when false") {
    RealWithHandler f(vec::GP);
    set_flags(f, 0); // ZF clear: cmovz is false
    f.s().gpr[EBX] = 0xffff;
    f.s().gpr[EAX] = 0x1234;
    exec(f, {0x0f, 0x44, 0x07}); // cmovz ax, [bx]: a word at FFFFh faults
    CHECK(f.s().eip == 0x3001);
    CHECK(f.pushed_ip() == 0x1000);
    CHECK((f.s().gpr[EAX] & 0xffff) == 0x1234);

    Flat g(Z);
    g.poke_as<uint32_t>(0x2000, 0xcafef00du);
    g.s().gpr[ESI] = 0x2000;
    exec(g, {0x0f, 0x44, 0x06}); // cmovz eax, [esi]
    CHECK(g.s().gpr[EAX] == 0xcafef00du);
}

TEST_CASE("alu: BSWAP r32 swaps bytes; BSWAP r16 writes 0 to the register") {
    Flat f;
    f.s().gpr[EDX] = 0x12345678u;
    exec(f, {0x0f, 0xca}); // bswap edx
    CHECK(f.s().gpr[EDX] == 0x78563412u);

    Flat g(C | Z);
    g.s().gpr[ESI] = 0xdeadbeefu;
    exec(g, {0x66, 0x0f, 0xce}); // bswap si
    CHECK(g.s().gpr[ESI] == 0xdead0000u);
    CHECK(arith(g) == (C | Z));
}

// ---- XADD, CMPXCHG, CMPXCHG8B --------------------------------------------------------------

TEST_CASE("alu: XADD register and memory forms") {
    Flat f;
    f.s().gpr[EAX] = 0xffffffffu;
    f.s().gpr[EBX] = 1;
    exec(f, {0x0f, 0xc1, 0xd8}); // xadd eax, ebx
    CHECK(f.s().gpr[EAX] == 0);
    CHECK(f.s().gpr[EBX] == 0xffffffffu);
    CHECK(arith(f) == (C | Z | A | P));

    Flat g;
    g.s().gpr[EAX] = 5;
    exec(g, {0x0f, 0xc1, 0xc0}); // xadd eax, eax -> the sum
    CHECK(g.s().gpr[EAX] == 10);

    Flat h;
    h.poke(0x2000, {0x7f});
    h.s().gpr[ESI] = 0x2000;
    h.s().gpr[EBX] = 0x01;
    exec(h, {0x0f, 0xc0, 0x1e}); // xadd [esi], bl
    CHECK(h.peek<uint8_t>(0x2000) == 0x80);
    CHECK((h.s().gpr[EBX] & 0xff) == 0x7f);
    CHECK(arith(h) == (O | S | A));
}

TEST_CASE("alu: CMPXCHG match and mismatch in 8/16/32 bits") {
    Flat f;
    f.s().gpr[EAX] = 7;
    f.s().gpr[EBX] = 7;
    f.s().gpr[ECX] = 99;
    exec(f, {0x0f, 0xb1, 0xcb}); // cmpxchg ebx, ecx
    CHECK(f.s().gpr[EBX] == 99);
    CHECK(f.s().gpr[EAX] == 7);
    CHECK(arith(f) == (Z | P));

    Flat g;
    g.s().gpr[EAX] = 0x12345601u;
    g.s().gpr[EBX] = 0x02;
    g.s().gpr[ECX] = 0x55;
    exec(g, {0x0f, 0xb0, 0xcb}); // cmpxchg bl, cl
    CHECK((g.s().gpr[EBX] & 0xff) == 0x02);
    CHECK(g.s().gpr[EAX] == 0x12345602u); // AL loaded from the destination
    CHECK(arith(g) == (C | S | A | P));   // flags of 01 - 02

    Flat h;
    h.poke_as<uint16_t>(0x2000, 0x1111);
    h.s().gpr[ESI] = 0x2000;
    h.s().gpr[EAX] = 0x1111;
    h.s().gpr[ECX] = 0x2222;
    exec(h, {0x66, 0x0f, 0xb1, 0x0e}); // cmpxchg [esi], cx
    CHECK(h.peek<uint16_t>(0x2000) == 0x2222);
    CHECK(arith(h) == (Z | P));
}

TEST_CASE("alu: CMPXCHG writes the destination back on mismatch, so read-only faults") {
    FlatWithHandler f(vec::GP);
    f.s().seg[DS].attr &= uint16_t(~seg_attr::WRITABLE);
    f.cpu.refresh_segment(DS);
    f.poke_as<uint32_t>(0x2000, 5);
    f.s().gpr[ESI] = 0x2000;
    f.s().gpr[EAX] = 6; // mismatch
    f.s().gpr[ECX] = 9;
    exec(f, {0x0f, 0xb1, 0x0e}); // cmpxchg [esi], ecx
    CHECK(f.s().eip == 0x3001);
    CHECK(f.pushed(0) == 0);      // error code
    CHECK(f.pushed(1) == 0x1000); // EIP of the CMPXCHG
    CHECK(f.s().gpr[EAX] == 6);   // the accumulator is not loaded
    CHECK(f.peek<uint32_t>(0x2000) == 5);
}

TEST_CASE("alu: CMPXCHG8B") {
    Flat f(C | S);
    f.poke_as<uint64_t>(0x2000, 0x1111222233334444ull);
    f.s().gpr[ESI] = 0x2000;
    f.s().gpr[EDX] = 0x11112222u;
    f.s().gpr[EAX] = 0x33334444u;
    f.s().gpr[ECX] = 0xaaaabbbbu;
    f.s().gpr[EBX] = 0xccccddddu;
    exec(f, {0x0f, 0xc7, 0x0e}); // cmpxchg8b [esi]
    CHECK(f.peek<uint64_t>(0x2000) == 0xaaaabbbbccccddddull);
    CHECK(arith(f) == (C | S | Z)); // only ZF changes

    Flat g(Z);
    g.poke_as<uint64_t>(0x2000, 0x0123456789abcdefull);
    g.s().gpr[ESI] = 0x2000;
    exec(g, {0xf0, 0x0f, 0xc7, 0x0e}); // lock cmpxchg8b [esi], mismatch
    CHECK(g.s().gpr[EDX] == 0x01234567u);
    CHECK(g.s().gpr[EAX] == 0x89abcdefu);
    CHECK(g.peek<uint64_t>(0x2000) == 0x0123456789abcdefull);
    CHECK(arith(g) == 0);
}

TEST_CASE("alu: CMPXCHG8B with a register operand and LOCK on a register BTS are #UD") {
    RealWithHandler f(vec::UD);
    exec(f, {0x0f, 0xc7, 0xc8});
    CHECK(f.s().eip == 0x3001);
    CHECK(f.pushed_ip() == 0x1000);

    RealWithHandler g(vec::UD);
    exec(g, {0xf0, 0x0f, 0xab, 0xd8}); // lock bts ax, bx
    CHECK(g.s().eip == 0x3001);
}

// ---- flag instructions ---------------------------------------------------------------------

TEST_CASE("alu: LAHF and SAHF") {
    Flat f(S | Z | A | P | C | O);
    f.s().gpr[EAX] = 0;
    exec(f, {0x9f}); // lahf
    CHECK(f.s().gpr[EAX] == 0xd700);

    Flat g(O);
    g.s().gpr[EAX] = 0xff00;
    exec(g, {0x9e}); // sahf: OF is not loaded
    CHECK(arith(g) == (S | Z | A | P | C | O));

    Flat h(S | Z | A | P | C);
    h.s().gpr[EAX] = 0x0200;
    exec(h, {0x9e});
    CHECK(arith(h) == 0);
    CHECK((h.flags() & fl::FIXED1) != 0);
}

TEST_CASE("alu: CLC STC CMC CLD STD") {
    Flat f(Z);
    exec(f, {0xf9, 0xfd}); // stc ; std
    CHECK(arith(f) == (C | Z));
    CHECK((f.flags() & fl::DF) != 0);

    Flat g(C | Z);
    exec(g, {0xf5}); // cmc
    CHECK(arith(g) == Z);
    Flat k(Z);
    exec(k, {0xf5});
    CHECK(arith(k) == (C | Z));

    Flat h(C | S);
    h.s().eflags |= fl::DF;
    exec(h, {0xf8, 0xfc}); // clc ; cld
    CHECK(arith(h) == S);
    CHECK((h.flags() & fl::DF) == 0);
}
