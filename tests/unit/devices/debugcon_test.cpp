#include "devices/debugcon.h"
#include "tests/unit/devices/legacy_io_fixture.h"

#include <doctest/doctest.h>

#include <string>

using namespace rr86;
using rr86::test::Bench;

TEST_CASE("debugcon: bytes go to the sink; reads return E9h") {
    Bench b;
    DebugCon d(b.ctx);
    std::string log;
    d.sink = [&](uint8_t c) { log.push_back(char(c)); };
    CHECK(b.in8(0x402) == 0xe9); // SeaBIOS's presence check
    for (char c : std::string("SeaBIOS\n"))
        b.out8(0x402, uint8_t(c));
    CHECK(log == "SeaBIOS\n");
    b.out16(0x402, 0x4241); // only the byte at the port itself
    CHECK(log == "SeaBIOS\nA");
    CHECK(b.in8(0x403) == 0xff); // not claimed
}

TEST_CASE("debugcon: configurable port; no sink discards") {
    Bench b;
    DebugCon d(b.ctx, 0xe9);
    CHECK(d.iobase() == 0xe9);
    b.out8(0xe9, 'x');
    CHECK(b.in8(0xe9) == 0xe9);
    CHECK(b.in8(0x402) == 0xff);
}
