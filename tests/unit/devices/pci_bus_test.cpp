#include "devices/i440fx.h"
#include "devices/pci_bus.h"
#include "devices/piix3.h"
#include "tests/unit/devices/legacy_io_fixture.h"

#include <doctest/doctest.h>

#include <vector>

using namespace rr86;

namespace {

struct PciEnv : test::Bench {
    PciEnv() : Bench(4u << 20) {}

    std::vector<uint8_t> bios = std::vector<uint8_t>(128 * 1024, 0xb1);
    PciBus bus{ctx};
    I440fx nb{ctx, bus, bios.data(), bios.size()};
    Piix3 sb{ctx, bus};
};

} // namespace

TEST_CASE("pci: CONFIG_ADDRESS latches doublewords only, reserved bits read zero") {
    PciEnv e;
    e.io.write(0xcf8, 4, 0xffffffff);
    CHECK(e.io.read(0xcf8, 4) == 0x80fffffc);
    e.io.write(0xcf8, 4, 0x80000000);
    e.io.write(0xcf8, 1, 0x55); // a byte cycle is not CONFIG_ADDRESS
    e.io.write(0xcfa, 2, 0x1234);
    CHECK(e.io.read(0xcf8, 4) == 0x80000000);
    CHECK(e.io.read(0xcf8, 1) == 0xff); // nothing answers byte reads at 0xCF8
}

TEST_CASE("pci: i440FX identity through 0xCF8/0xCFC with byte, word and dword accesses") {
    PciEnv e;
    CHECK(e.pci_read(0, 0, 0x00, 4) == 0x12378086);
    CHECK(e.pci_read(0, 0, 0x00, 2) == 0x8086);
    CHECK(e.pci_read(0, 0, 0x02, 2) == 0x1237);
    CHECK(e.pci_read(0, 0, 0x01, 1) == 0x80);
    CHECK(e.pci_read(0, 0, 0x03, 1) == 0x12);
    CHECK(e.pci_read(0, 0, 0x08, 4) == 0x06000002); // class 060000, revision 02
    // Subsystem 1af4:1100: SeaBIOS's qemu_detect() looks for it on 00:00.0.
    CHECK(e.pci_read(0, 0, 0x2c, 4) == 0x11001af4);
}

TEST_CASE("pci: absent functions, other buses and a disabled address read all ones") {
    PciEnv e;
    CHECK(e.pci_read(2, 0, 0x00, 4) == 0xffffffff);
    CHECK(e.pci_read(1, 2, 0x00, 2) == 0xffff);
    CHECK(e.pci_read(0, 1, 0x00, 1) == 0xff);
    e.io.write(0xcf8, 4, PciEnv::pci_address(0, 0, 0, 1)); // bus 1
    CHECK(e.io.read(0xcfc, 4) == 0xffffffff);
    e.io.write(0xcf8, 4, 0x00000000); // enable bit clear
    CHECK(e.io.read(0xcfc, 4) == 0xffffffff);
    e.io.write(0xcfc, 4, 0); // ignored, no crash
    e.pci_write(5, 0, 0x04, 4, 0xffffffff);
    CHECK(e.pci_read(5, 0, 0x04, 4) == 0xffffffff);
}

TEST_CASE("pci: read-only header fields, write masks and W1C status") {
    PciEnv e;
    e.pci_write(0, 0, 0x00, 4, 0);
    CHECK(e.pci_read(0, 0, 0x00, 4) == 0x12378086);
    e.pci_write(1, 1, 0x04, 2, 0xffff);
    CHECK(e.pci_read(1, 1, 0x04, 2) == 0x0547);
    e.pci_write(1, 1, 0x3c, 1, 14); // interrupt line is writable
    CHECK(e.pci_read(1, 1, 0x3c, 1) == 14);
    e.pci_write(1, 1, 0x3d, 1, 3); // interrupt pin is not
    CHECK(e.pci_read(1, 1, 0x3d, 1) == 0);
    e.pci_write(1, 3, 0x06, 2, 0xffff); // status: W1C of clear bits, DEVSEL stays
    CHECK(e.pci_read(1, 3, 0x06, 2) == 0x0200);
}

