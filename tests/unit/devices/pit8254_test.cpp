#include "devices/pit8254.h"
#include "tests/unit/devices/legacy_io_fixture.h"

#include <doctest/doctest.h>

#include <limits>
#include <random>

using namespace rr86;
using rr86::test::Bench;

namespace {

struct PitBench : Bench {
    Pit8254 pit{ctx};
    static uint64_t tick_ns(uint64_t tick) { return Pit8254::ns_of_tick(tick); }
    uint64_t tick() const { return Pit8254::ticks_at(now()); }
    void run_to_tick(uint64_t t) { run_until(tick_ns(t)); }
    uint16_t readback_count(unsigned ch) {
        out8(0x43, uint8_t(0xc0 | 0x10 | (2u << ch))); // read-back: latch count only
        uint8_t lo = in8(uint16_t(0x40 + ch));
        return uint16_t(lo | in8(uint16_t(0x40 + ch)) << 8);
    }
    uint8_t readback_status(unsigned ch) {
        out8(0x43, uint8_t(0xc0 | 0x20 | (2u << ch))); // read-back: latch status only
        return in8(uint16_t(0x40 + ch));
    }
    // Programs `ch` with a two-byte count; returns the tick at which the count is loaded.
    uint64_t program(unsigned ch, unsigned mode, uint16_t count, bool bcd = false) {
        out8(0x43, uint8_t(ch << 6 | 0x30 | mode << 1 | (bcd ? 1 : 0)));
        out8(uint16_t(0x40 + ch), uint8_t(count));
        out8(uint16_t(0x40 + ch), uint8_t(count >> 8));
        return tick() + 1;
    }
};

} // namespace

TEST_CASE("pit8254: tick arithmetic is exact at 1.193182 MHz") {
    CHECK(Pit8254::ticks_at(1000000000) == 1193182);
    CHECK(Pit8254::ns_of_tick(1193182) == 1000000000);
    for (uint64_t t : {1ull, 2ull, 65536ull, 123456789ull, 1ull << 40}) {
        uint64_t ns = Pit8254::ns_of_tick(t);
        CHECK(Pit8254::ticks_at(ns) == t);
        CHECK(Pit8254::ticks_at(ns - 1) == t - 1);
    }
}

TEST_CASE("pit8254: SeaBIOS pit_setup gives IRQ0 edges every 65536 ticks, exactly") {
    PitBench b;
    b.run_until(1000); // not on a tick boundary
    uint64_t base = b.program(0, 2, 0);
    b.irq.clear();
    b.run_to_tick(base + 3 * 65536);
    std::vector<uint64_t> expect_rises = {b.tick_ns(base + 65536), b.tick_ns(base + 2 * 65536),
                                          b.tick_ns(base + 3 * 65536)};
    CHECK(b.irq.rises(0) == expect_rises);
    // OUT is low for exactly the one CLK at count 1.
    CHECK(b.irq.falls(0).at(0) == b.tick_ns(base + 65535));
    b.run_until(b.tick_ns(base + 4 * 65536 - 1) - 1);
    CHECK(b.irq.level(0));
    b.run_until(b.tick_ns(base + 4 * 65536 - 1));
    CHECK_FALSE(b.irq.level(0));
}

TEST_CASE("pit8254: counter read back (SeaBIOS timer_read) follows virtual time") {
    PitBench b;
    uint64_t base = b.program(0, 2, 0);
    for (uint64_t d : {0ull, 1ull, 2ull, 1000ull, 65535ull, 65536ull, 70000ull}) {
        b.run_to_tick(base + d);
        uint16_t expect = uint16_t(65536 - d % 65536);
        CHECK(b.readback_count(0) == expect);
        CHECK(b.pit.counter(0) == expect);
    }
}

TEST_CASE("pit8254: the count loads on the CLK edge after the write (null count)") {
    PitBench b;
    b.run_until(5000);
    b.out8(0x43, 0x34);
    CHECK(b.readback_status(0) == (0x80 | 0x40 | 0x34)); // OUT high, null count, rw 3, mode 2
    b.out8(0x40, 0x10);
    b.out8(0x40, 0x00);
    uint64_t base = b.tick() + 1;
    CHECK((b.readback_status(0) & 0x40) == 0x40);
    b.run_to_tick(base);
    CHECK((b.readback_status(0) & 0x40) == 0);
    CHECK(b.pit.counter(0) == 0x10);
}

