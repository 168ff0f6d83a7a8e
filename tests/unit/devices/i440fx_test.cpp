#include "devices/i440fx.h"
#include "tests/unit/devices/legacy_io_fixture.h"

#include <doctest/doctest.h>

#include <vector>

using namespace rr86;

namespace {

// A 128 KiB "BIOS" whose byte at offset i is (i >> 12) + 1, so each page is recognisable; the
// board maps RAM over the whole guest-physical RAM before the chipset.
struct NbEnv : test::Bench {
    NbEnv() : Bench(2u << 20) {}

    std::vector<uint8_t> bios;
    bool mapped = [this] {
        mem.map_memory(0, mem.ram_size(), mem.ram(), mem.ram(), "ram");
        bios.resize(128 * 1024);
        for (size_t i = 0; i < bios.size(); ++i)
            bios[i] = uint8_t((i >> 12) + 1);
        return true;
    }();
    PciBus bus{ctx};
    I440fx nb{ctx, bus, bios.data(), bios.size()};

    // The i440FX is device 0 of bus 0.
    uint32_t readl(unsigned reg) { return pci_read(0, 0, reg, 4); }
    void writel(unsigned reg, uint32_t v) { pci_write(0, 0, reg, 4, v); }
    void writeb(unsigned reg, uint8_t v) { pci_write(0, 0, reg, 1, v); }
    uint8_t rom_byte(uint32_t addr) const { return bios[addr - 0xe0000]; }
};

// The read-modify-write SeaBIOS does on PAM0-PAM6 (src/fw/shadow.c): two dwords from 0x58.
void seabios_pam(NbEnv& e, uint8_t pam0, uint8_t others) {
    uint32_t d[2] = {e.readl(0x58), e.readl(0x5c)};
    uint8_t* b = reinterpret_cast<uint8_t*>(d);
    for (int i = 0; i < 6; ++i)
        b[1 + 1 + i] = others;
    b[1] = pam0;
    e.writel(0x58, d[0]);
    e.writel(0x5c, d[1]);
}

} // namespace

TEST_CASE("i440fx: at power-on 0xE0000-0xFFFFF reads the BIOS alias and drops writes") {
    NbEnv e;
    CHECK(e.mem.read(0xffff0, 1) == e.rom_byte(0xffff0));
    CHECK(e.mem.read(0xe0000, 1) == 1);
    CHECK(e.mem.read(0xfe000, 1) == 0x1f);
    e.mem.write(0xf0000, 4, 0x12345678);
    CHECK(e.mem.read(0xf0000, 1) == e.rom_byte(0xf0000));
    CHECK(e.mem.ram()[0xf0000] == 0);
    // Below the alias the PCI side is unassigned: all ones, writes dropped.
    CHECK(e.mem.read(0xc0000, 4) == 0xffffffff);
    e.mem.write(0xc0000, 1, 0x42);
    CHECK(e.mem.ram()[0xc0000] == 0);
    CHECK(e.nb.pam_mode(0xf0000) == 0);
}

TEST_CASE("i440fx: each PAM mode routes reads and writes independently, generation bumps") {
    NbEnv e;
    uint64_t g0 = e.mem.generation();
    e.mem.ram()[0xe4000] = 0x77;

    e.writeb(0x5e, 0x30); // PAM5 high nibble (0xE4000-0xE7FFF) = 3: RAM read/write
    CHECK(e.mem.generation() > g0);
    CHECK(e.nb.pam_mode(0xe4000) == 3);
    CHECK(e.nb.pam_mode(0xe0000) == 0);
    CHECK(e.mem.read(0xe4000, 1) == 0x77);
    e.mem.write(0xe4001, 1, 0x55);
    CHECK(e.mem.ram()[0xe4001] == 0x55);
    CHECK(e.mem.read(0xe0000, 1) == e.rom_byte(0xe0000)); // neighbour still ROM

    e.writeb(0x5e, 0x10); // 1: read RAM, writes go to PCI (dropped)
    CHECK(e.mem.read(0xe4001, 1) == 0x55);
    e.mem.write(0xe4001, 1, 0x66);
    CHECK(e.mem.ram()[0xe4001] == 0x55);

    e.writeb(0x5e, 0x20); // 2: read ROM, write RAM
    CHECK(e.mem.read(0xe4001, 1) == e.rom_byte(0xe4001));
    e.mem.write(0xe4001, 1, 0x66);
    CHECK(e.mem.ram()[0xe4001] == 0x66);
    CHECK(e.mem.read(0xe4001, 1) == e.rom_byte(0xe4001));

    e.writeb(0x5e, 0x00); // 0: PCI for both
    CHECK(e.mem.read(0xe4001, 1) == e.rom_byte(0xe4001));
    e.mem.write(0xe4001, 1, 0x99);
    CHECK(e.mem.ram()[0xe4001] == 0x66);
}

