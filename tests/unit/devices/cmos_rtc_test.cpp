#include "devices/cmos_rtc.h"
#include "tests/unit/devices/legacy_io_fixture.h"

#include <doctest/doctest.h>

#include <random>

using namespace rr86;
using rr86::test::Bench;

namespace {

constexpr int64_t kStart = 1700000000; // 2023-11-14 22:13:20 UTC, a Tuesday
constexpr uint64_t kSec = 1000000000;

struct RtcBench : Bench {
    CmosRtc rtc{ctx, kStart};
    // SeaBIOS src/hw/rtc.c rtc_read/rtc_write (NMI disabled while accessing).
    uint8_t read(uint8_t index) {
        out8(0x70, uint8_t(index | 0x80));
        return in8(0x71);
    }
    void write(uint8_t index, uint8_t value) {
        out8(0x70, uint8_t(index | 0x80));
        out8(0x71, value);
    }
    // SeaBIOS rtc_setup().
    void seabios_setup() {
        write(0x0a, 0x26);
        out8(0x70, 0x0b); // rtc_mask() uses the bare index
        uint8_t b = in8(0x71);
        out8(0x71, uint8_t((b & 0x01) | 0x02));
        read(0x0c);
        read(0x0d);
    }
};

} // namespace

TEST_CASE("cmos_rtc: the start date shows in BCD, 24-hour mode") {
    RtcBench b;
    b.seabios_setup();
    CHECK(b.read(0x00) == 0x20);
    CHECK(b.read(0x02) == 0x13);
    CHECK(b.read(0x04) == 0x22);
    CHECK(b.read(0x06) == 0x03); // Tuesday (Sunday = 1)
    CHECK(b.read(0x07) == 0x14);
    CHECK(b.read(0x08) == 0x11);
    CHECK(b.read(0x09) == 0x23);
    CHECK(b.read(0x32) == 0x20);
    CHECK(b.read(0x0b) == 0x02);
    CHECK(b.read(0x0d) == 0x80);
    CHECK(b.rtc.clock_seconds() == kStart);
}

TEST_CASE("cmos_rtc: time advances with virtual time only, across day and year") {
    RtcBench b;
    b.run_until(kSec - 1);
    CHECK(b.read(0x00) == 0x20);
    b.run_until(kSec);
    CHECK(b.read(0x00) == 0x21);
    // 2023-11-14 22:13:20 + 48 days 1:46:40 = 2024-01-01 00:00:00 (a Monday).
    b.run_until(uint64_t(1704067200 - kStart) * kSec);
    CHECK(b.read(0x09) == 0x24);
    CHECK(b.read(0x08) == 0x01);
    CHECK(b.read(0x07) == 0x01);
    CHECK(b.read(0x04) == 0x00);
    CHECK(b.read(0x06) == 0x02);
}

TEST_CASE("cmos_rtc: binary and 12-hour modes") {
    RtcBench b;
    b.write(0x0b, 0x04);                // binary, 12-hour
    CHECK(b.read(0x04) == (0x80 | 10)); // 22h = 10 PM
    CHECK(b.read(0x00) == 20);
    CHECK(b.read(0x09) == 23);
    b.write(0x0b, 0x00); // BCD, 12-hour
    CHECK(b.read(0x04) == 0x90);
    b.write(0x04, 0x12); // 12 AM = midnight
    b.write(0x0b, 0x02);
    CHECK(b.read(0x04) == 0x00);
}

TEST_CASE("cmos_rtc: index port carries the NMI mask; index reads as FFh") {
    RtcBench b;
    b.out8(0x70, 0x8f);
    CHECK(b.rtc.nmi_masked());
    CHECK(b.rtc.index() == 0x0f);
    b.out8(0x70, 0x0f);
    CHECK_FALSE(b.rtc.nmi_masked());
    CHECK(b.in8(0x70) == 0xff);
    b.out8(0x71, 0x0a); // shutdown status byte is plain storage
    CHECK(b.in8(0x71) == 0x0a);
}

