#include "devices/fw_cfg.h"
#include "tests/unit/devices/legacy_io_fixture.h"

#include <doctest/doctest.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <unistd.h>
#include <vector>

using namespace rr86;

namespace {

constexpr uint32_t kRam = 1u << 20;
constexpr uint32_t kDesc = 0x1000, kBuf = 0x2000;
constexpr uint32_t kRead = 0x02, kSkip = 0x04, kSelect = 0x08, kWrite = 0x10;

struct CfgEnv : test::Bench {
    CfgEnv() : Bench(kRam) {}

    FwCfg cfg{ctx, FwCfgConfig{}};

    void select(uint16_t key) { io.write(0x510, 2, key); }
    std::vector<uint8_t> read_port(size_t n) {
        std::vector<uint8_t> v;
        for (size_t i = 0; i < n; ++i)
            v.push_back(uint8_t(io.read(0x511, 1)));
        return v;
    }
    // Builds a big-endian FWCfgDmaAccess at `desc` and starts it as SeaBIOS does (one outl of the
    // byte-swapped address to the low half).
    uint32_t dma(uint32_t control, uint32_t length, uint64_t address, uint64_t desc = kDesc) {
        uint8_t d[16];
        for (int i = 0; i < 4; ++i)
            d[i] = uint8_t(control >> (24 - 8 * i));
        for (int i = 0; i < 4; ++i)
            d[4 + i] = uint8_t(length >> (24 - 8 * i));
        for (int i = 0; i < 8; ++i)
            d[8 + i] = uint8_t(address >> (56 - 8 * i));
        mem.write_ram(desc, d, 16);
        io.write(0x514, 4, __builtin_bswap32(uint32_t(desc >> 32)));
        io.write(0x518, 4, __builtin_bswap32(uint32_t(desc)));
        uint8_t c[4] = {};
        mem.read_ram(desc, c, 4);
        return uint32_t(c[0]) << 24 | c[1] << 16 | c[2] << 8 | c[3];
    }
    std::vector<uint8_t> ram(uint32_t addr, size_t n) {
        std::vector<uint8_t> v(n);
        mem.read_ram(addr, v.data(), n);
        return v;
    }
    struct Entry {
        uint32_t size;
        uint16_t key;
        std::string name;
    };
    std::vector<Entry> directory() {
        select(0x19);
        auto c = read_port(4);
        uint32_t n = uint32_t(c[0]) << 24 | c[1] << 16 | c[2] << 8 | c[3];
        std::vector<Entry> out;
        for (uint32_t i = 0; i < n; ++i) {
            auto e = read_port(64);
            Entry x;
            x.size = uint32_t(e[0]) << 24 | e[1] << 16 | e[2] << 8 | e[3];
            x.key = uint16_t(e[4] << 8 | e[5]);
            x.name = reinterpret_cast<const char*>(e.data() + 8);
            out.push_back(x);
        }
        return out;
    }
};

std::vector<uint8_t> bytes(const std::string& s) { return {s.begin(), s.end()}; }

struct TempFile {
    std::string path;
    explicit TempFile(const std::string& content) {
        char tmpl[] = "/tmp/rr86-fwcfg-XXXXXX";
        int fd = mkstemp(tmpl);
        REQUIRE(fd >= 0);
        REQUIRE(write(fd, content.data(), content.size()) == ssize_t(content.size()));
        close(fd);
        path = tmpl;
    }
    ~TempFile() { unlink(path.c_str()); }
};

} // namespace

TEST_CASE("fw_cfg: signature and ID through the ports") {
    CfgEnv e;
    e.select(0x0000);
    CHECK(e.read_port(4) == bytes("QEMU"));
    CHECK(e.read_port(2) == std::vector<uint8_t>{0, 0}); // past the end: zeros
    e.select(0x0001);
    CHECK(e.read_port(4) == std::vector<uint8_t>{0x03, 0, 0, 0}); // traditional + DMA
    // A byte read at the selector port reads data too (QEMU's combined region).
    e.select(0x0000);
    CHECK(e.io.read(0x510, 1) == 'Q');
    CHECK(e.io.read(0x511, 1) == 'E');
    // After reset the signature is selected.
    e.select(0x0001);
    e.cfg.reset();
    CHECK(e.read_port(1) == bytes("Q"));
}

TEST_CASE("fw_cfg: the DMA register reads \"QEMU CFG\"") {
    CfgEnv e;
    std::string sig;
    for (uint16_t p = 0x514; p < 0x51c; ++p)
        sig += char(e.io.read(p, 1));
    CHECK(sig == "QEMU CFG");
    CHECK(e.io.read(0x514, 4) == 0x554d4551); // bytes in port order
}