TEST_CASE("i440fx: rewriting the same PAM value keeps the map generation") {
    NbEnv e;
    e.writeb(0x5a, 0x33);
    uint64_t g = e.mem.generation();
    e.writeb(0x5a, 0x33);
    e.writeb(0x60, 0x10); // DRB0: unrelated register
    CHECK(e.mem.generation() == g);
    e.writeb(0x5a, 0x31);
    CHECK(e.mem.generation() > g);
}

TEST_CASE("i440fx: PAM reserved bits read as zero") {
    NbEnv e;
    e.writel(0x58, 0xffffffff);
    e.writel(0x5c, 0xffffffff);
    CHECK((e.readl(0x58) >> 8) == 0x777770);
    CHECK(e.readl(0x5c) == 0x77777777);
}

TEST_CASE("i440fx: SeaBIOS make_bios_writable / copy / make_bios_readonly sequence") {
    NbEnv e;
    // make_bios_writable_intel: PAM0 bit 4 clear, so the copy comes from the high alias; here
    // the "high alias" is the image itself.
    CHECK((e.readl(0x58) >> 8 & 0x10) == 0);
    seabios_pam(e, 0x30, 0x33);
    for (uint32_t a = 0xc0000; a < 0x100000; a += 0x1000)
        CHECK(e.nb.pam_mode(a) == 3);
    for (uint32_t a = 0xe0000; a < 0x100000; ++a)
        e.mem.write(a, 1, e.bios[a - 0xe0000]);
    e.mem.write(0xf5000, 4, 0xdeadbeef); // firmware updates a variable in its shadow copy
    e.mem.write(0xc8000, 4, 0x0badf00d); // option ROM area
    // make_bios_readonly_intel: 0x11 for the ROM ranges, 0x10 for 0xF0000.
    seabios_pam(e, 0x10, 0x11);
    CHECK(e.nb.pam_mode(0xf0000) == 1);
    CHECK(e.nb.pam_mode(0xc0000) == 1);
    CHECK(e.mem.read(0xf5000, 4) == 0xdeadbeef); // reads come from shadow RAM
    CHECK(e.mem.read(0xc8000, 4) == 0x0badf00d);
    CHECK(e.mem.read(0xffff0, 1) == e.rom_byte(0xffff0));
    e.mem.write(0xf5000, 4, 0); // and the shadow is write-protected
    CHECK(e.mem.read(0xf5000, 4) == 0xdeadbeef);
    CHECK((e.readl(0x58) >> 8) == 0x111110);
    CHECK(e.readl(0x5c) == 0x11111111);
}

TEST_CASE("i440fx: reset restores PAM 0 and the ROM view") {
    NbEnv e;
    seabios_pam(e, 0x30, 0x33);
    e.mem.write(0xf0000, 1, 0xab);
    e.nb.reset();
    CHECK(e.nb.pam_mode(0xf0000) == 0);
    CHECK(e.mem.read(0xf0000, 1) == e.rom_byte(0xf0000));
    CHECK(e.readl(0x58) == 0);
    // Shadow RAM keeps its contents across reset (QEMU behaviour, see shadow.c qemu_reboot).
    CHECK(e.mem.ram()[0xf0000] == 0xab);
}

TEST_CASE("i440fx: SMRAM storage with fixed C_BASE_SEG and D_LCK") {
    NbEnv e;
    CHECK((e.readl(0x70) >> 16 & 0xff) == 0x02);
    e.writeb(0x72, 0x4a); // D_OPEN | G_SMRAME | 010 (SeaBIOS's smm setup value)
    CHECK((e.readl(0x70) >> 16 & 0xff) == 0x4a);
    e.writeb(0x72, 0x00);
    CHECK((e.readl(0x70) >> 16 & 0xff) == 0x02);
    e.writeb(0x72, 0x5a); // D_LCK together with D_OPEN: D_OPEN is cleared
    CHECK((e.readl(0x70) >> 16 & 0xff) == 0x1a);
    e.writeb(0x72, 0x62); // locked: only D_CLS changes
    CHECK((e.readl(0x70) >> 16 & 0xff) == 0x3a);
    e.nb.reset();
    CHECK((e.readl(0x70) >> 16 & 0xff) == 0x02);
}

TEST_CASE("i440fx: DRAM row boundary registers are storage with the datasheet default") {
    NbEnv e;
    CHECK(e.readl(0x60) == 0x01010101);
    e.writel(0x64, 0x08070605);
    CHECK(e.readl(0x64) == 0x08070605);
}

TEST_CASE("i440fx: a small BIOS image is aliased just below 1 MiB") {
    test::Bench b(2u << 20);
    b.mem.map_memory(0, b.mem.ram_size(), b.mem.ram(), b.mem.ram(), "ram");
    std::vector<uint8_t> bios(64 * 1024, 0x5a);
    PciBus bus{b.ctx};
    I440fx nb{b.ctx, bus, bios.data(), bios.size()};
    CHECK(b.mem.read(0xf0000, 1) == 0x5a);
    CHECK(b.mem.read(0xe0000, 1) == 0xff);
}