TEST_CASE("pci: BAR sizing on the PIIX IDE bus-master BAR") {
    PciEnv e;
    CHECK(e.pci_read(1, 1, 0x20, 4) == 0x00000001);
    e.pci_write(1, 1, 0x20, 4, 0xffffffff);
    CHECK(e.pci_read(1, 1, 0x20, 4) == 0xfffffff1); // 16 bytes of I/O
    e.pci_write(1, 1, 0x20, 4, 0xc000);
    CHECK(e.pci_read(1, 1, 0x20, 4) == 0xc001);
    CHECK(e.pci_read(1, 1, 0x10, 4) == 0); // BAR0-3 unimplemented in legacy mode
    e.pci_write(1, 1, 0x10, 4, 0xffffffff);
    CHECK(e.pci_read(1, 1, 0x10, 4) == 0);
}

TEST_CASE("pci: byte and word writes at every CONFIG_DATA offset") {
    PciEnv e;
    e.pci_write(0, 0, 0x60, 4, 0x04030201); // DRB0-3 (storage)
    CHECK(e.pci_read(0, 0, 0x61, 1) == 0x02);
    e.pci_write(0, 0, 0x62, 1, 0xaa);
    e.pci_write(0, 0, 0x61, 2, 0xccbb);
    CHECK(e.pci_read(0, 0, 0x60, 4) == 0x04ccbb01);
    CHECK(e.pci_read(0, 0, 0x62, 2) == 0x04cc);
    // A word access at 0xCFF crosses out of CONFIG_DATA: the inside byte is config space.
    e.io.write(0xcf8, 4, PciEnv::pci_address(0, 0, 0x60));
    CHECK((e.io.read(0xcff, 2) & 0xff) == 0x04);
}

TEST_CASE("pci: PIIX3 function 0 is multi-function and the functions are at 01.0/01.1/01.3") {
    PciEnv e;
    CHECK(e.pci_read(1, 0, 0x00, 4) == 0x70008086);
    CHECK(e.pci_read(1, 0, 0x0e, 1) == 0x80);
    CHECK(e.pci_read(1, 0, 0x0a, 2) == 0x0601);
    CHECK(e.pci_read(1, 1, 0x00, 4) == 0x70108086);
    CHECK(e.pci_read(1, 1, 0x08, 4) == 0x01018000); // IDE, prog-if 0x80
    CHECK(e.pci_read(1, 3, 0x00, 4) == 0x71138086);
    CHECK(e.pci_read(1, 3, 0x08, 4) == 0x06800003);
    CHECK(e.pci_read(1, 2, 0x00, 4) == 0xffffffff);
}

TEST_CASE("pci: registry rejects taken and out-of-range slots") {
    PciEnv e;
    struct Dummy : PciFunction {
        Dummy() { set_identity(0x1234, 0x5678, 1, 0xff0000, 0); }
    } d;
    CHECK_FALSE(e.bus.add(0, 0, &d));
    CHECK_FALSE(e.bus.add(32, 0, &d));
    CHECK_FALSE(e.bus.add(3, 8, &d));
    CHECK(e.bus.add(3, 0, &d));
    CHECK(e.pci_read(3, 0, 0, 4) == 0x56781234);
    e.bus.remove(3, 0);
    CHECK(e.pci_read(3, 0, 0, 4) == 0xffffffff);
}

TEST_CASE("pci: bus reset clears CONFIG_ADDRESS") {
    PciEnv e;
    e.io.write(0xcf8, 4, 0x80000800);
    e.bus.reset();
    CHECK(e.io.read(0xcf8, 4) == 0);
}
