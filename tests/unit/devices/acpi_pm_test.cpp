#include "devices/acpi_pm.h"
#include "tests/unit/devices/legacy_io_fixture.h"

#include <doctest/doctest.h>

#include <random>

using namespace rr86;
using rr86::test::Bench;

namespace {

constexpr uint64_t kSec = 1000000000;

uint64_t pm_tick_ns(uint64_t tick) {
    return uint64_t(((unsigned __int128)tick * kSec + AcpiPm::kTimerHz - 1) / AcpiPm::kTimerHz);
}

struct PmBench : Bench {
    AcpiPm pm{ctx};
    // What SeaBIOS's piix4_pm_setup() does through the PCI function: PMBASE = 0xb000 | 1,
    // PMREGMISC = 1. The PCI model forwards both here.
    void seabios_setup(uint16_t base = 0xb000) {
        pm.set_pm_base(uint16_t(base | 1));
        pm.set_enabled(true);
    }
};

} // namespace

TEST_CASE("acpi_pm: nothing is decoded until the PCI function enables the block") {
    PmBench b;
    CHECK(b.in32(0xb008) == 0xffffffff);
    b.pm.set_pm_base(0xb001);
    CHECK(b.pm.pm_base() == 0xb000);
    CHECK(b.in32(0xb008) == 0xffffffff);
    b.pm.set_enabled(true);
    CHECK(b.in32(0xb008) == 0);
}

TEST_CASE("acpi_pm: PM timer counts 3.579545 MHz from virtual time, 24 bits") {
    PmBench b;
    b.seabios_setup();
    b.run_until(kSec);
    CHECK(b.in32(0xb008) == 3579545);
    b.run_until(10 * kSec);
    CHECK(b.in32(0xb008) == (35795450u & 0xffffff));
    b.run_until(pm_tick_ns(0x3234567) - 1);
    CHECK(b.in32(0xb008) == 0x234566);
    b.run_until(pm_tick_ns(0x3234567));
    CHECK(b.in32(0xb008) == 0x234567);
    CHECK(b.in16(0xb008) == 0x4567);
    CHECK(b.in8(0xb00a) == 0x23);
    CHECK(b.in8(0xb00b) == 0x00);
    b.out32(0xb008, 0); // read-only
    CHECK(b.in32(0xb008) == 0x234567);
}

TEST_CASE("acpi_pm: SeaBIOS-style delay loop sees exact, monotonic time") {
    PmBench b;
    b.seabios_setup();
    // udelay(50) at TimerKHz = 3580: wait for 179 ticks (timer_calc_usec rounds up).
    uint32_t start = b.in32(0xb008);
    uint32_t end = start + (50 * 3580 + 999) / 1000;
    uint64_t spins = 0;
    while (int32_t(b.in32(0xb008) - end) <= 0) {
        b.advance(100); // 100 ns per poll iteration
        ++spins;
    }
    // timer_check() ends one tick after `end`: 180 ticks = 50.286 us, plus one poll.
    CHECK(b.now() >= pm_tick_ns(180));
    CHECK(b.now() < pm_tick_ns(180) + 100);
    CHECK(spins > 0);
}

TEST_CASE("acpi_pm: TMR_STS on bit 23 changes, SCI on IRQ 9 when enabled") {
    PmBench b;
    b.seabios_setup();
    uint64_t half = pm_tick_ns(1u << 23);
    b.run_until(half - 1);
    CHECK((b.in16(0xb000) & AcpiPm::kTmrSts) == 0);
    b.run_until(half);
    CHECK((b.in16(0xb000) & AcpiPm::kTmrSts) == AcpiPm::kTmrSts);
    b.out16(0xb000, AcpiPm::kTmrSts); // write 1 to clear
    CHECK(b.in16(0xb000) == 0);
    b.out16(0xb002, AcpiPm::kTmrSts); // TMR_EN
    CHECK(b.in16(0xb002) == 0x0001);
    b.irq.clear();
    b.run_until(3 * half);
    CHECK(b.irq.rises(9) == std::vector<uint64_t>{pm_tick_ns(2u << 23)});
    CHECK(b.pm.sci_level());
    b.out16(0xb000, 0xffff);
    CHECK_FALSE(b.irq.level(9));
    b.run_until(pm_tick_ns(4u << 23));
    CHECK(b.irq.level(9));
    b.out16(0xb002, 0); // disabling the source drops SCI
    CHECK_FALSE(b.irq.level(9));
}