TEST_CASE("pit8254: TSC calibration sequence on channel 2 (mode 0 via port 61h)") {
    PitBench b;
    b.run_until(777);
    uint8_t orig = b.in8(0x61);
    CHECK((orig & 0x03) == 0);
    b.out8(0x61, uint8_t((orig & ~0x02) | 0x01)); // gate on, speaker off
    uint64_t base = b.program(2, 0, 0x800);
    CHECK((b.in8(0x61) & 0x20) == 0);
    b.run_until(b.tick_ns(base + 0x800) - 1);
    CHECK((b.in8(0x61) & 0x20) == 0);
    b.run_until(b.tick_ns(base + 0x800));
    CHECK((b.in8(0x61) & 0x20) == 0x20);
    CHECK(b.pit.counter(2) == 0);
    b.advance(1000000);
    CHECK((b.in8(0x61) & 0x20) == 0x20); // mode 0 OUT stays high; the counter wraps on
    b.out8(0x61, orig);
    CHECK((b.in8(0x61) & 0x01) == 0);
}

TEST_CASE("pit8254: mode 3 square wave, even and odd counts") {
    PitBench b;
    uint64_t base = b.program(0, 3, 5);
    b.irq.clear();
    b.run_to_tick(base + 10);
    CHECK(b.irq.rises(0) == std::vector<uint64_t>{b.tick_ns(base + 5), b.tick_ns(base + 10)});
    CHECK(b.irq.falls(0) == std::vector<uint64_t>{b.tick_ns(base + 3), b.tick_ns(base + 8)});
    // Odd count: 5, 4, 2 while high; 5, 2 while low (8254 mode 3 odd-count rule).
    const uint16_t odd[] = {5, 4, 2, 5, 2};
    for (unsigned d = 0; d < 5; ++d) {
        b.run_to_tick(base + 10 + d);
        CHECK(b.pit.counter(0) == odd[d]);
    }
    base = b.program(0, 3, 4);
    const uint16_t even[] = {4, 2, 4, 2};
    for (unsigned d = 0; d < 4; ++d) {
        b.run_to_tick(base + d);
        CHECK(b.pit.counter(0) == even[d]);
        CHECK(b.pit.out(0) == (d < 2));
    }
}

TEST_CASE("pit8254: mode 2 count written while counting applies at the end of the period") {
    PitBench b;
    uint64_t base = b.program(0, 2, 100);
    b.run_to_tick(base + 30);
    b.out8(0x40, 50);
    b.out8(0x40, 0);
    CHECK((b.readback_status(0) & 0x40) == 0x40); // null count until the reload
    b.irq.clear();
    b.run_to_tick(base + 200);
    CHECK(b.irq.rises(0) == std::vector<uint64_t>{b.tick_ns(base + 100), b.tick_ns(base + 150),
                                                  b.tick_ns(base + 200)});
    CHECK((b.readback_status(0) & 0x40) == 0);
}

TEST_CASE("pit8254: mode 3 count written while counting applies at the half-cycle") {
    PitBench b;
    uint64_t base = b.program(0, 3, 100);
    b.run_to_tick(base + 10);
    b.out8(0x40, 20);
    b.out8(0x40, 0);
    b.irq.clear();
    b.run_to_tick(base + 50 + 10 + 20);
    // Falls at the old half-cycle (base+50), then the new count runs its low half (10 ticks).
    CHECK(b.irq.falls(0).at(0) == b.tick_ns(base + 50));
    CHECK(b.irq.rises(0).at(0) == b.tick_ns(base + 60));
    CHECK(b.irq.falls(0).at(1) == b.tick_ns(base + 70));
    CHECK(b.irq.rises(0).at(1) == b.tick_ns(base + 80));
}

