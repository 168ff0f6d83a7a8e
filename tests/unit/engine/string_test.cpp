// String instructions, REP and port I/O (semantics/string.inc).
#include "tests/unit/engine/cpu_fixture.h"

#include <doctest/doctest.h>

#include <cstring>
#include <vector>

using namespace rr86;
using rr86::test::CpuFixture;

namespace {

void fill_pattern(CpuFixture& f, uint32_t addr, size_t n, uint8_t seed) {
    std::vector<uint8_t> v(n);
    for (size_t i = 0; i < n; ++i)
        v[i] = uint8_t(seed + i * 7 + (i >> 8));
    f.mem.write_ram(addr, v.data(), n);
}

std::vector<uint8_t> bytes_at(CpuFixture& f, uint32_t addr, size_t n) {
    std::vector<uint8_t> v(n);
    f.mem.read_ram(addr, v.data(), n);
    return v;
}

// A device on a few ports: reads return 0x41414141, 0x42424242, ... (one per access, truncated to
// the access size by IoPorts), writes are logged.
struct Dev : PortHandler {
    struct Write {
        uint16_t port;
        unsigned size;
        uint32_t value;
    };
    std::vector<Write> writes;
    std::vector<uint16_t> read_ports;
    uint32_t next = 0x41414141;
    uint32_t port_read(uint16_t port, unsigned size) override {
        read_ports.push_back(port);
        uint32_t v = next;
        next += 0x01010101u;
        return v;
    }
    void port_write(uint16_t port, unsigned size, uint32_t value) override {
        writes.push_back({port, size, value});
    }
};

uint16_t r16(CpuFixture& f, unsigned r) { return uint16_t(f.s().gpr[r]); }

} // namespace

// ---- single iterations -------------------------------------------------------------------------

TEST_CASE("movsb copies DS:SI to ES:DI and steps by DF") {
    CpuFixture f;
    f.s().seg[ES].base = 0x10000;
    f.poke(0x2000, {0x11, 0x22, 0x33, 0x44});
    f.s().gpr[ESI] = 0x2000;
    f.s().gpr[EDI] = 0x0100;
    f.code({0xa4, 0xf4}); // movsb ; hlt
    f.run();
    f.s().halted = 0;
    f.s().eflags |= fl::DF;
    f.code({0xa5, 0xf4}); // movsw ; hlt
    f.run();
    CHECK(f.peek<uint8_t>(0x10100) == 0x11);
    // After movsb SI=2001, DI=0101; movsw copies the word at 2001 to 10101, then both step -2.
    CHECK(f.peek<uint16_t>(0x10101) == 0x3322);
    CHECK(r16(f, ESI) == 0x1fff);
    CHECK(r16(f, EDI) == 0x00ff);
}

TEST_CASE("segment override applies to the source only") {
    CpuFixture f;
    f.s().seg[FS].base = 0x30000;
    f.poke(0x32000, {0xaa, 0xbb});
    f.poke(0x32002, {0xcc});
    f.poke(0x2000, {0x01, 0x02, 0x03});
    f.s().gpr[ESI] = 0x2000;
    f.s().gpr[EDI] = 0x4000;
    f.code({0x64, 0xa5, 0x64, 0xac, 0xf4}); // movsw fs: ; lodsb fs: ; hlt
    f.run();
    CHECK(f.peek<uint16_t>(0x4000) == 0xbbaa); // ES:DI with ES base 0
    CHECK(uint8_t(f.s().gpr[EAX]) == 0xcc);    // from FS:2002, not DS:2002
    CHECK(r16(f, ESI) == 0x2003);
}

