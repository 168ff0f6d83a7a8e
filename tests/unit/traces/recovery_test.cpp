// Crash safety: a file cut anywhere (what SIGKILL leaves) still yields every complete chunk, and
// repair writes the index back; the writer flushes without being asked.
#include "test_support.h"

#include "traces/repair.h"
#include "traces/verify.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

using namespace rr86::trace;
using namespace rr86::trace::test;

namespace {

// Every event of `got` equals the event at the same position in `all`.
void check_prefix(const std::vector<Event>& got, const std::vector<Event>& all) {
    REQUIRE(got.size() <= all.size());
    for (size_t i = 0; i < got.size(); ++i) {
        INFO("event " << i);
        REQUIRE(got[i] == all[i]);
    }
}

struct Written {
    std::vector<Event> events;
    std::vector<uint8_t> bytes;
    TraceIndex index;
    uint64_t chunks_end = 0;
};

Written write_sample(const ScratchDir& dir) {
    Written w;
    w.events = sample_events(8000);
    WriterOptions options;
    options.events_per_chunk = 700;
    write_trace(dir.file("full.rr86"), w.events, options);
    w.bytes = read_file(dir.file("full.rr86"));
    auto reader = TraceReader::open(dir.file("full.rr86"));
    REQUIRE_OK(reader);
    w.index = reader->index();
    w.chunks_end = reader->chunks_end();
    return w;
}

// How many events the chunks wholly inside the first `size` bytes hold.
size_t events_within(const Written& w, uint64_t size) {
    size_t n = 0;
    for (const ChunkEntry& c : w.index.chunks()) {
        if (c.offset + c.frame.total_bytes() > size) break;
        if (c.frame.kind == ChunkKind::Events) n += c.frame.count;
    }
    return n;
}

} // namespace

TEST_CASE("a file cut at any point keeps its complete chunks, and repair restores the index") {
    ScratchDir dir;
    Written w = write_sample(dir);
    std::vector<uint64_t> cuts;
    uint64_t header_end = w.index.chunks().front().offset;
    for (const ChunkEntry& c : w.index.chunks()) {
        cuts.push_back(c.offset);                             // on a boundary
        cuts.push_back(c.offset + 10);                        // inside the frame header
        cuts.push_back(c.offset + ChunkFrame::kSize + 3);     // inside the payload
        cuts.push_back(c.offset + c.frame.total_bytes() - 1); // one byte short
    }
    cuts.push_back(w.chunks_end + 20);  // inside the index
    cuts.push_back(w.bytes.size() - 1); // inside the trailer
    cuts.push_back(header_end);         // header only
    for (uint64_t cut : cuts) {
        CAPTURE(cut);
        std::string path = dir.file("cut.rr86");
        write_file(path, {w.bytes.begin(), w.bytes.begin() + static_cast<long>(cut)});

        auto reader = TraceReader::open(path);
        REQUIRE_OK(reader);
        CHECK_FALSE(reader->has_index());
        CHECK_FALSE(reader->notes().empty());
        auto got = read_all(*reader);
        CHECK_OK(reader->status());
        CHECK(got.size() == events_within(w, cut));
        check_prefix(got, w.events);

        auto report = repair_trace(path);
        REQUIRE_OK(report);
        CHECK_FALSE(report->had_index);
        CHECK(report->events == got.size());
        auto repaired = TraceReader::open(path);
        REQUIRE_OK(repaired);
        CHECK(repaired->has_index());
        CHECK(read_all(*repaired) == got);
        auto verdict = verify_trace(*repaired);
        CHECK_MESSAGE(verdict.ok(), (verdict.ok() ? "" : verdict.problems.front()));
    }
}

TEST_CASE("repair leaves a good file alone and refuses damage that is not a torn tail") {
    ScratchDir dir;
    Written w = write_sample(dir);
    auto report = repair_trace(dir.file("full.rr86"));
    REQUIRE_OK(report);
    CHECK(report->had_index);
    CHECK(read_file(dir.file("full.rr86")) == w.bytes);

    // A flipped payload byte in the third chunk, index gone: the chunk is damaged, not torn.
    auto bytes = w.bytes;
    bytes.resize(w.chunks_end);
    bytes[w.index.chunks()[2].offset + ChunkFrame::kSize + 5] ^= 0x40;
    write_file(dir.file("bad.rr86"), bytes);
    auto refused = repair_trace(dir.file("bad.rr86"));
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.message().find("chunk 2") != std::string::npos);
    CHECK(read_file(dir.file("bad.rr86")) == bytes); // untouched

    // A damaged frame header in the middle, with chunks after it.
    bytes = w.bytes;
    bytes.resize(w.chunks_end);
    bytes[w.index.chunks()[3].offset + 1] ^= 0xff;
    write_file(dir.file("bad2.rr86"), bytes);
    refused = repair_trace(dir.file("bad2.rr86"));
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.message().find("not a torn tail") != std::string::npos);
}