TEST_CASE("fw_cfg: signature and ID via DMA (select + read)") {
    CfgEnv e;
    CHECK(e.dma(0x0000u << 16 | kSelect | kRead, 4, kBuf) == 0);
    CHECK(e.ram(kBuf, 4) == bytes("QEMU"));
    CHECK(e.dma(0x0001u << 16 | kSelect | kRead, 4, kBuf) == 0);
    CHECK(e.ram(kBuf, 4) == std::vector<uint8_t>{3, 0, 0, 0});
    // High half 1: the descriptor would be above 4 GiB, outside RAM, so nothing happens.
    std::vector<uint8_t> desc = {0, 0, 0, kSelect | kRead, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0x30, 0};
    e.mem.write_ram(kDesc, desc.data(), desc.size());
    e.io.write(0x514, 4, __builtin_bswap32(1));
    e.io.write(0x518, 4, __builtin_bswap32(kDesc));
    CHECK(e.ram(kDesc, 4) == std::vector<uint8_t>{0, 0, 0, kSelect | kRead});
    // The operation cleared the address register: a lone low-half write now means kDesc.
    e.io.write(0x518, 4, __builtin_bswap32(kDesc));
    CHECK(e.ram(kDesc, 4) == std::vector<uint8_t>{0, 0, 0, 0});
    CHECK(e.ram(0x3000, 4) == bytes("QEMU"));
}

TEST_CASE("fw_cfg: legacy keys SeaBIOS reads on pc") {
    CfgEnv e;
    e.select(0x03);
    CHECK(e.read_port(8) == std::vector<uint8_t>{0, 0, 0, 8, 0, 0, 0, 0}); // 128 MiB
    e.select(0x05);
    CHECK(e.read_port(2) == std::vector<uint8_t>{1, 0});
    e.select(0x0f);
    CHECK(e.read_port(2) == std::vector<uint8_t>{1, 0});
    e.select(0x0e);
    CHECK(e.read_port(2) == std::vector<uint8_t>{0, 0});
    e.select(0x0d);
    CHECK(e.read_port(8) == std::vector<uint8_t>(8, 0));
    e.select(0x8002);
    CHECK(e.read_port(1) == std::vector<uint8_t>{1});
    e.select(0x8003);
    CHECK(e.read_port(4) == std::vector<uint8_t>(4, 0));
}

TEST_CASE("fw_cfg: unknown keys read zeros by port and DMA") {
    CfgEnv e;
    for (uint16_t key : {0x0007, 0x0018, 0x1234, 0x3fff, 0x8000, 0xffff}) {
        e.select(key);
        CHECK(e.read_port(4) == std::vector<uint8_t>(4, 0));
        std::vector<uint8_t> junk(8, 0xaa);
        e.mem.write_ram(kBuf, junk.data(), junk.size());
        CHECK(e.dma(uint32_t(key) << 16 | kSelect | kRead, 8, kBuf) == 0);
        CHECK(e.ram(kBuf, 8) == std::vector<uint8_t>(8, 0));
    }
    // Bit 14 (old write flag) is ignored when selecting.
    e.select(0x4000);
    CHECK(e.read_port(4) == bytes("QEMU"));
}

TEST_CASE("fw_cfg: file directory is big-endian, sorted by name, keys from 0x20") {
    CfgEnv e;
    CHECK(e.cfg.add_file("opt/zeta", bytes("z")) == "");
    CHECK(e.cfg.add_file("opt/alpha", bytes("alpha!")) == "");
    auto dir = e.directory();
    std::vector<std::string> names;
    for (auto& d : dir)
        names.push_back(d.name);
    CHECK(names == std::vector<std::string>{"bios-geometry", "bootorder", "etc/boot-fail-wait",
                                            "etc/e820", "opt/alpha", "opt/zeta"});
    for (size_t i = 0; i < dir.size(); ++i)
        CHECK(dir[i].key == 0x20 + i);
    CHECK(dir[4].size == 6);
    CHECK(dir[2].size == 4);
    CHECK(dir[3].size == 20);
    CHECK(e.cfg.file_key("opt/alpha") == 0x24);
    CHECK(e.cfg.file_key("nope") == 0);
}

TEST_CASE("fw_cfg: etc/e820 and etc/boot-fail-wait contents") {
    CfgEnv e;
    e.select(e.cfg.file_key("etc/e820"));
    auto v = e.read_port(20);
    std::vector<uint8_t> want(20, 0);
    want[11] = 0x08; // length 0x08000000
    want[16] = 1;    // RAM
    CHECK(v == want);
    e.select(e.cfg.file_key("etc/boot-fail-wait"));
    CHECK(e.read_port(4) == std::vector<uint8_t>{0xff, 0xff, 0xff, 0xff});

    test::Bench b(kRam);
    FwCfgConfig c;
    c.e820 = {{0, 0x9fc00, 1}, {0x100000, 0x700000, 1}};
    c.boot_fail_wait_ms = 5000;
    FwCfg cfg{b.ctx, c};
    CHECK(cfg.file("etc/e820")->size() == 40);
    CHECK((*cfg.file("etc/boot-fail-wait")) == std::vector<uint8_t>{0x88, 0x13, 0, 0});
}

