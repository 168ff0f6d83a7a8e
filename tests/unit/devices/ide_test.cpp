#include "devices/ide.h"
#include "tests/unit/devices/legacy_io_fixture.h"

#include <doctest/doctest.h>

#include <cstdlib>
#include <fcntl.h>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

using namespace rr86;

namespace {

// Byte i of sector n: the first 8 bytes hold n, the rest (n * 7 + i) & 0xff.
uint8_t pattern(uint64_t lba, unsigned i) {
    if (i < 8) return uint8_t(lba >> (8 * i));
    return uint8_t(lba * 7 + i);
}

// A temporary raw image, deleted at the end of the test.
struct TempImage {
    std::string path;
    explicit TempImage(uint64_t sectors, size_t extra_bytes = 0) {
        char tmpl[] = "/tmp/rr86-ide-XXXXXX";
        int fd = mkstemp(tmpl);
        REQUIRE(fd >= 0);
        path = tmpl;
        std::vector<uint8_t> buf(512);
        for (uint64_t s = 0; s < sectors; ++s) {
            for (unsigned i = 0; i < 512; ++i)
                buf[i] = pattern(s, i);
            REQUIRE(pwrite(fd, buf.data(), 512, off_t(s * 512)) == 512);
        }
        if (extra_bytes) REQUIRE(pwrite(fd, buf.data(), extra_bytes, off_t(sectors * 512)) > 0);
        close(fd);
    }
    ~TempImage() { unlink(path.c_str()); }
    std::vector<uint8_t> sector(uint64_t lba) const {
        std::vector<uint8_t> b(512);
        int fd = open(path.c_str(), O_RDONLY);
        CHECK(pread(fd, b.data(), 512, off_t(lba * 512)) == 512);
        close(fd);
        return b;
    }
};

constexpr uint16_t P = 0x1f0, PCTL = 0x3f6, S = 0x170, SCTL = 0x376;
constexpr uint8_t DRDY_DSC = 0x50;

struct IdeEnv : test::Bench {
    IdeController ide{ctx};

    void attach(unsigned ch, unsigned unit, const std::string& path, bool ro = false,
                IdeDriveOptions opts = {}) {
        auto r = DiskImage::open(path, ro);
        REQUIRE(r.image);
        CHECK(ide.attach(ch, unit, std::make_unique<IdeDrive>(std::move(r.image), opts)) == "");
    }

    void lba28(uint16_t base, unsigned dev, uint32_t lba, uint8_t count, uint8_t cmd) {
        out8(base + 6, uint8_t(0xe0 | dev << 4 | (lba >> 24 & 0x0f)));
        out8(base + 2, count);
        out8(base + 3, uint8_t(lba));
        out8(base + 4, uint8_t(lba >> 8));
        out8(base + 5, uint8_t(lba >> 16));
        out8(base + 7, cmd);
    }
    void lba48(uint16_t base, unsigned dev, uint64_t lba, uint16_t count, uint8_t cmd) {
        out8(base + 6, uint8_t(0x40 | dev << 4));
        out8(base + 2, uint8_t(count >> 8));
        out8(base + 3, uint8_t(lba >> 24));
        out8(base + 4, uint8_t(lba >> 32));
        out8(base + 5, uint8_t(lba >> 40));
        out8(base + 2, uint8_t(count));
        out8(base + 3, uint8_t(lba));
        out8(base + 4, uint8_t(lba >> 8));
        out8(base + 5, uint8_t(lba >> 16));
        out8(base + 7, cmd);
    }
    std::vector<uint8_t> read_sector16(uint16_t base) {
        std::vector<uint8_t> b(512);
        for (unsigned i = 0; i < 512; i += 2) {
            uint16_t w = in16(base);
            b[i] = uint8_t(w), b[i + 1] = uint8_t(w >> 8);
        }
        return b;
    }
    std::vector<uint8_t> read_sector32(uint16_t base) {
        std::vector<uint8_t> b(512);
        for (unsigned i = 0; i < 512; i += 4) {
            uint32_t d = io.read(base, 4);
            for (unsigned k = 0; k < 4; ++k)
                b[i + k] = uint8_t(d >> (8 * k));
        }
        return b;
    }
    void write_sector16(uint16_t base, const std::vector<uint8_t>& b) {
        for (unsigned i = 0; i < 512; i += 2)
            out16(base, uint16_t(b[i] | b[i + 1] << 8));
    }
    std::vector<uint8_t> identify(uint16_t base, unsigned dev) {
        out8(base + 6, uint8_t(0xa0 | dev << 4));
        out8(base + 7, 0xec);
        CHECK(in8(base + 7) == (DRDY_DSC | 0x08));
        return read_sector16(base);
    }
};

std::vector<uint8_t> expected(uint64_t lba) {
    std::vector<uint8_t> b(512);
    for (unsigned i = 0; i < 512; ++i)
        b[i] = pattern(lba, i);
    return b;
}

uint16_t word(const std::vector<uint8_t>& id, unsigned w) {
    return uint16_t(id[2 * w] | id[2 * w + 1] << 8);
}

std::string ata_string(const std::vector<uint8_t>& id, unsigned w, unsigned words) {
    std::string s;
    for (unsigned i = 0; i < words; ++i) {
        s += char(id[2 * (w + i) + 1]);
        s += char(id[2 * (w + i)]);
    }
    return s;
}

} // namespace