TEST_CASE("pit8254: counter latch holds the value until both bytes are read") {
    PitBench b;
    uint64_t base = b.program(0, 2, 1000);
    b.run_to_tick(base + 10);
    b.out8(0x43, 0x00); // latch channel 0
    b.run_to_tick(base + 500);
    b.out8(0x43, 0x00); // ignored: already latched
    CHECK(b.in8(0x40) == uint8_t(990));
    b.run_to_tick(base + 600);
    CHECK(b.in8(0x40) == uint8_t(990 >> 8));
    uint8_t lo = b.in8(0x40);
    CHECK(uint16_t(lo | b.in8(0x40) << 8) == 400); // live again
}

TEST_CASE("pit8254: read-back of status and count together returns status first") {
    PitBench b;
    uint64_t base = b.program(1, 2, 300);
    b.run_to_tick(base + 7);
    b.out8(0x43, 0xc4); // read-back counter 1, count and status
    CHECK(b.in8(0x41) == (0x80 | 0x34 | 0x40 * 0));
    CHECK(b.in8(0x41) == uint8_t(293));
    CHECK(b.in8(0x41) == uint8_t(293 >> 8));
}

TEST_CASE("pit8254: lsb-only and msb-only access") {
    PitBench b;
    b.out8(0x43, 0x14); // ch0, lsb only, mode 2
    b.out8(0x40, 0x80);
    uint64_t base = b.tick() + 1;
    b.run_to_tick(base + 0x10);
    CHECK(b.in8(0x40) == 0x70);
    CHECK(b.in8(0x40) == 0x70); // no flip-flop: lsb every time
    b.out8(0x43, 0x24);         // msb only
    b.out8(0x40, 0x02);
    base = b.tick() + 1;
    b.run_to_tick(base + 1);
    CHECK(b.pit.counter(0) == 0x1ff);
    CHECK(b.in8(0x40) == 0x01);
}

TEST_CASE("pit8254: BCD counting") {
    PitBench b;
    uint64_t base = b.program(0, 2, 0x0100, true); // 100 decimal
    b.run_to_tick(base + 1);
    CHECK(b.pit.counter(0) == 0x0099);
    b.run_to_tick(base + 37);
    CHECK(b.pit.counter(0) == 0x0063);
    b.irq.clear();
    b.run_to_tick(base + 100);
    CHECK(b.irq.rises(0) == std::vector<uint64_t>{b.tick_ns(base + 100)});
    base = b.program(0, 0, 0x0000, true); // 0 = 10000 in BCD
    b.run_to_tick(base + 1);
    CHECK(b.pit.counter(0) == 0x9999);
}

TEST_CASE("pit8254: GATE on channel 2 in mode 2 stops, forces OUT high, reloads on rise") {
    PitBench b;
    b.out8(0x61, 0x01);
    uint64_t base = b.program(2, 2, 10);
    b.run_to_tick(base + 25);
    CHECK(b.pit.counter(2) == 5);
    b.out8(0x61, 0x00);
    b.run_to_tick(base + 40);
    CHECK(b.pit.counter(2) == 5);
    CHECK((b.in8(0x61) & 0x20) == 0x20);
    b.out8(0x61, 0x01);
    uint64_t restart = b.tick() + 1;
    b.run_to_tick(restart + 3);
    CHECK(b.pit.counter(2) == 7);
    b.run_to_tick(restart + 9);
    CHECK_FALSE(b.pit.out(2));
}

TEST_CASE("pit8254: GATE low suspends mode 0 counting") {
    PitBench b;
    b.out8(0x61, 0x01);
    uint64_t base = b.program(2, 0, 100);
    b.run_to_tick(base + 40);
    b.out8(0x61, 0x00);
    b.run_to_tick(base + 1000);
    CHECK(b.pit.counter(2) == 60);
    CHECK_FALSE(b.pit.out(2));
    b.out8(0x61, 0x01);
    uint64_t resume = b.tick() + 1;
    b.run_to_tick(resume + 59);
    CHECK_FALSE(b.pit.out(2));
    b.run_to_tick(resume + 60);
    CHECK(b.pit.out(2));
}

