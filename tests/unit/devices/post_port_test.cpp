#include "devices/post_port.h"
#include "tests/unit/devices/legacy_io_fixture.h"

#include <doctest/doctest.h>

using namespace rr86;
using rr86::test::Bench;

TEST_CASE("post_port: keeps the last code and reports every write") {
    Bench b;
    PostPort p(b.ctx);
    std::vector<uint8_t> seen;
    p.on_code = [&](uint8_t v) { seen.push_back(v); };
    b.out8(0x80, 0x10);
    b.out8(0x80, 0x55);
    CHECK(p.last_code() == 0x55);
    CHECK(p.codes_written() == 2);
    CHECK(seen == std::vector<uint8_t>{0x10, 0x55});
    CHECK(b.in8(0x80) == 0xff); // nothing answers reads, as on the reference machine
    p.reset();
    CHECK(p.last_code() == 0x55);
}

TEST_CASE("post_port: a word write records only the byte at 80h; no sink is fine") {
    Bench b;
    PostPort p(b.ctx);
    b.out16(0x80, 0xaa11);
    CHECK(p.last_code() == 0x11);
    CHECK(p.codes_written() == 1);
}