TEST_CASE("ide: IDENTIFY DEVICE strings, capacity and geometry") {
    TempImage img(20000);
    IdeEnv e;
    IdeDriveOptions o;
    o.model = "Test Disk Model";
    o.serial = "SN123";
    e.attach(0, 0, img.path, false, o);
    auto id = e.identify(P, 0);
    CHECK(e.in8(P + 7) == DRDY_DSC); // whole sector read: DRQ gone
    CHECK(word(id, 0) == 0x0040);
    CHECK(ata_string(id, 27, 20) == "Test Disk Model                         ");
    CHECK(ata_string(id, 10, 10) == "SN123               ");
    CHECK(ata_string(id, 23, 4) == "0.1.0   ");
    CHECK(word(id, 1) == 19); // 20000 / (16 * 63)
    CHECK(word(id, 3) == 16);
    CHECK(word(id, 6) == 63);
    CHECK(word(id, 54) == 19);
    CHECK((word(id, 57) | word(id, 58) << 16) == 19 * 16 * 63);
    CHECK((word(id, 60) | word(id, 61) << 16) == 20000);
    CHECK((word(id, 83) & (1 << 10)) != 0); // LBA48
    CHECK((word(id, 86) & (1 << 10)) != 0);
    CHECK((word(id, 100) | word(id, 101) << 16) == 20000);
    CHECK(word(id, 102) == 0);
    CHECK((word(id, 49) & (1 << 9)) != 0);    // LBA
    CHECK((word(id, 49) & (1 << 8)) == 0);    // no DMA
    CHECK(word(id, 80) == 0x007e);            // SeaBIOS prints "ATA-6"
    CHECK((word(id, 93) & 0xdf61) == 0x4001); // not "device 1 absent, skip probing"
    uint8_t sum = 0;
    for (uint8_t b : id)
        sum = uint8_t(sum + b);
    CHECK(sum == 0);
    CHECK(id[510] == 0xa5);
}

TEST_CASE("ide: default model and serial, tiny images get 2 cylinders") {
    TempImage img(1);
    IdeEnv e;
    e.attach(1, 1, img.path);
    auto id = e.identify(S, 1);
    CHECK(ata_string(id, 27, 20).rfind("RR86 HARDDISK ", 0) == 0);
    CHECK(ata_string(id, 10, 10) == "RR8600004           ");
    CHECK(word(id, 1) == 2);
    CHECK((word(id, 60) | word(id, 61) << 16) == 1);
}

