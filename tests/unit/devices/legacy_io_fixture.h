// Test bench for the device models: real PhysMap/IoPorts/VirtualClock, recording doubles for
// InterruptLines and Platform, port I/O and PCI configuration (mechanism #1) helpers. The clock
// runs at shift 0 (1 ns per instruction), so virtual time in ns is the icount, and advance() stops
// at every timer deadline as the run loop does.
#pragma once

#include "devices/device.h"

#include <doctest/doctest.h>

#include <array>
#include <cstdint>
#include <utility>
#include <vector>

namespace rr86::test {

struct RecordingIrq : InterruptLines {
    struct Change {
        unsigned line;
        bool level;
        uint64_t ns;
    };
    explicit RecordingIrq(const uint64_t& now) : now_(now) {}
    void set_irq(unsigned line, bool level) override {
        if (line < 16) levels[line] = level;
        log.push_back({line, level, now_});
    }
    bool level(unsigned line) const { return levels[line]; }
    // Times of the low-to-high transitions on `line` since the last clear().
    std::vector<uint64_t> rises(unsigned line) const { return edges(line, true); }
    std::vector<uint64_t> falls(unsigned line) const { return edges(line, false); }
    std::vector<uint64_t> edges(unsigned line, bool rising) const {
        std::vector<uint64_t> out;
        bool prev = baseline[line];
        for (const Change& c : log) {
            if (c.line != line) continue;
            if (c.level != prev && c.level == rising) out.push_back(c.ns);
            prev = c.level;
        }
        return out;
    }
    void clear() {
        log.clear();
        baseline = levels;
    }

    std::array<bool, 16> levels{};
    std::array<bool, 16> baseline{};
    std::vector<Change> log;

  private:
    const uint64_t& now_;
};

struct RecordingPlatform : Platform {
    void request_reset(ResetSource source) override { resets.push_back(source); }
    void request_shutdown() override { ++shutdowns; }
    void request_exit(int status) override { exits.push_back(status); }
    void set_a20(bool enabled) override {
        a20_ = enabled;
        a20_writes.push_back(enabled);
    }
    bool a20() const override { return a20_; }

    std::vector<ResetSource> resets;
    std::vector<int> exits;
    std::vector<bool> a20_writes;
    int shutdowns = 0;
    bool a20_ = true;
};

struct Bench {
    explicit Bench(uint64_t ram_bytes = 1u << 20) : mem(ram_bytes) {}

    uint64_t icount = 0;
    PhysMap mem;
    IoPorts io;
    VirtualClock clock{icount, 0};
    RecordingIrq irq{icount};
    RecordingPlatform platform;
    DeviceContext ctx{mem, io, clock, irq, platform};

    uint64_t now() const { return clock.now_ns(); }
    // Runs virtual time forward to `ns`, firing each timer exactly at its deadline.
    void run_until(uint64_t ns) {
        for (;;) {
            uint64_t next = clock.next_deadline_icount();
            if (next > ns) break;
            if (next > icount) icount = next;
            clock.run_expired();
        }
        if (ns > icount) icount = ns;
        clock.run_expired();
    }
    void advance(uint64_t ns) { run_until(icount + ns); }

    uint8_t in8(uint16_t port) { return uint8_t(io.read(port, 1)); }
    uint16_t in16(uint16_t port) { return uint16_t(io.read(port, 2)); }
    uint32_t in32(uint16_t port) { return io.read(port, 4); }
    void out8(uint16_t port, uint8_t v) { io.write(port, 1, v); }
    void out16(uint16_t port, uint16_t v) { io.write(port, 2, v); }
    void out32(uint16_t port, uint32_t v) { io.write(port, 4, v); }

    // PCI configuration space through CONFIG_ADDRESS (0xCF8) and CONFIG_DATA (0xCFC + reg & 3).
    static uint32_t pci_address(unsigned dev, unsigned fn, unsigned reg, unsigned bus = 0) {
        return 0x80000000u | bus << 16 | dev << 11 | fn << 8 | (reg & 0xfc);
    }
    uint32_t pci_read(unsigned dev, unsigned fn, unsigned reg, unsigned size) {
        io.write(0xcf8, 4, pci_address(dev, fn, reg));
        return io.read(uint16_t(0xcfc + (reg & 3)), size);
    }
    void pci_write(unsigned dev, unsigned fn, unsigned reg, unsigned size, uint32_t v) {
        io.write(0xcf8, 4, pci_address(dev, fn, reg));
        io.write(uint16_t(0xcfc + (reg & 3)), size, v);
    }
};

} // namespace rr86::test