TEST_CASE("lods, stos, scas and cmps in all widths") {
    CpuFixture f;
    f.flat32();
    f.poke_as<uint32_t>(0x2000, 0x89abcdef);
    f.s().gpr[ESI] = 0x2000;
    f.s().gpr[EDI] = 0x3000;
    // lodsd ; stosw ; stosb ; hlt
    f.code({0xad, 0x66, 0xab, 0xaa, 0xf4});
    f.run();
    CHECK(f.s().gpr[EAX] == 0x89abcdef);
    CHECK(f.peek<uint32_t>(0x3000) == 0x00efcdef);
    CHECK(f.s().gpr[ESI] == 0x2004);
    CHECK(f.s().gpr[EDI] == 0x3003);

    CpuFixture g;
    g.poke(0x2000, {0x05});
    g.poke(0x3000, {0x07});
    g.s().gpr[ESI] = 0x2000;
    g.s().gpr[EDI] = 0x3000;
    g.s().gpr[EAX] = 0x07;
    g.code({0xa6, 0xf4}); // cmpsb: flags of 5 - 7
    g.run();
    CHECK((g.flags() & fl::CF) != 0);
    CHECK((g.flags() & fl::SF) != 0);
    CHECK((g.flags() & fl::ZF) == 0);
    g.s().halted = 0;
    g.s().gpr[EDI] = 0x3000;
    g.code({0xae, 0xf4}); // scasb: 7 - 7
    g.run();
    CHECK((g.flags() & fl::ZF) != 0);
    CHECK((g.flags() & fl::CF) == 0);
    CHECK(r16(g, EDI) == 0x3001);
}

// ---- REP ---------------------------------------------------------------------------------------

TEST_CASE("rep movsb retires one icount per iteration") {
    CpuFixture f;
    fill_pattern(f, 0x2000, 10, 1);
    f.s().gpr[ESI] = 0x2000;
    f.s().gpr[EDI] = 0x3000;
    f.s().gpr[ECX] = 10;
    f.code({0xf3, 0xa4, 0xf4});
    CHECK(f.run() == 11);
    CHECK(bytes_at(f, 0x3000, 10) == bytes_at(f, 0x2000, 10));
    CHECK(f.s().gpr[ECX] == 0);
    CHECK(r16(f, ESI) == 0x200a);
    CHECK(r16(f, EDI) == 0x300a);
}

TEST_CASE("rep with a zero count does nothing and counts one instruction") {
    CpuFixture f;
    f.s().gpr[ECX] = 0x10000; // CX = 0
    f.s().gpr[ESI] = 0x2000;
    f.code({0xf3, 0xa4, 0xf2, 0xa6, 0xf4});
    CHECK(f.run() == 3);
    CHECK(f.s().gpr[ESI] == 0x2000);
    CHECK(f.s().gpr[ECX] == 0x10000);
}

TEST_CASE("rep movsd in 32-bit code across pages, unaligned") {
    CpuFixture f;
    f.flat32();
    constexpr uint32_t n = 5000;
    fill_pattern(f, 0x10003, n * 4, 9);
    f.s().gpr[ESI] = 0x10003;
    f.s().gpr[EDI] = 0x30801;
    f.s().gpr[ECX] = n;
    f.code({0xf3, 0xa5, 0xf4});
    CHECK(f.run() == n + 1);
    CHECK(bytes_at(f, 0x30801, n * 4) == bytes_at(f, 0x10003, n * 4));
    CHECK(f.s().gpr[ESI] == 0x10003 + n * 4);
    CHECK(f.s().gpr[EDI] == 0x30801 + n * 4);
    CHECK(f.s().gpr[ECX] == 0);
}

// Reference: x86 string moves element after element.
void reference_movs(std::vector<uint8_t>& m, size_t src, size_t dst, size_t count, size_t size,
                    bool down) {
    for (size_t k = 0; k < count; ++k) {
        uint8_t tmp[4];
        std::memcpy(tmp, &m[src], size);
        std::memcpy(&m[dst], tmp, size);
        src = down ? src - size : src + size;
        dst = down ? dst - size : dst + size;
    }
}