TEST_CASE("ide: READ SECTORS LBA28, two sectors, 16-bit data port, one IRQ per sector") {
    TempImage img(64);
    IdeEnv e;
    e.attach(0, 0, img.path);
    size_t r0 = e.irq.rises(14).size();
    e.lba28(P, 0, 10, 2, 0x20);
    CHECK(e.irq.level(14));
    CHECK(e.irq.rises(14).size() == r0 + 1);
    CHECK(e.in8(PCTL) == 0x58); // alternate status: DRQ, no acknowledge
    CHECK(e.irq.level(14));
    CHECK(e.in8(P + 7) == 0x58); // status acknowledges
    CHECK_FALSE(e.irq.level(14));
    CHECK(e.read_sector16(P) == expected(10));
    CHECK(e.irq.rises(14).size() == r0 + 2); // second block
    CHECK(e.in8(P + 7) == 0x58);
    CHECK(e.read_sector16(P) == expected(11));
    CHECK(e.in8(P + 7) == DRDY_DSC);
    CHECK(e.irq.rises(14).size() == r0 + 2); // no interrupt after the last PIO-in block
    CHECK(e.in16(P) == 0);             // no data phase: reads 0
    CHECK(e.in8(P) == 0xff);          // byte access to the data port
    // The registers now address the sector after the transfer.
    CHECK(e.in8(P + 3) == 12);
    CHECK(e.in8(P + 2) == 0);
}

TEST_CASE("ide: 32-bit data port reads") {
    TempImage img(8);
    IdeEnv e;
    e.attach(0, 0, img.path);
    e.lba28(P, 0, 3, 1, 0x20);
    CHECK(e.read_sector32(P) == expected(3));
    CHECK(e.in8(P + 7) == DRDY_DSC);
}

TEST_CASE("ide: WRITE SECTORS LBA28 reaches the image file") {
    TempImage img(16);
    IdeEnv e;
    e.attach(0, 0, img.path);
    e.lba28(P, 0, 5, 2, 0x30);
    CHECK(e.in8(PCTL) == 0x58);
    CHECK_FALSE(e.irq.level(14)); // PIO out: no interrupt before the first block
    std::vector<uint8_t> a(512, 0xaa), b(512);
    for (unsigned i = 0; i < 512; ++i)
        b[i] = uint8_t(i ^ 0x5c);
    e.write_sector16(P, a);
    CHECK(e.irq.level(14));
    CHECK(e.in8(P + 7) == 0x58); // next block wanted
    for (unsigned i = 0; i < 512; i += 4)
        e.io.write(P, 4,
                   uint32_t(b[i] | b[i + 1] << 8 | b[i + 2] << 16 | uint32_t(b[i + 3]) << 24));
    CHECK(e.irq.level(14));
    CHECK(e.in8(P + 7) == DRDY_DSC);
    CHECK(img.sector(5) == a);
    CHECK(img.sector(6) == b);
    CHECK(img.sector(7) == expected(7));
    // Read it back through the device.
    e.lba28(P, 0, 5, 1, 0x20);
    CHECK(e.read_sector16(P) == a);
}

TEST_CASE("ide: LBA48 READ/WRITE SECTORS EXT and HOB register read-back") {
    TempImage img(300);
    IdeEnv e;
    e.attach(0, 0, img.path);
    e.lba48(P, 0, 0x100, 2, 0x34); // WRITE SECTORS EXT
    std::vector<uint8_t> a(512, 0x11), b(512, 0x22);
    e.write_sector16(P, a);
    e.write_sector16(P, b);
    CHECK(e.in8(P + 7) == DRDY_DSC);
    CHECK(img.sector(0x100) == a);
    CHECK(img.sector(0x101) == b);
    e.lba48(P, 0, 0x101, 1, 0x24); // READ SECTORS EXT
    CHECK(e.read_sector16(P) == b);
    // Registers after the command: next LBA 0x102, low bytes and (HOB) high bytes.
    CHECK(e.in8(P + 3) == 0x02);
    CHECK(e.in8(P + 4) == 0x01);
    e.out8(PCTL, 0x80); // HOB
    CHECK(e.in8(P + 3) == 0x00);
    CHECK(e.in8(P + 4) == 0x00);
    e.out8(PCTL, 0x00);
    // A count of 0x0100 needs the high byte: 256 sectors from LBA 0 within a 300-sector disk.
    e.lba48(P, 0, 0, 0x100, 0x24);
    for (unsigned s = 0; s < 256; ++s)
        REQUIRE(e.read_sector16(P) == expected(s < 0x100 ? s : 0));
    CHECK(e.in8(P + 7) == DRDY_DSC);
}

