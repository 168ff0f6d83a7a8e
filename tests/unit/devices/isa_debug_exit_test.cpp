#include "devices/isa_debug_exit.h"
#include "tests/unit/devices/legacy_io_fixture.h"

#include <doctest/doctest.h>

using namespace rr86;
using rr86::test::Bench;

TEST_CASE("isa_debug_exit: writing v asks for exit status (v << 1) | 1") {
    Bench b;
    IsaDebugExit d(b.ctx);
    b.out8(0xf4, 0x00);
    b.out8(0xf4, 0x10);
    b.out32(0xf4, 0x31);
    b.out8(0xf7, 0x02); // anywhere in the 4-byte range
    CHECK(b.platform.exits == std::vector<int>{1, 0x21, 0x63, 5});
    CHECK(b.in8(0xf4) == 0x00);
    CHECK(b.in32(0xf4) == 0);
    b.out8(0xf8, 1); // outside the range
    CHECK(b.platform.exits.size() == 4);
}

TEST_CASE("isa_debug_exit: configurable range and host-side validation") {
    Bench b;
    IsaDebugExit d(b.ctx, 0x501, 2);
    b.out16(0x501, 0x0102);
    CHECK(b.platform.exits == std::vector<int>{0x0205});
    CHECK_FALSE(IsaDebugExit::check_config(0xf4, 4).has_value());
    CHECK(IsaDebugExit::check_config(0xf4, 0).value() == "isa-debug-exit: iosize must not be 0");
    CHECK(IsaDebugExit::check_config(0xfffe, 4).has_value());
}