TEST_CASE("overlapping rep movs gives the element-by-element result") {
    struct Case {
        uint32_t src, dst, count;
        uint8_t op; // a4 movsb, a5 movsw/movsd
        bool op32, down;
    };
    for (Case k : {Case{0x2000, 0x2001, 300, 0xa4, false, false},
                   Case{0x2000, 0x2001, 300, 0xa5, false, false},
                   Case{0x2000, 0x2003, 300, 0xa5, true, false},
                   Case{0x2000, 0x2006, 300, 0xa5, true, false},
                   Case{0x2005, 0x2000, 300, 0xa5, true, false},
                   Case{0x2400, 0x2401, 300, 0xa4, false, true},
                   Case{0x2400, 0x23fe, 300, 0xa5, false, true}}) {
        CAPTURE(k.src);
        CAPTURE(k.dst);
        CAPTURE(int(k.op));
        CpuFixture f;
        f.flat32();
        fill_pattern(f, 0x1800, 0x1000, 3);
        std::vector<uint8_t> ref = bytes_at(f, 0, 0x3000);
        size_t size = k.op == 0xa4 ? 1 : (k.op32 ? 4 : 2);
        reference_movs(ref, k.src, k.dst, k.count, size, k.down);
        f.s().gpr[ESI] = k.src;
        f.s().gpr[EDI] = k.dst;
        f.s().gpr[ECX] = k.count;
        if (k.down) f.s().eflags |= fl::DF;
        if (k.op32 || k.op == 0xa4)
            f.code({0xf3, k.op, 0xf4});
        else
            f.code({0x66, 0xf3, k.op, 0xf4});
        f.run();
        CHECK(bytes_at(f, 0x1800, 0x1000) ==
              std::vector<uint8_t>(ref.begin() + 0x1800, ref.begin() + 0x2800));
    }
}

TEST_CASE("rep stos in all widths, forward and backward") {
    CpuFixture f;
    f.flat32();
    f.s().gpr[EAX] = 0x11223344;
    f.s().gpr[EDI] = 0x20ffe;
    f.s().gpr[ECX] = 1000;
    f.code({0xf3, 0xab, 0xf4}); // rep stosd across a page boundary
    f.run();
    for (uint32_t a = 0x20ffe; a < 0x20ffe + 4000; a += 4)
        REQUIRE(f.peek<uint32_t>(a) == 0x11223344);
    CHECK(f.s().gpr[EDI] == 0x20ffe + 4000);

    CpuFixture g;
    g.s().gpr[EAX] = 0xab;
    g.s().gpr[EDI] = 0x3000;
    g.s().gpr[ECX] = 16;
    g.s().eflags |= fl::DF;
    g.code({0xf3, 0xaa, 0xf4}); // rep stosb downwards: 2ff1..3000
    g.run();
    CHECK(g.peek<uint8_t>(0x2ff0) == 0);
    for (uint32_t a = 0x2ff1; a <= 0x3000; ++a)
        CHECK(g.peek<uint8_t>(a) == 0xab);
    CHECK(r16(g, EDI) == 0x2ff0);

    CpuFixture h;
    h.s().gpr[EAX] = 0xbeef;
    h.s().gpr[EDI] = 0x3000;
    h.s().gpr[ECX] = 3;
    h.code({0xf2, 0xab, 0xf4}); // F2 on STOS repeats like F3
    h.run();
    CHECK(h.peek<uint16_t>(0x3004) == 0xbeef);
    CHECK(h.s().gpr[ECX] == 0);
}

TEST_CASE("repe cmpsb stops after the first difference; repne scasb stops on a match") {
    CpuFixture f;
    f.poke(0x2000, {'a', 'b', 'c', 'd', 'e'});
    f.poke(0x3000, {'a', 'b', 'X', 'd', 'e'});
    f.s().gpr[ESI] = 0x2000;
    f.s().gpr[EDI] = 0x3000;
    f.s().gpr[ECX] = 5;
    f.code({0xf3, 0xa6, 0xf4});
    CHECK(f.run() == 4);
    CHECK(r16(f, ECX) == 2);
    CHECK(r16(f, ESI) == 0x2003);
    CHECK(r16(f, EDI) == 0x3003);
    CHECK((f.flags() & fl::ZF) == 0);
    CHECK((f.flags() & fl::CF) == 0); // 'c' - 'X' = 0x63 - 0x58: no borrow
}