TEST_CASE("ide: LBA48 beyond the end of the disk is IDNF") {
    TempImage img(16);
    IdeEnv e;
    e.attach(0, 0, img.path);
    e.lba48(P, 0, uint64_t(1) << 40, 1, 0x24);
    CHECK(e.in8(P + 7) == (DRDY_DSC | 0x01));
    CHECK(e.in8(P + 1) == 0x10);
    e.lba28(P, 0, 15, 2, 0x20); // runs past the last sector
    CHECK(e.in8(P + 7) == (DRDY_DSC | 0x01));
    CHECK(e.in8(P + 1) == 0x10);
    CHECK(e.in16(P) == 0); // no data phase
}

TEST_CASE("ide: CHS addressing and INITIALIZE DEVICE PARAMETERS") {
    TempImage img(2000);
    IdeEnv e;
    e.attach(0, 0, img.path);
    auto chs = [&](uint16_t cyl, uint8_t head, uint8_t sec) {
        e.out8(P + 6, uint8_t(0xa0 | head));
        e.out8(P + 2, 1);
        e.out8(P + 3, sec);
        e.out8(P + 4, uint8_t(cyl));
        e.out8(P + 5, uint8_t(cyl >> 8));
        e.out8(P + 7, 0x20);
    };
    chs(0, 0, 1);
    CHECK(e.read_sector16(P) == expected(0));
    chs(0, 1, 1); // 16 heads x 63 sectors
    CHECK(e.read_sector16(P) == expected(63));
    chs(1, 2, 5);
    CHECK(e.read_sector16(P) == expected((1 * 16 + 2) * 63 + 4));
    chs(0, 0, 0); // sector numbers start at 1
    CHECK(e.in8(P + 7) == (DRDY_DSC | 0x01));
    CHECK(e.in8(P + 1) == 0x10);
    // INITIALIZE DEVICE PARAMETERS: 4 heads (device reg 3), 17 sectors per track.
    e.out8(P + 6, 0xa3);
    e.out8(P + 2, 17);
    e.out8(P + 7, 0x91);
    CHECK(e.in8(P + 7) == DRDY_DSC);
    chs(2, 3, 17);
    CHECK(e.read_sector16(P) == expected((2 * 4 + 3) * 17 + 16));
    auto id = e.identify(P, 0);
    CHECK(word(id, 55) == 4);
    CHECK(word(id, 56) == 17);
    CHECK(word(id, 54) == 2000 / (4 * 17));
    CHECK(word(id, 3) == 16); // the default geometry is unchanged
}

TEST_CASE("ide: READ MULTIPLE transfers SET MULTIPLE blocks with one IRQ each") {
    TempImage img(16);
    IdeEnv e;
    e.attach(0, 0, img.path);
    e.out8(P + 6, 0xa0);
    e.out8(P + 2, 3); // not a power of two
    e.out8(P + 7, 0xc6);
    CHECK(e.in8(P + 7) == (DRDY_DSC | 0x01));
    e.out8(P + 2, 2);
    e.out8(P + 7, 0xc6);
    CHECK(e.in8(P + 7) == DRDY_DSC);
    size_t r0 = e.irq.rises(14).size();
    e.lba28(P, 0, 0, 5, 0xc4);
    for (unsigned s = 0; s < 5; ++s) {
        if (s % 2 == 0) CHECK(e.in8(P + 7) == 0x58);
        CHECK(e.read_sector16(P) == expected(s));
    }
    CHECK(e.irq.rises(14).size() == r0 + 3); // blocks of 2, 2, 1
    CHECK(e.in8(P + 7) == DRDY_DSC);
    auto id = e.identify(P, 0);
    CHECK(word(id, 59) == 0x0102);
}

