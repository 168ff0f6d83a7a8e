// trace_bench: write and read a synthetic SeaBIOS-like stream of port I/O through TraceWriter and
// TraceReader; prints events/s written and read and compressed bytes per event (issue 4 goals:
// >= 20 M events/s written on one core, <= 1 byte per access).
//
//   trace_bench [--events N] [--file PATH] [--level L] [--chunk N] [--keep]
//
// The stream is generated before timing starts. It walks through the phases of a firmware boot
// the way SeaBIOS does them on QEMU's pc machine, with loop-shaped icount gaps and data that
// varies (PIT counters follow icount, console lines carry numbers, fw_cfg files are ACPI-like
// bytes), so the compressor cannot just match one boot against the next.
#include "traces/reader.h"
#include "traces/writer.h"

#include <fmt/core.h>

#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

using namespace rr86::trace;

namespace {

struct Access {
    uint64_t icount;
    uint64_t address;
    uint32_t value;
    uint8_t size;
    bool write;
    bool mmio;
};

// Small deterministic generator: the same stream on every run and every machine.
class Rng {
  public:
    explicit Rng(uint64_t seed) : s_(seed) {}
    uint64_t next() {
        s_ ^= s_ << 13;
        s_ ^= s_ >> 7;
        s_ ^= s_ << 17;
        return s_;
    }
    uint32_t below(uint32_t n) { return static_cast<uint32_t>(next() % n); }

  private:
    uint64_t s_;
};

class SeabiosLikeStream {
  public:
    explicit SeabiosLikeStream(size_t target) { out_.reserve(target + 4096); }

    std::vector<Access> generate(size_t target) {
        while (out_.size() < target) {
            switch (rng_.below(10)) {
            case 0: cmos(); break;
            case 1:
            case 2: console(); break;
            case 3: pci_scan(); break;
            case 4:
            case 5: pit_delay(); break;
            case 6: lapic(); break;
            default: fw_cfg_file(); break;
            }
            icount_ += 200 + rng_.below(5000); // code between phases
        }
        out_.resize(target);
        return std::move(out_);
    }

  private:
    void io(uint64_t gap, uint16_t port, uint8_t size, bool write, uint32_t value) {
        icount_ += gap;
        out_.push_back({icount_, port, value, size, write, false});
    }
    void mmio(uint64_t gap, uint64_t address, bool write, uint32_t value) {
        icount_ += gap;
        out_.push_back({icount_, address, value, 4, write, true});
    }

    // rtc_read(): outb(index | NMI_DISABLE, 0x70); inb(0x71).
    void cmos() {
        static const uint8_t regs[] = {0x0a, 0x0b, 0x0c, 0x0d, 0x0f, 0x10, 0x12, 0x14,
                                       0x15, 0x16, 0x17, 0x18, 0x30, 0x31, 0x34, 0x35,
                                       0x38, 0x3d, 0x5b, 0x5c, 0x5d, 0x5f};
        int n = 4 + rng_.below(16);
        for (int i = 0; i < n; ++i) {
            uint8_t reg = regs[rng_.below(sizeof regs)];
            io(9 + rng_.below(3), 0x70, 1, true, 0x80 | reg);
            uint32_t value = reg == 0x0a ? (0x26 | (rng_.below(8) == 0 ? 0x80 : 0)) : reg * 3u;
            io(4, 0x71, 1, false, value & 0xff);
        }
    }

    // dprintf() to the debug console: one outb(c, 0x402) per character.
    void console() {
        static const char* formats[] = {
            "SeaBIOS (version rel-1.16.2-0-gea1b7a073390-prebuilt.qemu.org)\n",
            "BUILD: gcc: (GCC) 8.5.0 binutils: version 2.38\n",
            "Found %u PCI devices (max PCI bus is 00)\n",
            "PCI: init bdf=00:%02x.0 id=8086:%04x\n",
            "RamSize: 0x%08x [cmos]\n",
            "Relocating init from 0x000d%04x to 0x07fa%04x (size %u)\n",
            "tsc calibrate start=%u end=%u diff=%u\n",
            "CPU Mhz=%u\n",
            "=== PCI new allocation pass #%u ===\n",
            "PCI: map device bdf=00:%02x.0  bar %u, addr 0x%08x, size 0x%05x [mem]\n",
            "ATA controller %u at 1f0/3f4/0 (irq 14 dev %x)\n",
            "ata0-0: QEMU HARDDISK ATA-7 Hard-Disk (%u MiBytes)\n",
            "Searching bootorder for: /pci@i0cf8/*@1,1/drive@0/disk@%u\n",
            "Booting from Hard Disk...\n",
        };
        char line[160];
        const char* f = formats[rng_.below(sizeof formats / sizeof *formats)];
        std::snprintf(line, sizeof line, f, rng_.below(4096), rng_.below(65536),
                      rng_.below(1u << 30), rng_.below(100000));
        for (const char* c = line; *c; ++c)
            io(23 + (rng_.below(16) == 0 ? 7 : 0), 0x402, 1, true, static_cast<uint8_t>(*c));
    }