TEST_CASE("repne scasb finds the byte and leaves the count of the rest") {
    CpuFixture f;
    f.poke(0x3000, {1, 2, 3, 0, 5, 6});
    f.s().gpr[EDI] = 0x3000;
    f.s().gpr[ECX] = 0xffff;
    f.s().gpr[EAX] = 0;
    f.code({0xf2, 0xae, 0xf4});
    CHECK(f.run() == 5);
    CHECK(r16(f, EDI) == 0x3004);
    CHECK(r16(f, ECX) == 0xffff - 4);
    CHECK((f.flags() & fl::ZF) != 0);
}

TEST_CASE("16-bit addressing wraps SI inside 64 KiB and keeps the upper halves") {
    CpuFixture f;
    f.s().seg[DS].base = 0x20000;
    fill_pattern(f, 0x2fff0, 16, 0x40);
    fill_pattern(f, 0x20000, 16, 0x80);
    f.s().gpr[ESI] = 0x0001fff0;
    f.s().gpr[EDI] = 0xabcd3000;
    f.s().gpr[ECX] = 0x55550020;
    f.code({0xf3, 0xa4, 0xf4});
    f.run();
    CHECK(bytes_at(f, 0x3000, 16) == bytes_at(f, 0x2fff0, 16));
    CHECK(bytes_at(f, 0x3010, 16) == bytes_at(f, 0x20000, 16));
    CHECK(f.s().gpr[ESI] == 0x00010010);
    CHECK(f.s().gpr[EDI] == 0xabcd3020);
    CHECK(f.s().gpr[ECX] == 0x55550000);
}

TEST_CASE("67 prefix in real mode walks ESI/EDI/ECX") {
    CpuFixture f;
    f.s().seg[ES].base = 0x100000;
    f.s().gpr[ECX] = 0x10000;
    f.s().gpr[ESI] = 0;
    f.s().gpr[EDI] = 0;
    f.code({0x67, 0xf3, 0xa4, 0xf4});
    CHECK(f.run() == 0x10001);
    CHECK(bytes_at(f, 0x100000, 0x10000) == bytes_at(f, 0, 0x10000));
    CHECK(f.s().gpr[ECX] == 0);
    CHECK(f.s().gpr[ESI] == 0x10000);
    CHECK(f.s().gpr[EDI] == 0x10000);
}

TEST_CASE("#GP at the segment limit in the middle of rep movsb keeps the completed iterations") {
    CpuFixture f;
    f.ivt_hlt(13, 0x5000);
    f.s().seg[DS].limit = 0x20ff;
    f.cpu.refresh_segment(DS);
    fill_pattern(f, 0x2000, 0x200, 5);
    f.s().gpr[ESI] = 0x2000;
    f.s().gpr[EDI] = 0x3000;
    f.s().gpr[ECX] = 0x200;
    f.code({0xf3, 0xa4, 0xf4});
    CHECK(f.run() == 0x100 + 2); // completed iterations + the fault + the handler's HLT
    CHECK(f.s().eip == 0x5001);
    CHECK(r16(f, ECX) == 0x100);
    CHECK(r16(f, ESI) == 0x2100);
    CHECK(r16(f, EDI) == 0x3100);
    CHECK(f.peek<uint16_t>(0x8000 - 6) == 0x1000); // IP of the REP instruction
    CHECK(bytes_at(f, 0x3000, 0x100) == bytes_at(f, 0x2000, 0x100));
    CHECK(f.peek<uint8_t>(0x3100) == 0);
}

TEST_CASE("#GP on a word straddling the limit mid-rep movsw") {
    CpuFixture f;
    f.ivt_hlt(13, 0x5000);
    f.s().gpr[ESI] = 0xfff1;
    f.s().gpr[EDI] = 0x3000;
    f.s().gpr[ECX] = 10;
    f.code({0xf3, 0xa5, 0xf4});
    f.run();
    CHECK(f.s().eip == 0x5001);
    CHECK(r16(f, ECX) == 3);
    CHECK(r16(f, ESI) == 0xffff);
    CHECK(r16(f, EDI) == 0x300e);
}