TEST_CASE("cmos_rtc: UIP is set for the 244 us before each update") {
    RtcBench b;
    b.run_until(3 * kSec - 244142);
    CHECK((b.read(0x0a) & 0x80) == 0);
    b.run_until(3 * kSec - 244141);
    CHECK((b.read(0x0a) & 0x80) == 0x80);
    CHECK(b.read(0x00) == 0x22);
    b.run_until(3 * kSec);
    CHECK((b.read(0x0a) & 0x80) == 0);
    CHECK(b.read(0x00) == 0x23);
    b.write(0x0a, 0xa6); // UIP is read-only
    CHECK(b.read(0x0a) == 0x26);
}

TEST_CASE("cmos_rtc: periodic interrupt at 1024 Hz on IRQ 8, cleared by reading C") {
    RtcBench b;
    b.seabios_setup();
    b.irq.clear();
    b.write(0x0b, 0x42); // PIE (SeaBIOS rtc_use())
    b.run_until(5000000);
    // 976.5625 us period; the first tick rounds up to the next ns.
    CHECK(b.irq.rises(8) == std::vector<uint64_t>{976563});
    CHECK(b.irq.level(8));
    uint8_t c = b.read(0x0c);
    CHECK((c & 0xc0) == 0xc0);
    CHECK_FALSE(b.irq.level(8));
    b.irq.clear();
    b.run_until(5000000 + 976563);
    CHECK(b.irq.rises(8) == std::vector<uint64_t>{5859375}); // 6 * 976562.5
    b.read(0x0c);
    b.write(0x0b, 0x02); // rtc_release()
    b.irq.clear();
    b.advance(10000000);
    CHECK(b.irq.rises(8).empty());
    CHECK((b.read(0x0c) & 0xc0) == 0x40); // PF still counts, without IRQF
}

TEST_CASE("cmos_rtc: periodic rate select table") {
    RtcBench b;
    struct Rate {
        uint8_t rs;
        uint64_t first_ns;
    };
    // RS 3 = 122.070 us, 15 = 500 ms, 1 aliases 8 (3.90625 ms).
    for (Rate r : {Rate{3, 122071}, Rate{15, 500000000}, Rate{1, 3906250}, Rate{8, 3906250}}) {
        RtcBench t;
        t.write(0x0a, uint8_t(0x20 | r.rs));
        t.write(0x0b, 0x42);
        t.run_until(r.first_ns);
        CHECK(t.irq.rises(8) == std::vector<uint64_t>{r.first_ns});
    }
    b.write(0x0a, 0x20); // RS 0: no periodic interrupt
    b.write(0x0b, 0x42);
    b.advance(kSec / 2);
    CHECK(b.irq.rises(8).empty());
}

TEST_CASE("cmos_rtc: update-ended interrupt once per second") {
    RtcBench b;
    b.write(0x0a, 0x20);
    b.write(0x0b, 0x12); // UIE
    b.run_until(kSec);
    CHECK(b.irq.rises(8) == std::vector<uint64_t>{kSec});
    CHECK(b.read(0x0c) == 0x90);
    b.run_until(2 * kSec);
    CHECK(b.irq.rises(8).back() == 2 * kSec);
}

TEST_CASE("cmos_rtc: alarm interrupt at the matching update, don't-care bytes") {
    RtcBench b;
    b.write(0x0a, 0x20);
    b.write(0x01, 0x25); // 22:13:25
    b.write(0x03, 0x13);
    b.write(0x05, 0x22);
    b.write(0x0b, 0x22); // AIE
    b.run_until(10 * kSec);
    CHECK(b.irq.rises(8) == std::vector<uint64_t>{5 * kSec});
    CHECK((b.read(0x0c) & 0xa0) == 0xa0);
    // Every second: all three alarm bytes "don't care".
    b.write(0x01, 0xc0);
    b.write(0x03, 0xff);
    b.write(0x05, 0xc0);
    b.irq.clear();
    b.run_until(11 * kSec);
    CHECK(b.irq.rises(8) == std::vector<uint64_t>{11 * kSec});
    // An alarm no time can match never fires.
    b.read(0x0c);
    b.write(0x01, 0x60);
    b.irq.clear();
    b.advance(3 * kSec);
    CHECK(b.irq.rises(8).empty());
    CHECK((b.read(0x0c) & 0x20) == 0);
}

