#include "devices/port92.h"
#include "tests/unit/devices/legacy_io_fixture.h"

#include <doctest/doctest.h>

using namespace rr86;
using rr86::test::Bench;

TEST_CASE("port92: bit 1 drives A20 and reads back the platform's A20 state") {
    Bench b;
    Port92 p(b.ctx);
    CHECK(b.in8(0x92) == 0x02); // the platform starts with A20 on
    b.out8(0x92, 0x00);
    CHECK(b.platform.a20_writes == std::vector<bool>{false});
    CHECK(b.in8(0x92) == 0x00);
    b.platform.set_a20(true); // e.g. through the i8042 output port
    CHECK(b.in8(0x92) == 0x02);
    b.out8(0x92, 0x02); // no change: no redundant request
    CHECK(b.platform.a20_writes.size() == 2);
    b.out8(0x92, 0xf2); // other bits are stored
    CHECK(b.in8(0x92) == 0xf2);
}

TEST_CASE("port92: fast reset on a 0->1 transition of bit 0 only") {
    Bench b;
    Port92 p(b.ctx);
    b.out8(0x92, 0x03);
    CHECK(b.platform.resets == std::vector<ResetSource>{ResetSource::Port92});
    b.out8(0x92, 0x03); // still 1: no new edge
    CHECK(b.platform.resets.size() == 1);
    CHECK(b.in8(0x92) == 0x03);
    p.reset(); // the machine carried the reset out
    CHECK(b.in8(0x92) == 0x02);
    b.out8(0x92, 0x03);
    CHECK(b.platform.resets.size() == 2);
    b.out8(0x92, 0x02);
    b.out8(0x92, 0x03);
    CHECK(b.platform.resets.size() == 3);
}

TEST_CASE("port92: wider accesses touch only port 92h") {
    Bench b;
    Port92 p(b.ctx);
    b.out16(0x92, 0x0100); // the high byte would be port 93h
    CHECK(b.platform.resets.empty());
    CHECK(b.in16(0x92) == 0xff00);
}