// Runs `setup` + the program to HLT once with a large budget and again in slices of `slice`
// instructions; both must end in the same state.
template <class Setup> void check_resumption(Setup setup, uint64_t slice) {
    CpuFixture a, b;
    Dev da, db;
    setup(a, da);
    setup(b, db);
    a.run(10'000'000);
    REQUIRE(a.s().halted);
    unsigned runs = 0;
    while (!b.s().halted && runs < 1'000'000) {
        b.run(slice);
        ++runs;
    }
    CHECK(runs > 1);
    CHECK(std::memcmp(&a.s(), &b.s(), sizeof(CpuState)) == 0);
    CHECK(a.s().icount == b.s().icount);
    CHECK(a.s().eip == b.s().eip);
    CHECK(a.s().gpr[ECX] == b.s().gpr[ECX]);
    CHECK(bytes_at(a, 0x2000, 0x4000) == bytes_at(b, 0x2000, 0x4000));
    CHECK(da.writes.size() == db.writes.size());
    CHECK(da.read_ports.size() == db.read_ports.size());
}

TEST_CASE("rep resumption with a small icount budget gives the state of one long run") {
    auto setup = [](CpuFixture& f, Dev& d) {
        f.io.claim(0x60, 4, &d);
        fill_pattern(f, 0x2000, 0x1000, 11);
        f.s().gpr[ESI] = 0x2000;
        f.s().gpr[EDI] = 0x4000;
        f.s().gpr[EAX] = 0x5a5a;
        f.s().gpr[EDX] = 0x60;
        f.code({
            0xb9, 0x2c, 0x01, // mov cx, 300
            0xf3, 0xa4,       // rep movsb
            0xb9, 0x32, 0x00, // mov cx, 50
            0xf3, 0xab,       // rep stosw
            0xb9, 0x90, 0x01, // mov cx, 400
            0xbe, 0x00, 0x20, // mov si, 0x2000
            0xbf, 0x00, 0x40, // mov di, 0x4000
            0xf3, 0xa6,       // repe cmpsb (equal for 300 bytes)
            0xb9, 0x20, 0x00, // mov cx, 32
            0xf3, 0x6c,       // rep insb
            0xb9, 0x10, 0x00, // mov cx, 16
            0xf3, 0x6f,       // rep outsw
            0x68, 0x00, 0x04, // push 0x400
            0x9d,             // popf: DF = 1
            0xb9, 0x40, 0x00, // mov cx, 64
            0xf3, 0xa5,       // rep movsw downwards
            0xf4,
        });
    };
    for (uint64_t slice : {1, 2, 3, 7, 64, 301}) {
        CAPTURE(slice);
        check_resumption(setup, slice);
    }
}

TEST_CASE("rep movsd in 32-bit code resumes exactly with a small budget") {
    auto setup = [](CpuFixture& f, Dev&) {
        f.flat32();
        fill_pattern(f, 0x2000, 0x2000, 77);
        f.s().gpr[ESI] = 0x2001;
        f.s().gpr[EDI] = 0x4803;
        f.s().gpr[ECX] = 0x600;
        f.code({0xf3, 0xa5, 0xf4});
    };
    for (uint64_t slice : {5, 100, 1000})
        check_resumption(setup, slice);
}

TEST_CASE("a rep interrupted by the budget rewinds EIP onto itself") {
    CpuFixture f;
    f.s().gpr[ESI] = 0x2000;
    f.s().gpr[EDI] = 0x3000;
    f.s().gpr[ECX] = 100;
    f.code({0xf3, 0xa4, 0xf4});
    CHECK(f.run(30) == 30);
    CHECK(f.s().eip == 0x1000);
    CHECK(r16(f, ECX) == 70);
    CHECK(r16(f, ESI) == 0x201e);
    CHECK(f.run(1000) == 71);
    CHECK(f.s().eip == 0x1003);
}

TEST_CASE("single-step traps after each rep iteration with EIP on the instruction") {
    CpuFixture f;
    f.ivt_hlt(1, 0x5000);
    f.s().gpr[ESI] = 0x2000;
    f.s().gpr[EDI] = 0x3000;
    f.s().gpr[ECX] = 5;
    f.s().eflags |= fl::TF;
    f.code({0xf3, 0xa4, 0xf4});
    f.run();
    CHECK(f.s().eip == 0x5001);
    CHECK(r16(f, ECX) == 4);
    CHECK(f.peek<uint16_t>(0x8000 - 6) == 0x1000);
}