TEST_CASE("ide: READ VERIFY checks the range without a data phase") {
    TempImage img(16);
    IdeEnv e;
    e.attach(0, 0, img.path);
    e.lba28(P, 0, 8, 8, 0x40);
    CHECK(e.irq.level(14));
    CHECK(e.in8(P + 7) == DRDY_DSC);
    e.lba28(P, 0, 9, 8, 0x40);
    CHECK(e.in8(P + 7) == (DRDY_DSC | 0x01));
    CHECK(e.in8(P + 1) == 0x10);
}

TEST_CASE("ide: a write to a read-only image fails and leaves the file alone") {
    TempImage img(8);
    IdeEnv e;
    e.attach(0, 0, img.path, true);
    e.lba28(P, 0, 1, 1, 0x30);
    CHECK(e.irq.level(14));
    CHECK(e.in8(P + 7) == (DRDY_DSC | 0x01));
    CHECK(e.in8(P + 1) == 0x04);
    e.write_sector16(P, std::vector<uint8_t>(512, 0xee)); // ignored: no data phase
    CHECK(img.sector(1) == expected(1));
    e.lba28(P, 0, 1, 1, 0x20); // reading still works
    CHECK(e.read_sector16(P) == expected(1));
}

TEST_CASE("ide: unsupported commands and IDENTIFY PACKET DEVICE abort") {
    TempImage img(8);
    IdeEnv e;
    e.attach(0, 0, img.path);
    for (uint8_t cmd : {0xa1, 0xa0, 0xc8, 0xca, 0x25, 0x00, 0xff, 0xb0}) {
        e.out8(P + 6, 0xa0);
        e.out8(P + 7, cmd);
        CHECK(e.in8(P + 7) == (DRDY_DSC | 0x01));
        CHECK(e.in8(P + 1) == 0x04);
    }
    // SET FEATURES: PIO mode 4 accepted, UDMA refused, unknown subcommand refused.
    e.out8(P + 1, 0x03);
    e.out8(P + 2, 0x0c);
    e.out8(P + 7, 0xef);
    CHECK(e.in8(P + 7) == DRDY_DSC);
    e.out8(P + 1, 0x03);
    e.out8(P + 2, 0x45);
    e.out8(P + 7, 0xef);
    CHECK(e.in8(P + 7) == (DRDY_DSC | 0x01));
    e.out8(P + 1, 0x77);
    e.out8(P + 7, 0xef);
    CHECK(e.in8(P + 1) == 0x04);
    // Non-data commands that succeed.
    for (uint8_t cmd : {0x10, 0x70, 0xe7, 0xea, 0xe0, 0xe1}) {
        e.out8(P + 7, cmd);
        CHECK(e.in8(P + 7) == DRDY_DSC);
    }
    e.out8(P + 7, 0xe5); // CHECK POWER MODE
    CHECK(e.in8(P + 2) == 0xff);
}

TEST_CASE("ide: absent slave next to a master reads status 0 and ignores commands") {
    TempImage img(8);
    IdeEnv e;
    e.attach(0, 0, img.path);
    // SeaBIOS ata_detect's register check for device 1.
    e.out8(P + 6, 0xb0);
    CHECK(e.in8(P + 6) == 0xb0);
    e.out8(P + 2, 0x55);
    e.out8(P + 3, 0xaa);
    CHECK(e.in8(P + 2) == 0x55);
    CHECK(e.in8(P + 3) == 0xaa);
    CHECK(e.in8(P + 7) == 0x00);
    CHECK(e.in8(PCTL) == 0x00);
    e.out8(P + 7, 0xa1); // IDENTIFY PACKET to nobody
    CHECK_FALSE(e.irq.level(14));
    CHECK(e.in8(P + 7) == 0x00);
    e.out8(P + 7, 0x20);
    CHECK(e.in16(P) == 0xffff);
    // The master still answers once selected again, with the latched registers.
    e.out8(P + 6, 0xa0);
    CHECK(e.in8(P + 7) == DRDY_DSC);
    CHECK(e.in8(P + 2) == 0x55);
}