TEST_CASE("acpi_pm: PM1 control: SCI_EN stored, SLP_EN reads 0, S5 shuts down") {
    PmBench b;
    b.seabios_setup();
    b.out16(0xb004, 0x0001);
    CHECK(b.in16(0xb004) == 0x0001);
    b.out16(0xb004, 0x2000 | (5 << 10) | 1); // SLP_TYP 5: not supported, ignored
    CHECK(b.platform.shutdowns == 0);
    CHECK(b.in16(0xb004) == ((5 << 10) | 1));
    b.out16(0xb004, 0x2001); // SLP_TYP 0 = S5 in QEMU's DSDT (SeaBIOS apm_shutdown)
    CHECK(b.platform.shutdowns == 1);
    CHECK(b.in16(0xb004) == 0x0001);
    b.out8(0xb005, 0x20); // byte write of the high half: SLP_TYP 0 again
    CHECK(b.platform.shutdowns == 2);
}

TEST_CASE("acpi_pm: power button event") {
    PmBench b;
    b.seabios_setup();
    b.pm.press_power_button();
    CHECK(b.in16(0xb000) == AcpiPm::kPwrBtnSts);
    CHECK_FALSE(b.irq.level(9));
    b.out16(0xb002, AcpiPm::kPwrBtnSts);
    CHECK(b.irq.level(9));
    b.out8(0xb001, 0x01); // clear through the high byte
    CHECK(b.in16(0xb000) == 0);
    CHECK_FALSE(b.irq.level(9));
}

TEST_CASE("acpi_pm: re-basing and disabling move and release the ports") {
    PmBench b;
    b.seabios_setup();
    b.pm.set_pm_base(0x0600); // SeaBIOS with QEMU's ACPI tables moves PMBASE to 0x600
    CHECK(b.in32(0xb008) == 0xffffffff);
    CHECK(b.io.owner(0x0608) == &b.pm);
    b.pm.set_enabled(false);
    CHECK(b.io.owner(0x0608) == nullptr);
    CHECK(b.io.owner(0x0600) == nullptr);
}

TEST_CASE("acpi_pm: a block over another device's ports leaves them alone") {
    PmBench b;
    struct Other : PortHandler {
    } other;
    b.io.claim(0x0060, 1, &other);
    b.seabios_setup(0x0040);
    CHECK(b.io.owner(0x0060) == &other);
    CHECK(b.io.owner(0x0048) == &b.pm);
    b.pm.set_enabled(false);
    CHECK(b.io.owner(0x0060) == &other);
}

TEST_CASE("acpi_pm: reset returns to the power-on state; the timer keeps running") {
    PmBench b;
    b.seabios_setup();
    b.out16(0xb002, 0x0121);
    b.out16(0xb004, 0x0001);
    b.run_until(kSec);
    b.pm.reset();
    CHECK_FALSE(b.pm.enabled());
    CHECK(b.pm.pm_base() == 0);
    CHECK(b.io.owner(0xb008) == nullptr);
    b.seabios_setup();
    CHECK(b.in16(0xb002) == 0);
    CHECK(b.in16(0xb004) == 0);
    CHECK(b.in32(0xb008) == 3579545);
}

TEST_CASE("acpi_pm: bad guest input has defined results") {
    PmBench b;
    b.seabios_setup();
    CHECK(b.in8(0xb006) == 0xff);        // not decoded
    CHECK(b.in32(0xb004) == 0xffff0000); // CNT plus two undecoded bytes
    b.out32(0xb000, 0xffffffff);         // STS and EN in one write
    CHECK(b.in16(0xb002) == 0xffff);
    b.out16(0xb002, 0);
    std::mt19937 rng(5);
    for (int i = 0; i < 5000; ++i) {
        uint32_t r = rng();
        uint16_t port = uint16_t(0xb000 + (r >> 8) % 12);
        unsigned size = 1u << ((r >> 16) % 3);
        uint32_t value = r & 0xdfff; // never SLP_EN: keep the machine "on"
        if (r & 1)
            b.io.write(port, size, value);
        else
            b.io.read(port, size);
        b.advance(r % 100000);
        REQUIRE(b.irq.level(9) == b.pm.sci_level());
    }
}