TEST_CASE("rep movsb over following code is seen (no fast path into code pages)") {
    CpuFixture f;
    f.poke(0x2000, {0x90, 0x90});
    f.s().gpr[ESI] = 0x2000;
    f.s().gpr[EDI] = 0x1005;
    // mov cx,2 ; rep movsb ; inc ax ; inc ax ; hlt   (the two INC become NOPs)
    f.code({0xb9, 0x02, 0x00, 0xf3, 0xa4, 0x40, 0x40, 0xf4});
    f.run();
    CHECK(r16(f, EAX) == 0);
}

// ---- port I/O ----------------------------------------------------------------------------------

TEST_CASE("in/out with imm8 and DX ports in 8, 16 and 32 bits") {
    CpuFixture f;
    f.flat32();
    Dev d;
    f.io.claim(0x70, 2, &d);
    f.io.claim(0x3f8, 8, &d);
    f.s().gpr[EDX] = 0x3f9;
    f.s().gpr[EAX] = 0x12345678;
    // out 0x70, al ; out dx, ax ; out dx, eax ; in al, 0x71 ; in ax, dx ; in eax, dx ; hlt
    f.code({0xe6, 0x70, 0x66, 0xef, 0xef, 0xe4, 0x71, 0x66, 0xed, 0xed, 0xf4});
    f.run();
    REQUIRE(d.writes.size() == 3);
    CHECK(d.writes[0].port == 0x70);
    CHECK(d.writes[0].size == 1);
    CHECK(d.writes[0].value == 0x78);
    CHECK(d.writes[1].port == 0x3f9);
    CHECK(d.writes[1].size == 2);
    CHECK(d.writes[1].value == 0x5678);
    CHECK(d.writes[2].size == 4);
    CHECK(d.writes[2].value == 0x12345678);
    REQUIRE(d.read_ports.size() == 3);
    CHECK(d.read_ports[0] == 0x71);
    CHECK(d.read_ports[1] == 0x3f9);
    CHECK(f.s().gpr[EAX] == 0x43434343u); // third read, full 32 bits
}

TEST_CASE("in al from an unclaimed port reads all ones and keeps AH") {
    CpuFixture f;
    f.s().gpr[EAX] = 0x1200;
    f.code({0xe4, 0x99, 0xf4});
    f.run();
    CHECK(f.s().gpr[EAX] == 0x12ff);
}

TEST_CASE("rep insw and rep outsb move between memory and a port") {
    CpuFixture f;
    Dev d;
    f.io.claim(0x1f0, 8, &d);
    f.poke(0x2000, {'h', 'i', '!'});
    f.s().gpr[EDX] = 0x1f0;
    f.s().gpr[ESI] = 0x2000;
    f.s().gpr[EDI] = 0x3000;
    // mov cx,3 ; rep outsb ; mov cx,2 ; rep insw ; hlt
    f.code({0xb9, 0x03, 0x00, 0xf3, 0x6e, 0xb9, 0x02, 0x00, 0xf3, 0x6d, 0xf4});
    f.run();
    REQUIRE(d.writes.size() == 3);
    CHECK(d.writes[0].value == 'h');
    CHECK(d.writes[2].value == '!');
    CHECK(f.peek<uint16_t>(0x3000) == 0x4141);
    CHECK(f.peek<uint16_t>(0x3002) == 0x4242);
    CHECK(r16(f, EDI) == 0x3004);
    CHECK(r16(f, ESI) == 0x2003);
}

TEST_CASE("ins with a faulting destination does not read the port") {
    CpuFixture f;
    f.ivt_hlt(13, 0x5000);
    Dev d;
    f.io.claim(0x1f0, 8, &d);
    f.s().gpr[EDX] = 0x1f0;
    f.s().gpr[EDI] = 0xffff;
    f.code({0x6d, 0xf4}); // insw to ES:FFFF straddles the limit
    f.run();
    CHECK(f.s().eip == 0x5001);
    CHECK(d.read_ports.empty());
    CHECK(r16(f, EDI) == 0xffff);
}

