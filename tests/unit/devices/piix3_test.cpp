#include "devices/piix3.h"
#include "tests/unit/devices/legacy_io_fixture.h"

#include <doctest/doctest.h>

#include <utility>
#include <vector>

using namespace rr86;

namespace {

// PIIX3 alone at device 1 of bus 0.
struct SbEnv : test::Bench {
    PciBus bus{ctx};
    Piix3 sb{ctx, bus};
    std::vector<uint16_t> elcr_calls;
    std::vector<std::pair<uint16_t, bool>> pm_calls;

    SbEnv() {
        sb.on_elcr = [this](uint16_t m) { elcr_calls.push_back(m); };
        sb.on_pm_io = [this](uint16_t base, bool en) { pm_calls.emplace_back(base, en); };
    }
    uint32_t cfg_read(unsigned fn, unsigned reg, unsigned size) { return pci_read(1, fn, reg, size); }
    void cfg_write(unsigned fn, unsigned reg, unsigned size, uint32_t v) {
        pci_write(1, fn, reg, size, v);
    }
};

} // namespace

TEST_CASE("piix3: 0xCF9 requests a reset only when bit 2 is written (SeaBIOS 0x02, 0x06)") {
    SbEnv e;
    e.io.write(0xcf9, 1, 0x02);
    CHECK(e.platform.resets.empty());
    CHECK(e.io.read(0xcf9, 1) == 0x02);
    e.io.write(0xcf9, 1, 0x06);
    REQUIRE(e.platform.resets.size() == 1);
    CHECK(e.platform.resets[0] == ResetSource::Cf9);
    CHECK(e.io.read(0xcf9, 1) == 0x02); // RCPU does not read back
    e.io.write(0xcf9, 1, 0x00);
    e.io.write(0xcf9, 1, 0xfb); // every bit but RCPU
    CHECK(e.platform.resets.size() == 1);
    e.io.write(0xcf9, 1, 0x04); // soft reset type
    CHECK(e.platform.resets.size() == 2);
    e.sb.reset();
    CHECK(e.io.read(0xcf9, 1) == 0x00);
}

TEST_CASE("piix3: 0xCF9 is a byte port; CONFIG_ADDRESS dwords do not touch it") {
    SbEnv e;
    e.io.write(0xcf8, 4, 0x80000000 | 0x400); // a full dword at 0xCF8, bit 10 set
    CHECK(e.platform.resets.empty());
    e.io.write(0xcf8, 2, 0x0600); // a word cycle covering 0xCF8-0xCF9 reaches RC
    CHECK(e.platform.resets.size() == 1);
    CHECK(e.io.read(0xcf8, 4) == 0x80000400);
}

TEST_CASE("piix3: ELCR masks the always-edge IRQs and forwards the mask") {
    SbEnv e;
    e.io.write(0x4d0, 1, 0xff);
    e.io.write(0x4d1, 1, 0xff);
    CHECK(e.io.read(0x4d0, 1) == 0xf8);
    CHECK(e.io.read(0x4d1, 1) == 0xde);
    REQUIRE(e.elcr_calls.size() == 2);
    CHECK(e.elcr_calls[1] == 0xdef8);
    // SeaBIOS's piix_isa_bridge_setup: IRQ 10 and 11 level-triggered.
    e.io.write(0x4d0, 1, 0x00);
    e.io.write(0x4d1, 1, 0x0c);
    CHECK(e.elcr_calls.back() == 0x0c00);
    CHECK(e.sb.elcr() == 0x0c00);
    CHECK(e.io.read(0x4d0, 2) == 0x0c00);
    e.sb.reset();
    CHECK(e.elcr_calls.back() == 0);
    CHECK(e.io.read(0x4d1, 1) == 0);
}

TEST_CASE("piix3: PIRQ routing registers") {
    SbEnv e;
    for (unsigned i = 0; i < 4; ++i)
        CHECK(e.sb.pirq_route(i) == -1);
    CHECK(e.cfg_read(0, 0x60, 4) == 0x80808080);
    e.cfg_write(0, 0x60, 1, 10);
    e.cfg_write(0, 0x61, 1, 10);
    e.cfg_write(0, 0x62, 1, 11);
    e.cfg_write(0, 0x63, 1, 0x7b); // reserved bits 6:4 read 0
    CHECK(e.cfg_read(0, 0x60, 4) == 0x0b0b0a0a);
    CHECK(e.sb.pirq_route(0) == 10);
    CHECK(e.sb.pirq_route(2) == 11);
    CHECK(e.sb.pirq_route(3) == 11);
    e.cfg_write(0, 0x61, 1, 13); // IRQ 13 is not a valid target
    CHECK(e.sb.pirq_route(1) == -1);
    e.cfg_write(0, 0x62, 1, 0x8b); // routing disabled
    CHECK(e.sb.pirq_route(2) == -1);
    CHECK(e.sb.pirq_route(7) == -1);
    e.sb.reset();
    CHECK(e.cfg_read(0, 0x60, 4) == 0x80808080);
}

TEST_CASE("piix3: PM function forwards PMBASE and the PM I/O enable") {
    SbEnv e;
    CHECK(e.cfg_read(3, 0x40, 4) == 0x00000001);
    CHECK(e.cfg_read(3, 0x3d, 1) == 1);
    // SeaBIOS piix4_pm_config_setup: PMBASE 0xB000 | 1, then PMREGMISC = 1.
    e.cfg_write(3, 0x40, 4, 0xb001);
    REQUIRE(e.pm_calls.size() == 1);
    CHECK(e.pm_calls[0] == std::make_pair(uint16_t(0xb000), false));
    e.cfg_write(3, 0x80, 1, 0x01);
    REQUIRE(e.pm_calls.size() == 2);
    CHECK(e.pm_calls[1] == std::make_pair(uint16_t(0xb000), true));
    e.cfg_write(3, 0x80, 1, 0x01); // no change: no call
    CHECK(e.pm_calls.size() == 2);
    e.cfg_write(3, 0x40, 4, 0xffffffff); // only bits 15:6 are writable
    CHECK(e.cfg_read(3, 0x40, 4) == 0xffc1);
    CHECK(e.pm_calls.back() == std::make_pair(uint16_t(0xffc0), true));
    e.sb.reset();
    CHECK(e.pm_calls.back() == std::make_pair(uint16_t(0), false));
}

TEST_CASE("piix3: DEVACTB reports APMC_EN so SeaBIOS skips SMM initialisation") {
    SbEnv e;
    CHECK((e.cfg_read(3, 0x58, 4) & (1u << 25)) != 0);
}

TEST_CASE("piix3: IDE function timing registers are storage") {
    SbEnv e;
    e.cfg_write(1, 0x40, 2, 0x8000);
    e.cfg_write(1, 0x42, 2, 0x8000);
    CHECK(e.cfg_read(1, 0x40, 4) == 0x80008000);
    e.sb.reset();
    CHECK(e.cfg_read(1, 0x40, 4) == 0);
}