    // pci_probe_devices(): outl(0x80000000 | bdf << 8 | reg, 0xcf8); inw/inl(0xcfc).
    void pci_scan() {
        for (uint32_t bdf = 0; bdf < 256; bdf += 1 + (bdf % 8 == 0 ? 0 : 7)) {
            uint32_t address = 0x80000000u | bdf << 8;
            io(14, 0xcf8, 4, true, address);
            bool present = bdf < 0x30 && bdf % 8 == 0;
            io(3, 0xcfc, 2, false, present ? 0x8086 : 0xffff);
            if (!present) continue;
            for (uint32_t reg = 0x08; reg <= 0x24; reg += 4) {
                io(14, 0xcf8, 4, true, address | reg);
                io(3, 0xcfc, 4, false, reg == 0x08 ? 0x06010000u : reg >= 0x10 ? 0x0000fd01u : 0);
                if (reg < 0x10) continue;
                io(17, 0xcf8, 4, true, address | reg); // BAR sizing
                io(3, 0xcfc, 4, true, 0xffffffff);
                io(14, 0xcf8, 4, true, address | reg);
                io(3, 0xcfc, 4, false, 0xfffff000);
            }
        }
    }

    // udelay()/timer calibration: latch channel 0, read the count low then high.
    void pit_delay() {
        io(12, 0x43, 1, true, 0x34);
        io(6, 0x40, 1, true, 0xff);
        io(6, 0x40, 1, true, 0xff);
        int n = 20 + rng_.below(200);
        for (int i = 0; i < n; ++i) {
            io(11, 0x43, 1, true, 0x00);
            uint32_t count = 0xffff - static_cast<uint32_t>((icount_ / 3) & 0xffff);
            io(4, 0x40, 1, false, count & 0xff);
            io(4, 0x40, 1, false, count >> 8);
        }
    }

    // SMP init and the local APIC timer: a few MMIO accesses.
    void lapic() {
        static const uint32_t regs[] = {0x20, 0x30, 0xf0, 0x300, 0x310, 0x320, 0x350, 0x380, 0x390};
        int n = 4 + rng_.below(20);
        for (int i = 0; i < n; ++i) {
            uint32_t reg = regs[rng_.below(sizeof regs / sizeof *regs)];
            bool write = rng_.below(2) == 0;
            mmio(30 + rng_.below(10), 0xfee00000u + reg, write,
                 write ? 0x000c4500u : static_cast<uint32_t>(icount_ & 0xffffff));
        }
    }

    // qemu_cfg_read(): outw(select, 0x510), then insb from 0x511 (one access per byte).
    void fw_cfg_file() {
        io(40, 0x510, 2, true, 0x19 + rng_.below(0x20));
        uint32_t size = 16 + rng_.below(rng_.below(8) == 0 ? 8192 : 512);
        uint8_t previous = 0;
        for (uint32_t i = 0; i < size; ++i) {
            io(1, 0x511, 1, false, acpi_like_byte(i, previous));
            previous = static_cast<uint8_t>(out_.back().value);
        }
    }

    // Firmware tables: mostly zeros and a few recurring bytes (AML opcodes, name segments),
    // some genuinely varying.
    uint8_t acpi_like_byte(uint32_t i, uint8_t previous) {
        static const uint8_t common[] = {0x08, 0x10, 0x14, 0x5b, 0x82, 0x5f, 'S',  'B',
                                         'P',  'C',  'I',  '0',  0x0a, 0x0b, 0x0c, 0xff};
        uint32_t r = rng_.below(100);
        if (r < 45) return 0;
        if (r < 60) return previous;
        if (r < 85) return common[rng_.below(16)];
        return static_cast<uint8_t>(rng_.next());
    }