TEST_CASE("a damaged index is ignored for a walk of the frames, and repair rewrites it") {
    ScratchDir dir;
    Written w = write_sample(dir);
    auto bytes = w.bytes;
    bytes[w.chunks_end + ChunkFrame::kSize + 2] ^= 0x01; // index payload
    write_file(dir.file("t.rr86"), bytes);
    auto reader = TraceReader::open(dir.file("t.rr86"));
    REQUIRE_OK(reader);
    CHECK_FALSE(reader->has_index());
    REQUIRE_FALSE(reader->notes().empty());
    CHECK(reader->notes().front().find("index at offset") != std::string::npos);
    CHECK(read_all(*reader) == w.events);
    CHECK_FALSE(verify_trace(*reader).ok());

    auto report = repair_trace(dir.file("t.rr86"));
    REQUIRE_OK(report);
    CHECK(read_file(dir.file("t.rr86")) == w.bytes); // the same index, byte for byte
}

TEST_CASE("the writer flushes on its own within the flush interval") {
    ScratchDir dir;
    std::string path = dir.file("live.rr86");
    auto writer = TraceWriter::create(path, sample_header());
    REQUIRE_OK(writer);
    for (uint64_t i = 0; i < 1000; ++i)
        (*writer)->port_access(i * 10, 0x80, 1, true, i & 0xff);
    auto start = std::chrono::steady_clock::now();
    size_t seen = 0;
    while (seen < 1000 && std::chrono::steady_clock::now() - start < std::chrono::seconds(5)) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        auto reader = TraceReader::open(path);
        REQUIRE_OK(reader);
        seen = read_all(*reader).size();
    }
    auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - start);
    MESSAGE("appended events visible to a reader after " << waited.count() << " ms");
    CHECK(seen == 1000);
    REQUIRE_OK((*writer)->close());
}

TEST_CASE("a host-side event is written at once") {
    ScratchDir dir;
    std::string path = dir.file("live.rr86");
    WriterOptions options;
    options.flush_interval = std::chrono::hours(1); // only the host event can cause a write
    auto writer = TraceWriter::create(path, sample_header(), options);
    REQUIRE_OK(writer);
    (*writer)->port_access(10, 0x80, 1, true, 1);
    (*writer)->append(20, MonitorCommand{"stop"});
    size_t seen = 0;
    auto start = std::chrono::steady_clock::now();
    while (seen < 2 && std::chrono::steady_clock::now() - start < std::chrono::seconds(5)) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        auto reader = TraceReader::open(path);
        REQUIRE_OK(reader);
        seen = read_all(*reader).size();
    }
    CHECK(seen == 2);
    REQUIRE_OK((*writer)->close());
}

TEST_CASE("SIGKILL mid-recording: every complete chunk is recovered, repair restores the index") {
    ScratchDir dir;
    std::string path = dir.file("killed.rr86");
    pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        // The recorder: appends forever, in icount order.
        auto writer = TraceWriter::create(path, sample_header());
        if (!writer) _exit(3);
        for (uint64_t i = 0;; ++i) {
            (*writer)->port_access(i * 3, 0x402, 1, true, 'a' + i % 26);
            if (i % 4096 == 0) std::this_thread::sleep_for(std::chrono::microseconds(200));
        }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
    kill(child, SIGKILL);
    int status = 0;
    waitpid(child, &status, 0);
    REQUIRE(WIFSIGNALED(status));

    auto reader = TraceReader::open(path);
    REQUIRE_OK(reader);
    CHECK_FALSE(reader->has_index());
    auto got = read_all(*reader);
    CHECK_OK(reader->status());
    MESSAGE("recovered " << got.size() << " events from the killed recorder");
    CHECK(got.size() > 0);
    size_t wrong = 0;
    for (size_t i = 0; i < got.size(); ++i)
        wrong += got[i].icount != i * 3;
    CHECK(wrong == 0);
    auto report = repair_trace(path);
    REQUIRE_OK(report);
    auto repaired = TraceReader::open(path);
    REQUIRE_OK(repaired);
    CHECK(repaired->has_index());
    CHECK(read_all(*repaired).size() == got.size());
    CHECK(verify_trace(*repaired).ok());
}
