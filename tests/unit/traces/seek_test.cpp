// Seeking by icount reads the chunk that holds it and nothing before it, with an index and
// (frame headers only) without one.
#include "test_support.h"

#include "traces/byte_source.h"

#include <algorithm>
#include <utility>

using namespace rr86::trace;
using namespace rr86::trace::test;

namespace {

// A memory source that remembers every read.
class CountingSource final : public ByteSource {
  public:
    CountingSource(std::vector<uint8_t> bytes, std::vector<std::pair<uint64_t, size_t>>& reads)
        : ByteSource("counting"), bytes_(std::move(bytes)), inner_(bytes_, "counting"),
          reads_(reads) {}
    uint64_t size() const override { return bytes_.size(); }
    Status read_at(uint64_t offset, void* out, size_t size) const override {
        reads_.emplace_back(offset, size);
        return inner_.read_at(offset, out, size);
    }

  private:
    std::vector<uint8_t> bytes_;
    MemorySource inner_;
    std::vector<std::pair<uint64_t, size_t>>& reads_;
};

// Bytes of chunk payloads (beyond the frame header) read below `limit`.
uint64_t payload_bytes_read_before(const TraceIndex& index, uint64_t limit,
                                   const std::vector<std::pair<uint64_t, size_t>>& reads) {
    uint64_t total = 0;
    for (const ChunkEntry& c : index.chunks()) {
        if (c.offset >= limit) break;
        uint64_t begin = c.offset + ChunkFrame::kSize, end = c.offset + c.frame.total_bytes();
        for (auto [at, n] : reads) {
            uint64_t lo = std::max(at, begin), hi = std::min(at + n, end);
            if (lo < hi) total += hi - lo;
        }
    }
    return total;
}

void check_seek(std::vector<uint8_t> bytes, const std::vector<Event>& events) {
    std::vector<std::pair<uint64_t, size_t>> reads;
    auto reader = TraceReader::open(std::make_unique<CountingSource>(std::move(bytes), reads));
    REQUIRE_OK(reader);
    const auto& index = reader->index();
    REQUIRE(index.event_chunks().size() > 10);
    const ChunkEntry& target = index.chunks()[index.event_chunks()[7]];
    uint64_t icount = target.frame.first_icount + 1;
    REQUIRE_OK(reader->seek(icount));
    CHECK(payload_bytes_read_before(index, target.offset, reads) == 0);

    Event event;
    REQUIRE(reader->next(event));
    auto expected = std::find_if(events.begin(), events.end(),
                                 [&](const Event& e) { return e.icount >= icount; });
    REQUIRE(expected != events.end());
    CHECK(event == *expected);
    // The cursor continues into the following chunks in order.
    size_t rest = 1;
    while (reader->next(event))
        ++rest;
    CHECK(rest == static_cast<size_t>(events.end() - expected));
}

} // namespace

TEST_CASE("seek reads the target chunk only (with an index)") {
    ScratchDir dir;
    auto events = sample_events(30000);
    WriterOptions options;
    options.events_per_chunk = 1000;
    write_trace(dir.file("t.rr86"), events, options);
    check_seek(read_file(dir.file("t.rr86")), events);
}

TEST_CASE("seek reads frame headers only before the target (no index)") {
    ScratchDir dir;
    auto events = sample_events(30000);
    WriterOptions options;
    options.events_per_chunk = 1000;
    write_trace(dir.file("t.rr86"), events, options);
    auto bytes = read_file(dir.file("t.rr86"));
    auto reader = TraceReader::open(dir.file("t.rr86"));
    REQUIRE_OK(reader);
    bytes.resize(reader->chunks_end()); // drop index and trailer: what a killed writer leaves
    check_seek(bytes, events);
}

TEST_CASE("seek edge cases") {
    ScratchDir dir;
    auto events = sample_events(5000);
    WriterOptions options;
    options.events_per_chunk = 500;
    write_trace(dir.file("t.rr86"), events, options);
    auto reader = TraceReader::open(dir.file("t.rr86"));
    REQUIRE_OK(reader);
    Event event;

    SUBCASE("before the first event") {
        REQUIRE_OK(reader->seek(0));
        REQUIRE(reader->next(event));
        CHECK(event == events.front());
    }
    SUBCASE("exactly the last event") {
        REQUIRE_OK(reader->seek(events.back().icount));
        REQUIRE(reader->next(event));
        CHECK(event == events.back());
        CHECK_FALSE(reader->next(event));
        CHECK(reader->status().ok());
    }
    SUBCASE("past the end") {
        REQUIRE_OK(reader->seek(events.back().icount + 1));
        CHECK_FALSE(reader->next(event));
        CHECK(reader->status().ok());
    }
    SUBCASE("events sharing an icount across a chunk boundary") {
        TraceIndex const& index = reader->index();
        for (size_t k = 1; k < index.event_chunks().size(); ++k) {
            const auto& prev = index.chunks()[index.event_chunks()[k - 1]].frame;
            const auto& next = index.chunks()[index.event_chunks()[k]].frame;
            if (prev.last_icount != next.first_icount) continue;
            REQUIRE_OK(reader->seek(next.first_icount));
            REQUIRE(reader->next(event));
            auto first = std::find_if(events.begin(), events.end(), [&](const Event& e) {
                return e.icount == next.first_icount;
            });
            CHECK(event == *first);
        }
    }
}

TEST_CASE("same icount for many events, and huge icount gaps") {
    ScratchDir dir;
    std::vector<Event> events;
    for (int i = 0; i < 3000; ++i)
        events.push_back({5, PortAccess{0x511, 1, false, uint32_t(i & 0xff)}});
    events.push_back({uint64_t{1} << 62, PortAccess{0x80, 1, true, 1}});
    events.push_back({~uint64_t{0}, End{Outcome::Hang, 0, {}}});
    WriterOptions options;
    options.events_per_chunk = 1000;
    write_trace(dir.file("t.rr86"), events, options);
    auto reader = TraceReader::open(dir.file("t.rr86"));
    REQUIRE_OK(reader);
    CHECK(read_all(*reader) == events);
    REQUIRE_OK(reader->seek(5));
    Event event;
    REQUIRE(reader->next(event));
    CHECK(event == events.front());
    REQUIRE_OK(reader->seek(6));
    REQUIRE(reader->next(event));
    CHECK(event.icount == uint64_t{1} << 62);
}