TEST_CASE("ide: a channel without drives floats") {
    IdeEnv e;
    for (uint16_t p = S; p < S + 8; ++p)
        CHECK(e.in8(p) == 0xff);
    CHECK(e.in8(SCTL) == 0xff);
    CHECK(e.in16(S) == 0xffff);
    e.out8(S + 2, 0x55);
    CHECK(e.in8(S + 2) == 0xff);
    e.out8(S + 7, 0xec);
    CHECK_FALSE(e.irq.level(15));
}

TEST_CASE("ide: SRST soft reset leaves the signature, nIEN masks INTRQ") {
    TempImage img(8);
    IdeEnv e;
    e.attach(0, 0, img.path);
    e.attach(0, 1, img.path, true);
    e.lba28(P, 1, 3, 1, 0x20); // slave starts a read
    CHECK(e.irq.level(14));
    e.out8(PCTL, 0x06); // SRST | nIEN
    CHECK_FALSE(e.irq.level(14));
    CHECK(e.in8(PCTL) == 0x80); // busy while in reset
    e.out8(P + 7, 0xec);        // ignored during reset
    e.out8(PCTL, 0x02);
    CHECK(e.in8(PCTL) == DRDY_DSC);
    CHECK(e.in8(P + 6) == 0xa0); // device 0 selected
    CHECK(e.in8(P + 1) == 0x01);
    CHECK(e.in8(P + 2) == 0x01);
    CHECK(e.in8(P + 3) == 0x01);
    CHECK(e.in8(P + 4) == 0x00);
    CHECK(e.in8(P + 5) == 0x00);
    e.out8(P + 6, 0xb0);
    CHECK(e.in8(P + 7) == DRDY_DSC);
    CHECK(e.in16(P) == 0); // the interrupted transfer is gone
    // With nIEN set a completed command does not drive the line; clearing nIEN does.
    e.out8(P + 7, 0xe7);
    CHECK_FALSE(e.irq.level(14));
    e.out8(PCTL, 0x00);
    CHECK(e.irq.level(14));
    e.in8(P + 7);
    CHECK_FALSE(e.irq.level(14));
    // EXECUTE DEVICE DIAGNOSTIC: signature on both, device 0 selected, interrupt.
    e.out8(P + 6, 0xb0);
    e.out8(P + 7, 0x90);
    CHECK(e.irq.level(14));
    CHECK(e.in8(P + 6) == 0xa0);
    CHECK(e.in8(P + 1) == 0x01);
}

TEST_CASE("ide: IDENTIFY word 93 tells device 0 whether device 1 is there") {
    TempImage img(8);
    IdeEnv e;
    e.attach(0, 0, img.path);
    e.attach(0, 1, img.path);
    CHECK(word(e.identify(P, 0), 93) == 0x603b);
    CHECK(word(e.identify(P, 1), 93) == 0x6b00);
}

TEST_CASE("ide: controller reset, attach errors, detach") {
    TempImage img(8);
    IdeEnv e;
    e.attach(0, 0, img.path);
    e.lba28(P, 0, 0, 1, 0x20);
    e.ide.reset();
    CHECK_FALSE(e.irq.level(14));
    CHECK(e.in8(P + 7) == DRDY_DSC);
    CHECK(e.in16(P) == 0);
    auto again = DiskImage::open(img.path, true);
    CHECK(e.ide.attach(0, 0, std::make_unique<IdeDrive>(std::move(again.image))) ==
          "ide.0 unit 0 is already in use");
    CHECK(e.ide.attach(2, 0, nullptr).find("no such position") != std::string::npos);
    IdeDriveOptions bad;
    bad.chs = Chs{100, 17, 63};
    auto third = DiskImage::open(img.path, true);
    CHECK(e.ide.attach(1, 0, std::make_unique<IdeDrive>(std::move(third.image), bad)) ==
          "ide: invalid CHS geometry for ide.1 unit 0");
    auto d = e.ide.detach(0, 0);
    CHECK(d != nullptr);
    CHECK(e.in8(P + 7) == 0xff); // channel empty again
    CHECK(e.ide.detach(0, 0) == nullptr);
}