TEST_CASE("port I/O at CPL > IOPL without bitmap permission raises #GP(0)") {
    CpuFixture f;
    f.flat32();
    Dev d;
    f.io.claim(0x60, 1, &d);
    f.s().cpl = 3;
    f.s().tr = {0x100, 0x67, 0x28, uint16_t(seg_attr::P | 0xb)};
    f.poke_as<uint16_t>(0x100 + 0x66, 0x68); // bitmap beyond the TSS limit: no port allowed
    f.cpu.state_changed();
    for (std::vector<uint8_t> insn :
         std::vector<std::vector<uint8_t>>{{0xe4, 0x60}, {0xe6, 0x60}, {0xec}, {0x6c}, {0x6e}}) {
        f.s().gpr[EDX] = 0x60;
        f.s().gpr[EDI] = 0x3000;
        PendingFault p = f.exec(insn, CodeMode::Prot32);
        CHECK(p.active);
        CHECK(p.vector == vec::GP);
        CHECK(p.error == 0);
    }
    CHECK(d.read_ports.empty());
    CHECK(d.writes.empty());
    CHECK(f.s().gpr[EDI] == 0x3000);
}

TEST_CASE("#PF in the middle of rep stosb: CR2, completed iterations and their icount") {
    CpuFixture f;
    f.flat32();
    // Identity-map the first 2 MiB with 4 KiB pages, page 5 not present.
    f.poke_as<uint32_t>(0x10000, 0x11000 | 3);
    for (uint32_t p = 0; p < 512; ++p)
        f.poke_as<uint32_t>(0x11000 + p * 4, p == 5 ? 0 : (p << 12) | 3);
    f.s().cr3 = 0x10000;
    f.s().cr0 |= cr0::PG;
    f.cpu.state_changed();
    f.cpu.icount_limit = f.s().icount + 1000;
    f.s().gpr[EAX] = 0x99;
    f.s().gpr[EDI] = 0x4ff0;
    f.s().gpr[ECX] = 0x20;
    uint64_t icount = f.s().icount;
    PendingFault p = f.exec({0xf3, 0xaa}, CodeMode::Prot32);
    CHECK(p.active);
    CHECK(p.vector == vec::PF);
    CHECK(p.error == 2); // not present, write, supervisor
    CHECK(f.s().cr2 == 0x5000);
    CHECK(f.s().gpr[ECX] == 0x10);
    CHECK(f.s().gpr[EDI] == 0x5000);
    CHECK(f.s().icount == icount + 0x10);
    CHECK(f.peek<uint8_t>(0x4fff) == 0x99);
}

TEST_CASE("rep movsd from a page mapped twice: source and destination alias one frame") {
    CpuFixture f;
    f.flat32();
    // Linear pages 0x40 and 0x41 both map frame 0x20: a copy upwards by 4 bytes through the alias
    // repeats the first dword, as element-by-element x86 does.
    f.poke_as<uint32_t>(0x10000, 0x11000 | 3);
    for (uint32_t p = 0; p < 512; ++p)
        f.poke_as<uint32_t>(0x11000 + p * 4, (p << 12) | 3);
    f.poke_as<uint32_t>(0x11000 + 0x40 * 4, 0x20000 | 3);
    f.poke_as<uint32_t>(0x11000 + 0x41 * 4, 0x20000 | 3);
    f.s().cr3 = 0x10000;
    f.s().cr0 |= cr0::PG;
    f.cpu.state_changed();
    fill_pattern(f, 0x20000, 0x1000, 1);
    uint32_t first = f.peek<uint32_t>(0x20000);
    f.s().gpr[ESI] = 0x40000;
    f.s().gpr[EDI] = 0x41004;
    f.s().gpr[ECX] = 100;
    f.code({0xf3, 0xa5, 0xf4});
    f.run();
    for (uint32_t k = 0; k <= 100; ++k)
        CHECK(f.peek<uint32_t>(0x20000 + 4 * k) == first);
}
