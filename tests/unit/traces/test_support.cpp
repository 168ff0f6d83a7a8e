#include "test_support.h"

#include <unistd.h>

#include <cstring>
#include <random>

namespace rr86::trace::test {

ScratchDir::ScratchDir() {
    static int counter = 0;
    path_ = std::filesystem::temp_directory_path() /
            ("rr86-trace-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
}

ScratchDir::~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
}

Header sample_header() {
    Header h;
    h.rr86_version = "0.1.0-test";
    h.options = {{"machine", "pc"},
                 {"m", "128M"},
                 {"bios", "/usr/share/seabios/bios.bin"},
                 {"reset-delivery", "sync"}};
    h.machine.ram_bytes = 128u << 20;
    h.machine.cpu_model = "pentium3";
    h.machine.reset_delivery = ResetDelivery::Async;
    h.machine.fw_cfg_refresh = FwCfgRefresh::ResetOnly;
    h.machine.rtc_start = 1700000000;
    h.machine.icount_shift = 3;
    h.images = {{ImageRole::Firmware, "bios", "/usr/share/seabios/bios.bin", 131072,
                 "0123456789abcdef0123456789abcdef"},
                {ImageRole::FwCfgBlob, "opt/GuestInfo", "", 5, "fedcba9876543210fedcba9876543210"}};
    return h;
}

std::vector<uint8_t> sector_bytes(uint64_t lba) {
    std::vector<uint8_t> bytes(512);
    for (size_t i = 0; i < bytes.size(); ++i)
        bytes[i] = static_cast<uint8_t>(lba * 7 + i);
    std::memcpy(bytes.data(), &lba, sizeof lba); // one content per lba
    return bytes;
}

std::vector<Event> sample_events(size_t n_accesses) {
    std::vector<Event> events;
    std::mt19937_64 rng(42);
    uint64_t icount = 100;
    events.push_back({icount, RunstateChange{Runstate::Prelaunch, Runstate::Running}});
    for (size_t i = 0; i < n_accesses; ++i) {
        icount += rng() % 40;
        switch (i % 7) {
        case 0: events.push_back({icount, PortAccess{0x70, 1, true, uint32_t(i % 0x80)}}); break;
        case 1:
            events.push_back({icount, PortAccess{0x71, 1, false, uint32_t(rng() & 0xff)}});
            break;
        case 2:
            events.push_back({icount, PortAccess{0xcf8, 4, true, 0x80000000u | uint32_t(i)}});
            break;
        case 3: events.push_back({icount, PortAccess{0xcfc, 2, false, 0x8086}}); break;
        case 4:
            events.push_back({icount, MmioAccess{0xfee00000 + 0x10 * (i % 4), 4, true, i}});
            break;
        case 5:
            events.push_back({icount, MmioAccess{0xfed00000, 8, false, ~uint64_t{0} - i}});
            break;
        default:
            events.push_back({icount, PortAccess{0x402, 1, true, uint32_t('a' + i % 26)}});
            break;
        }
        if (i % 1000 == 500) events.push_back({icount, Interrupt{0x08}});
        if (i % 5000 == 1234) {
            uint64_t lba = i % 3; // repeats: exercises deduplication
            events.push_back({icount, DiskRead{0, lba, 1, digest_of(sector_bytes(lba))}});
        }
    }
    icount += 10;
    events.push_back({icount, MonitorCommand{"info registers"}});
    events.push_back({icount, Hotplug{true, "ide1-hd0", "drive=d1,bus=ide.1"}});
    events.push_back({icount, SerialInput{0, {'h', 'i', 0, '\n'}}});
    icount += 5;
    events.push_back({icount, GuestRequest{RequestKind::ResetCf9, 0x06}});
    icount += 3;
    events.push_back({icount, RequestApplied{RequestKind::ResetCf9, icount - 3}});
    events.push_back({icount, Checkpoint{7, {1, 2}, {}}});
    icount += 1000;
    events.push_back({icount, End{Outcome::Exit, 3, {0xabc, 0xdef}}});
    return events;
}

void write_trace(const std::string& path, const std::vector<Event>& events, WriterOptions options) {
    auto writer = TraceWriter::create(path, sample_header(), options);
    REQUIRE_OK(writer);
    for (const Event& e : events) {
        if (auto* d = e.get<DiskRead>()) {
            Digest128 got = (*writer)->add_data(sector_bytes(d->lba));
            CHECK(got == d->data);
        }
        (*writer)->append(e);
    }
    auto st = (*writer)->close();
    REQUIRE_OK(st);
}

std::vector<Event> read_all(TraceReader& reader) {
    std::vector<Event> out;
    Event e;
    while (reader.next(e))
        out.push_back(e);
    return out;
}

std::vector<uint8_t> read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_file(const std::string& path, const std::vector<uint8_t>& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
}

} // namespace rr86::trace::test