TEST_CASE("cmos_rtc: SET freezes the clock; setting the time keeps the update grid") {
    RtcBench b;
    b.run_until(kSec / 4);
    b.write(0x0b, 0x82); // SET
    b.write(0x04, 0x05);
    b.write(0x02, 0x30);
    b.write(0x00, 0x00);
    b.advance(3 * kSec);
    CHECK(b.read(0x00) == 0x00);
    CHECK((b.read(0x0a) & 0x80) == 0); // no update cycles while SET
    b.write(0x0b, 0x02);
    CHECK(b.read(0x04) == 0x05);
    CHECK(b.read(0x02) == 0x30);
    b.run_until(4 * kSec - 1);
    CHECK(b.read(0x00) == 0x00);
    b.run_until(4 * kSec); // the next update is on the original one-second grid
    CHECK(b.read(0x00) == 0x01);
    CHECK(b.rtc.clock_seconds() % 86400 == 5 * 3600 + 30 * 60 + 1);
}

TEST_CASE("cmos_rtc: SET clears UIE") {
    RtcBench b;
    b.write(0x0b, 0x12);
    b.write(0x0b, 0x92);
    CHECK(b.read(0x0b) == 0x82);
}

TEST_CASE("cmos_rtc: divider reset holds the clock; the first update is 500 ms after release") {
    RtcBench b;
    b.run_until(kSec / 10);
    b.write(0x0a, 0x76); // DV = 111: divider reset
    b.advance(5 * kSec);
    CHECK(b.read(0x00) == 0x20);
    uint64_t release = b.now();
    b.write(0x0a, 0x26);
    b.run_until(release + kSec / 2 - 1);
    CHECK(b.read(0x00) == 0x20);
    b.run_until(release + kSec / 2);
    CHECK(b.read(0x00) == 0x21);
}

TEST_CASE("cmos_rtc: date, century and day-of-week writes") {
    RtcBench b;
    b.write(0x32, 0x19);
    CHECK(b.read(0x09) == 0x23);
    CHECK(b.read(0x32) == 0x19);
    b.write(0x09, 0x99);
    b.write(0x08, 0x12);
    b.write(0x07, 0x31);
    b.write(0x04, 0x23);
    b.write(0x02, 0x59);
    b.write(0x00, 0x59);
    b.write(0x06, 0x06); // the guest says Friday (it is one: 1999-12-31)
    CHECK(b.read(0x06) == 0x06);
    b.advance(kSec);
    CHECK(b.read(0x32) == 0x20);
    CHECK(b.read(0x09) == 0x00);
    CHECK(b.read(0x08) == 0x01);
    CHECK(b.read(0x07) == 0x01);
    CHECK(b.read(0x06) == 0x07);
    b.write(0x06, 0x01); // a wrong day of week is the guest's business and is kept
    b.advance(86400 * kSec);
    CHECK(b.read(0x06) == 0x02);
}

