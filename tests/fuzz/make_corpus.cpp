// Writes the seed corpus of the trace reader fuzzer: a few small traces, valid and damaged in
// the ways a crash or a bad disk damages them.
//
//   trace_fuzz_corpus DIR      (the committed copy lives in tests/fuzz/corpus/)
#include "traces/reader.h"
#include "traces/writer.h"

#include <fmt/core.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

using namespace rr86::trace;

namespace {

std::vector<uint8_t> load(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void save(const std::filesystem::path& path, const std::vector<uint8_t>& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
}

Header header() {
    Header h;
    h.rr86_version = "corpus";
    h.options = {{"m", "16M"}};
    h.machine.ram_bytes = 16u << 20;
    h.machine.cpu_model = "486";
    h.images = {{ImageRole::Firmware, "bios", "bios.bin", 65536, std::string(32, '0')}};
    return h;
}

// Every event kind, a blob, several chunks.
void write_session(const std::string& path, uint32_t per_chunk, int accesses) {
    WriterOptions options;
    options.events_per_chunk = per_chunk;
    auto writer = TraceWriter::create(path, header(), options);
    if (!writer) throw std::runtime_error(writer.message());
    TraceWriter& w = **writer;
    uint64_t icount = 10;
    w.append(icount, RunstateChange{Runstate::Prelaunch, Runstate::Running});
    for (int i = 0; i < accesses; ++i) {
        icount += (i % 5 == 0) ? 70000 : i % 13;
        if (i % 3 == 0)
            w.port_access(icount, 0x70, 1, true, i & 0x7f);
        else if (i % 3 == 1)
            w.port_access(icount, 0xcfc, 4, false, 0x12345678u + i);
        else
            w.mmio_access(icount, 0xfed00000 + i, 8, false, ~uint64_t{0} / (i + 1));
        if (i % 17 == 0) w.port_access(icount, 0x510, 2, true, 0x19);
    }
    std::vector<uint8_t> sector(64, 0xaa);
    Digest128 data = w.add_data(sector);
    w.append(icount, DiskRead{0, 1, 1, data});
    w.append(icount += 5, Interrupt{0x08});
    w.append(icount, MonitorCommand{"system_reset"});
    w.append(icount, Hotplug{true, "d1", "drive=x"});
    w.append(icount, SerialInput{0, {'y', '\n'}});
    w.append(icount += 5, GuestRequest{RequestKind::ResetCf9, 6});
    w.append(icount += 2, RequestApplied{RequestKind::ResetCf9, icount - 2});
    w.append(icount, Checkpoint{1, {1, 2}, data});
    w.append(icount += 9, End{Outcome::TripleFault, 0, {3, 4}});
    if (auto st = w.close(); !st) throw std::runtime_error(st.message());
}

} // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        fmt::print(stderr, "usage: trace_fuzz_corpus DIR\n");
        return 2;
    }
    std::filesystem::path dir = argv[1];
    std::filesystem::create_directories(dir);
    std::string scratch = (dir / "scratch.tmp").string();

    write_session(scratch, 12, 60);
    auto valid = load(scratch);
    save(dir / "valid_chunks", valid);
    auto reader = TraceReader::open(scratch);
    if (!reader) throw std::runtime_error(reader.message());
    uint64_t end = reader->chunks_end();
    const auto& chunks = reader->index().chunks();

    save(dir / "no_index", {valid.begin(), valid.begin() + static_cast<long>(end)});
    uint64_t torn = chunks[chunks.size() / 2].offset + ChunkFrame::kSize + 3;
    save(dir / "torn_chunk", {valid.begin(), valid.begin() + static_cast<long>(torn)});
    auto flipped = valid;
    flipped[chunks[1].offset + ChunkFrame::kSize + 4] ^= 0x20;
    save(dir / "flipped_payload", flipped);
    auto header_only = valid;
    header_only.resize(chunks.front().offset);
    save(dir / "header_only", header_only);

    write_session(scratch, 4096, 300);
    save(dir / "one_chunk", load(scratch));
    std::filesystem::remove(scratch);
    fmt::print("corpus written to {}\n", dir.string());
    return 0;
}