    Rng rng_{0x5eab105};
    uint64_t icount_ = 1000;
    std::vector<Access> out_;
};

double cpu_seconds() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

double wall_seconds() {
    using namespace std::chrono;
    return duration<double>(steady_clock::now().time_since_epoch()).count();
}

struct Args {
    size_t events = 10'000'000;
    std::string file = (std::filesystem::temp_directory_path() / "rr86-trace-bench.rr86").string();
    WriterOptions options;
    bool keep = false;
};

bool parse(int argc, char** argv, Args& args) {
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto value = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
        const char* v = nullptr;
        if (a == "--keep")
            args.keep = true;
        else if (a == "--events" && (v = value()))
            args.events = std::stoull(v);
        else if (a == "--file" && (v = value()))
            args.file = v;
        else if (a == "--level" && (v = value()))
            args.options.zstd_level = std::stoi(v);
        else if (a == "--chunk" && (v = value()))
            args.options.events_per_chunk = static_cast<uint32_t>(std::stoul(v));
        else {
            fmt::print(stderr, "usage: trace_bench [--events N] [--file PATH] [--level L] "
                               "[--chunk N] [--keep]\n");
            return false;
        }
    }
    return true;
}

Header bench_header() {
    Header h;
    h.rr86_version = "trace_bench";
    h.options = {{"machine", "pc"}, {"m", "128M"}};
    h.machine.ram_bytes = 128u << 20;
    h.machine.cpu_model = "pentium3";
    return h;
}

} // namespace

int main(int argc, char** argv) {
    Args args;
    if (!parse(argc, argv, args)) return 2;
    fmt::print("generating {} SeaBIOS-like accesses...\n", args.events);
    std::vector<Access> stream = SeabiosLikeStream(args.events).generate(args.events);

    auto writer = TraceWriter::create(args.file, bench_header(), args.options);
    if (!writer) {
        fmt::print(stderr, "{}\n", writer.message());
        return 1;
    }
    double wall0 = wall_seconds(), cpu0 = cpu_seconds();
    TraceWriter& w = **writer;
    for (const Access& a : stream) {
        if (a.mmio)
            w.mmio_access(a.icount, a.address, a.size, a.write, a.value);
        else
            w.port_access(a.icount, static_cast<uint16_t>(a.address), a.size, a.write, a.value);
    }
    double append_cpu = cpu_seconds() - cpu0, append_wall = wall_seconds() - wall0;
    if (auto st = w.close(); !st) {
        fmt::print(stderr, "{}\n", st.message());
        return 1;
    }
    double write_wall = wall_seconds() - wall0;
    WriterStats stats = w.stats();

    double rwall0 = wall_seconds(), rcpu0 = cpu_seconds();
    auto reader = TraceReader::open(args.file);
    if (!reader) {
        fmt::print(stderr, "{}\n", reader.message());
        return 1;
    }
    Event event;
    size_t read = 0, mismatches = 0;
    while (reader->next(event)) {
        const Access& a = stream[read++];
        mismatches += event.icount != a.icount;
    }
    double read_wall = wall_seconds() - rwall0, read_cpu = cpu_seconds() - rcpu0;
    if (!reader->status().ok() || read != stream.size() || mismatches) {
        fmt::print(stderr, "read back {} of {} events, {} mismatches: {}\n", read, stream.size(),
                   mismatches, reader->status().message());
        return 1;
    }

    uint64_t event_bytes = 0;
    for (const ChunkEntry& c : reader->index().chunks())
        if (c.frame.kind == ChunkKind::Events) event_bytes += c.frame.total_bytes();
    double n = static_cast<double>(stream.size());
    double core_seconds = append_cpu + stats.writer_cpu_seconds;
    fmt::print("events                 {}\n", stream.size());
    fmt::print("zstd level / chunk     {} / {} events\n", args.options.zstd_level,
               args.options.events_per_chunk);
    fmt::print("append (vCPU thread)   {:.1f} M events/s ({:.2f} ns/event CPU)\n",
               n / append_cpu / 1e6, append_cpu / n * 1e9);
    fmt::print(
        "written, one core      {:.1f} M events/s (producer + writer thread CPU: {:.3f} s)\n",
        n / core_seconds / 1e6, core_seconds);
    fmt::print("written, wall clock    {:.1f} M events/s ({:.3f} s incl. close and fdatasync; "
               "appending alone {:.3f} s)\n",
               n / write_wall / 1e6, write_wall, append_wall);
    fmt::print("read (next())          {:.1f} M events/s wall, {:.1f} M events/s CPU\n",
               n / read_wall / 1e6, n / read_cpu / 1e6);
    fmt::print("compressed size        {:.3f} bytes/event in event chunks ({} bytes), "
               "file {} bytes, {} chunks\n",
               static_cast<double>(event_bytes) / n, event_bytes, stats.file_bytes, stats.chunks);
    fmt::print("producer waits         {}\n", stats.producer_waits);
    if (!args.keep) std::filesystem::remove(args.file);
    return 0;
}