TEST_CASE("cmos_rtc: SeaBIOS memory-size bytes") {
    RtcBench b;
    b.rtc.set_memory_layout(128ull << 20, 0);
    CHECK(b.read(0x15) == 0x80);
    CHECK(b.read(0x16) == 0x02);
    CHECK((b.read(0x17) | b.read(0x18) << 8) == 0xffff); // 127 MiB in KiB: capped
    CHECK((b.read(0x30) | b.read(0x31) << 8) == 0xffff);
    CHECK((b.read(0x34) | b.read(0x35) << 8) == 112 * 16);
    b.rtc.set_memory_layout(32ull << 20, 0);
    CHECK((b.read(0x17) | b.read(0x18) << 8) == 31 * 1024);
    CHECK((b.read(0x30) | b.read(0x31) << 8) == 31 * 1024);
    CHECK((b.read(0x34) | b.read(0x35) << 8) == 16 * 16);
    CHECK(b.read(0x5b) == 0);
    b.rtc.set_memory_layout(3ull << 30, 1ull << 30);
    CHECK((b.read(0x17) | b.read(0x18) << 8) == 0xffff);
    CHECK((b.read(0x34) | b.read(0x35) << 8) == 0xbf00);
    CHECK((b.read(0x5b) | b.read(0x5c) << 8 | b.read(0x5d) << 16) == 0x4000);
    b.rtc.set_memory_layout(512 << 10, 0);
    CHECK((b.read(0x15) | b.read(0x16) << 8) == 512);
    CHECK((b.read(0x17) | b.read(0x18) << 8) == 0);
}

TEST_CASE("cmos_rtc: boot order, equipment and floppy bytes as QEMU sets them") {
    RtcBench b;
    CHECK(b.read(0x3d) == 0x12); // "cad": disk, floppy
    CHECK(b.read(0x38) == 0x30); // then CD; floppy signature check on
    CHECK(b.read(0x14) == 0x06);
    CHECK(b.read(0x10) == 0x00);
    CHECK_FALSE(b.rtc.set_boot_order("dc", false).has_value());
    CHECK(b.read(0x3d) == 0x23);
    CHECK(b.read(0x38) == 0x01);
    CHECK(b.rtc.set_boot_order("x", true).value() == "invalid boot device for pc: 'x'");
    CHECK(b.rtc.set_boot_order("cdna", true).has_value());
    b.rtc.set_byte(0x0a, 0x00); // register A is not RAM: ignored
    CHECK(b.read(0x0a) == 0x26);
}

TEST_CASE("cmos_rtc: reset clears interrupt enables and flags, keeps time and RAM") {
    RtcBench b;
    b.write(0x0b, 0x72);
    b.write(0x40, 0x5a);
    b.run_until(2 * kSec);
    CHECK(b.irq.level(8));
    b.rtc.reset();
    CHECK_FALSE(b.irq.level(8));
    CHECK(b.read(0x0b) == 0x02);
    CHECK(b.read(0x0c) == 0x00);
    CHECK(b.read(0x40) == 0x5a);
    CHECK(b.read(0x00) == 0x22);
}

TEST_CASE("cmos_rtc: bad guest input has defined results") {
    RtcBench b;
    b.write(0x0c, 0xff); // C and D are read-only
    b.write(0x0d, 0x00);
    CHECK(b.read(0x0c) == 0x00);
    CHECK(b.read(0x0d) == 0x80);
    // Garbage time values carry into the neighbours deterministically.
    b.write(0x08, 0x13); // month 13 -> January of the next year
    CHECK(b.read(0x08) == 0x01);
    CHECK(b.read(0x09) == 0x24);
    b.write(0x00, 0xff); // BCD FF = 165 s
    CHECK(b.read(0x00) == 0x45);
    b.write(0x07, 0x00); // day 0 -> last day of the previous month
    CHECK(b.read(0x07) == 0x31);
}

TEST_CASE("cmos_rtc: random guest writes keep IRQ 8 consistent") {
    RtcBench b;
    std::mt19937 rng(7);
    for (int i = 0; i < 5000; ++i) {
        uint32_t r = rng();
        switch (r % 4) {
        case 0: b.out8(0x70, uint8_t(r >> 8)); break;
        case 1: b.out8(0x71, uint8_t(r >> 16)); break;
        case 2: b.in8(0x71); break;
        default: b.advance((r >> 8) % 50000000); break;
        }
        REQUIRE(b.irq.level(8) == b.rtc.irq_level());
    }
}