TEST_CASE("pit8254: mode 1 one-shot and mode 5 strobe are triggered by GATE") {
    PitBench b;
    b.program(2, 1, 20);
    b.advance(100000);
    CHECK(b.pit.out(2)); // waiting for a trigger
    b.out8(0x61, 0x01);
    uint64_t trig = b.tick() + 1;
    b.run_to_tick(trig);
    CHECK_FALSE(b.pit.out(2));
    b.run_to_tick(trig + 19);
    CHECK_FALSE(b.pit.out(2));
    b.run_to_tick(trig + 20);
    CHECK(b.pit.out(2));

    b.out8(0x61, 0x00);
    b.program(2, 5, 10);
    b.out8(0x61, 0x01);
    trig = b.tick() + 1;
    b.run_to_tick(trig + 9);
    CHECK(b.pit.out(2));
    b.run_to_tick(trig + 10);
    CHECK_FALSE(b.pit.out(2));
    b.run_to_tick(trig + 11);
    CHECK(b.pit.out(2));
}

TEST_CASE("pit8254: mode 4 strobe on channel 0 raises IRQ0 once") {
    PitBench b;
    uint64_t base = b.program(0, 4, 10);
    b.irq.clear();
    b.run_to_tick(base + 100000);
    CHECK(b.irq.falls(0) == std::vector<uint64_t>{b.tick_ns(base + 10)});
    CHECK(b.irq.rises(0) == std::vector<uint64_t>{b.tick_ns(base + 11)});
}

TEST_CASE("pit8254: port 61h refresh toggle runs on virtual time") {
    PitBench b;
    b.run_until(b.tick_ns(18) - 1);
    CHECK((b.in8(0x61) & 0x10) == 0);
    b.run_until(b.tick_ns(18));
    CHECK((b.in8(0x61) & 0x10) == 0x10);
    b.run_until(b.tick_ns(36));
    CHECK((b.in8(0x61) & 0x10) == 0);
    // Only bits 0-3 are writable.
    b.out8(0x61, 0xff);
    CHECK((b.in8(0x61) & 0xcf) == 0x0f);
    CHECK(b.pit.speaker_enabled());
}

TEST_CASE("pit8254: power-on state runs channel 0 in mode 3") {
    PitBench b;
    CHECK(b.pit.mode(0) == 3);
    b.irq.clear();
    b.run_to_tick(1 + 65536);
    CHECK(b.irq.rises(0) == std::vector<uint64_t>{b.tick_ns(1 + 65536)});
}

TEST_CASE("pit8254: bad guest input has defined results") {
    PitBench b;
    CHECK(b.in8(0x43) == 0xff); // control register is write-only
    // Mode 2 with the illegal count 1: OUT stays high and no timer storm is scheduled.
    b.program(0, 2, 1);
    b.irq.clear();
    b.advance(10000000);
    CHECK(b.irq.log.empty());
    CHECK(b.clock.next_deadline_icount() == std::numeric_limits<uint64_t>::max());
    // Modes 6 and 7 behave as 2 and 3 but report as programmed.
    b.out8(0x43, 0x3e); // ch0, word, mode 7
    CHECK((b.readback_status(0) & 0x0e) == 0x0e);
    // Reading a channel that never got a count returns a stable value.
    b.out8(0x43, 0x70); // ch1, word, mode 0, no count
    uint8_t lo = b.in8(0x41);
    uint16_t first = uint16_t(lo | b.in8(0x41) << 8);
    b.advance(5000000);
    lo = b.in8(0x41);
    CHECK(uint16_t(lo | b.in8(0x41) << 8) == first);
    // A lone first byte of a two-byte count leaves the channel waiting, then the pair works.
    b.out8(0x43, 0x30);
    b.out8(0x40, 0x34);
    b.advance(1000);
    b.out8(0x40, 0x12);
    uint64_t base = b.tick() + 1;
    b.run_to_tick(base + 2);
    CHECK(b.pit.counter(0) == 0x1232);
}

TEST_CASE("pit8254: random guest programming keeps IRQ0 equal to channel 0 OUT") {
    PitBench b;
    std::mt19937 rng(99);
    const uint16_t ports[] = {0x40, 0x41, 0x42, 0x43, 0x61};
    for (int i = 0; i < 20000; ++i) {
        uint32_t r = rng();
        switch (r % 4) {
        case 0: b.out8(ports[(r >> 8) % 5], uint8_t(r >> 16)); break;
        case 1: b.in8(ports[(r >> 8) % 5]); break;
        default: b.advance((r >> 8) % 5000); break;
        }
        REQUIRE(b.irq.level(0) == b.pit.out(0));
    }
}