TEST_CASE("fw_cfg: opt/ blob by port and by DMA, with skip") {
    CfgEnv e;
    std::string text = "HOSTNAME=guest1";
    auto r = make_fw_cfg_blob("opt/GuestInfo", nullptr, &text);
    REQUIRE(r.ok());
    CHECK(r.warning.empty());
    CHECK(e.cfg.add_blob(r.blob) == "");
    uint16_t key = e.cfg.file_key("opt/GuestInfo");
    REQUIRE(key >= 0x20);
    e.select(key);
    CHECK(e.read_port(15) == bytes("HOSTNAME=guest1"));
    CHECK(e.read_port(1) == std::vector<uint8_t>{0});
    CHECK(e.dma(uint32_t(key) << 16 | kSelect | kRead, 15, kBuf) == 0);
    CHECK(e.ram(kBuf, 15) == bytes("HOSTNAME=guest1"));
    // Select, skip 9, read the rest (and 2 bytes past the end, zero-filled).
    CHECK(e.dma(uint32_t(key) << 16 | kSelect | kSkip, 9, 0) == 0);
    std::vector<uint8_t> junk(8, 0xaa);
    e.mem.write_ram(kBuf, junk.data(), junk.size());
    CHECK(e.dma(kRead, 8, kBuf) == 0);
    CHECK(e.ram(kBuf, 8) == std::vector<uint8_t>{'g', 'u', 'e', 's', 't', '1', 0, 0});
}

TEST_CASE("fw_cfg: DMA outside RAM sets the error bit and touches nothing") {
    CfgEnv e;
    e.select(0x0000);
    // Data range straddling the end of RAM.
    std::vector<uint8_t> tail(4, 0x5a);
    e.mem.write_ram(kRam - 4, tail.data(), 4);
    CHECK(e.dma(kRead, 16, kRam - 4) == 0x01);
    CHECK(e.ram(kRam - 4, 4) == tail);
    CHECK(e.read_port(4) == bytes("QEMU")); // offset did not move
    // Far outside, and a wrapping 64-bit address.
    CHECK(e.dma(kSelect | kRead, 4, 0xfffffffffffffffeull) == 0x01);
    CHECK(e.dma(kSelect | kRead, 4, 0x100000000ull) == 0x01);
    // Zero length is a no-op wherever it points.
    CHECK(e.dma(kSelect | kRead, 0, 0xdead00000000ull) == 0);
    // A descriptor outside RAM: nothing to read, nothing written.
    e.io.write(0x514, 4, 0);
    e.io.write(0x518, 4, __builtin_bswap32(kRam + 0x1000));
    e.io.write(0x518, 4, __builtin_bswap32(kRam - 8)); // half inside
    // Neither did anything: the last descriptor that ran selected key 0 again.
    CHECK(e.read_port(4) == bytes("QEMU"));
}

TEST_CASE("fw_cfg: DMA writes are refused, port writes ignored") {
    CfgEnv e;
    std::vector<uint8_t> src = bytes("XXXX");
    e.mem.write_ram(kBuf, src.data(), 4);
    CHECK(e.dma(kSelect | kWrite, 4, kBuf) == 0x01);
    CHECK(e.dma(0x1234u << 16 | kSelect | kWrite, 4, kBuf) == 0x01);
    e.select(0);
    e.io.write(0x511, 1, 'Z');
    e.io.write(0x510, 1, 'Z');
    CHECK(e.read_port(4) == bytes("QEMU"));
    CHECK(e.dma(0, 4, kBuf) == 0); // no operation bit: nothing, success
}