TEST_CASE("ide: boot device paths and bootindex") {
    TempImage img(8);
    IdeEnv e;
    IdeDriveOptions a, b;
    a.bootindex = 2;
    b.bootindex = 1;
    b.lchs = Chs{1024, 255, 63};
    e.attach(0, 0, img.path, true, a);
    e.attach(1, 1, img.path, true, b);
    auto list = e.ide.boot_devices();
    REQUIRE(list.size() == 2);
    CHECK(list[0].path == "/pci@i0cf8/ide@1,1/drive@0/disk@0");
    CHECK(list[0].bootindex == 2);
    CHECK(list[0].lcyls == 0);
    CHECK(list[1].path == "/pci@i0cf8/ide@1,1/drive@1/disk@1");
    CHECK(list[1].bootindex == 1);
    CHECK(list[1].lheads == 255);
    e.ide.drive(0, 0)->set_bootindex(-1);
    CHECK(e.ide.boot_devices()[0].bootindex == -1);
}

TEST_CASE("ide: every register and command value on every channel is harmless") {
    TempImage img(4);
    IdeEnv e;
    e.attach(0, 0, img.path);
    for (unsigned cmd = 0; cmd < 256; ++cmd) {
        for (uint16_t base : {P, S}) {
            e.out8(base + 6, uint8_t(cmd & 0x10 ? 0xb0 : 0xe0));
            e.out8(base + 2, uint8_t(cmd));
            e.out8(base + 7, uint8_t(cmd));
            for (int i = 0; i < 300; ++i)
                e.in16(base);
            for (int i = 0; i < 300; ++i)
                e.out16(base, 0x1234);
            for (uint16_t p = base; p < base + 8; ++p)
                e.in8(p);
            e.io.read(base + 6, 4);
        }
    }
    e.ide.reset();
    CHECK(e.in8(P + 7) == DRDY_DSC);
    CHECK(e.identify(P, 0)[0] == 0x40);
}

TEST_CASE("disk image: host-side errors name the file") {
    auto missing = DiskImage::open("/nonexistent/rr86.img", true);
    CHECK_FALSE(missing.image);
    CHECK(missing.error ==
          "cannot open disk image '/nonexistent/rr86.img': No such file or directory");
    auto dir = DiskImage::open("/tmp", true);
    CHECK(dir.error == "disk image '/tmp' is not a regular file or block device");
    TempImage tiny(0, 100);
    auto small = DiskImage::open(tiny.path, true);
    CHECK(small.error == "disk image '" + tiny.path + "' is smaller than one sector (100 bytes)");
    CHECK(DiskImage::open("", false).error == "disk image: no file name given");
    if (geteuid() != 0) {
        TempImage ro(1);
        chmod(ro.path.c_str(), 0444);
        auto w = DiskImage::open(ro.path, false);
        CHECK(w.error == "cannot open disk image '" + ro.path +
                             "' for writing: Permission denied (use readonly=on)");
    }
}

TEST_CASE("disk image: partial trailing sector is not addressable; reads are bounds-checked") {
    TempImage img(3, 100);
    auto r = DiskImage::open(img.path, false);
    REQUIRE(r.image);
    CHECK(r.image->sectors() == 3);
    std::vector<uint8_t> buf(1024);
    CHECK(r.image->read(1, 2, buf.data()));
    CHECK_FALSE(r.image->read(2, 2, buf.data()));
    CHECK_FALSE(r.image->read(~0ull, 1, buf.data()));
    CHECK_FALSE(r.image->write(3, 1, buf.data()));
    auto mem = DiskImage::from_bytes(std::vector<uint8_t>(1024, 7), true, "demo");
    CHECK(mem->sectors() == 2);
    CHECK(mem->read(1, 1, buf.data()));
    CHECK(buf[0] == 7);
    CHECK_FALSE(mem->write(0, 1, buf.data()));
}