TEST_CASE("fw_cfg: bootorder and bios-geometry from the drive set (seed 000)") {
    CfgEnv e;
    CHECK(e.cfg.file("bootorder")->empty());
    std::vector<BootDevice> devs = {
        {"/pci@i0cf8/ide@1,1/drive@0/disk@0", -1},
        {"/pci@i0cf8/ide@1,1/drive@0/disk@1", 2, 1024, 16, 63},
        {"/pci@i0cf8/ide@1,1/drive@1/disk@0", 1},
    };
    e.cfg.rebuild_boot_data(devs);
    std::string want = "/pci@i0cf8/ide@1,1/drive@1/disk@0\n/pci@i0cf8/ide@1,1/drive@0/disk@1";
    want += '\0';
    CHECK(*e.cfg.file("bootorder") == bytes(want));
    std::string geo = "/pci@i0cf8/ide@1,1/drive@0/disk@1 1024 16 63";
    geo += '\0';
    CHECK(*e.cfg.file("bios-geometry") == bytes(geo));
    // The directory follows the new sizes; the guest reads the new contents.
    for (auto& d : e.directory())
        if (d.name == "bootorder") CHECK(d.size == want.size());
    e.select(e.cfg.file_key("bootorder"));
    CHECK(e.read_port(want.size()) == bytes(want));
    // A drive hot-added in prelaunch with bootindex 0 goes first after the next rebuild.
    devs.push_back({"/pci@i0cf8/ide@1,1/drive@1/disk@1", 0});
    e.cfg.rebuild_boot_data(devs);
    std::string s(e.cfg.file("bootorder")->begin(), e.cfg.file("bootorder")->end());
    CHECK(s.rfind("/pci@i0cf8/ide@1,1/drive@1/disk@1\n", 0) == 0);
    e.cfg.rebuild_boot_data({});
    CHECK(e.cfg.file("bootorder")->empty());
    CHECK(e.cfg.file("bios-geometry")->empty());
}

// The option syntax (-fw_cfg name=...,file=... / string=..., ",," for a comma) is the machine
// option parser's (engine/machine_config.cpp), checked by tests/cli/host_input_test.sh.
TEST_CASE("fw_cfg: blobs from -fw_cfg parameters: name, file and string rules") {
    TempFile f("line1\nHOSTNAME=x\n");
    auto ok = make_fw_cfg_blob("opt/GuestInfo", &f.path, nullptr);
    REQUIRE(ok.ok());
    CHECK(ok.blob.name == "opt/GuestInfo");
    CHECK(ok.blob.data == bytes("line1\nHOSTNAME=x\n"));
    const std::string comma = "x,y", x = "x", abc = "abc", empty;
    auto with_comma = make_fw_cfg_blob("opt/a", nullptr, &comma);
    REQUIRE(with_comma.ok());
    CHECK(with_comma.warning.empty());
    CHECK(with_comma.blob.name == "opt/a");
    CHECK(with_comma.blob.data == bytes("x,y")); // no NUL terminator

    const std::string needed = "-fw_cfg: name, plus exactly one of file and string, are needed";
    CHECK(make_fw_cfg_blob("opt/a", nullptr, nullptr).error == needed);
    CHECK(make_fw_cfg_blob("", nullptr, &abc).error == needed);
    CHECK(make_fw_cfg_blob("opt/a", &f.path, &x).error == needed);
    std::string long_name = "opt/" + std::string(52, 'n'); // 56 chars
    CHECK(make_fw_cfg_blob(long_name, nullptr, &x).error ==
          "-fw_cfg: name too long (max. 55 chars): " + long_name);
    CHECK(make_fw_cfg_blob(long_name.substr(1), nullptr, &x).ok());
    const std::string missing = "/nonexistent/x", dir = "/tmp";
    CHECK(make_fw_cfg_blob("opt/a", &missing, nullptr).error ==
          "-fw_cfg: can't load /nonexistent/x: No such file or directory");
    CHECK(make_fw_cfg_blob("opt/a", &dir, nullptr).error ==
          "-fw_cfg: can't load /tmp: Is a directory");
    CHECK(make_fw_cfg_blob("opt/a", &empty, nullptr).error == "-fw_cfg: empty file name for opt/a");

    const std::string one = "1";
    auto warn = make_fw_cfg_blob("etc/mine", nullptr, &one);
    CHECK(warn.ok());
    CHECK(warn.warning ==
          "-fw_cfg: externally provided fw_cfg item names should be prefixed with \"opt/\" "
          "(etc/mine)");

    CfgEnv e;
    CHECK(e.cfg.add_blob(with_comma.blob) == "");
    CHECK(e.cfg.add_blob(with_comma.blob) == "duplicate fw_cfg file name: opt/a");
    CHECK(e.cfg.add_file("bootorder", {}) == "duplicate fw_cfg file name: bootorder");
    CHECK(e.cfg.add_file("", {}) == "fw_cfg: empty file name");
}

TEST_CASE("fw_cfg: odd port widths and values are harmless") {
    CfgEnv e;
    for (uint16_t p = 0x510; p < 0x51c; ++p) {
        for (unsigned size : {1u, 2u, 4u}) {
            e.io.write(p, size, 0x12345678);
            (void)e.io.read(p, size);
        }
    }
    e.cfg.reset();
    CHECK(e.read_port(4) == bytes("QEMU"));
}
