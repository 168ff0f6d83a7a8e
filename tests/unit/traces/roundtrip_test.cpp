// Writing a session and reading it back: every event kind, the header, blobs, chunking.
#include "test_support.h"

using namespace rr86::trace;
using namespace rr86::trace::test;

TEST_CASE("a written trace reads back event for event") {
    ScratchDir dir;
    auto events = sample_events(20000);
    WriterOptions options;
    options.events_per_chunk = 1000; // many chunks
    write_trace(dir.file("t.rr86"), events, options);

    auto reader = TraceReader::open(dir.file("t.rr86"));
    REQUIRE_OK(reader);
    CHECK(reader->has_index());
    CHECK(reader->notes().empty());
    CHECK(reader->index().event_chunks().size() > 20);
    auto back = read_all(*reader);
    CHECK(reader->status().ok());
    REQUIRE(back.size() == events.size());
    for (size_t i = 0; i < events.size(); ++i) {
        INFO("event " << i);
        CHECK(back[i] == events[i]);
    }
}

TEST_CASE("the header round-trips with the writer's versions") {
    ScratchDir dir;
    write_trace(dir.file("t.rr86"), sample_events(10));
    auto reader = TraceReader::open(dir.file("t.rr86"));
    REQUIRE(reader.ok());
    Header expected = sample_header();
    expected.format_version = kFormatVersion;
    expected.min_reader_version = kWriterMinReaderVersion;
    CHECK(reader->header() == expected);
}

TEST_CASE("blobs are stored once and read back by digest") {
    ScratchDir dir;
    auto events = sample_events(20000);
    write_trace(dir.file("t.rr86"), events);
    auto reader = TraceReader::open(dir.file("t.rr86"));
    REQUIRE(reader.ok());
    CHECK(reader->index().blob_count() == 3); // lba 0, 1, 2 although read more often
    for (uint64_t lba = 0; lba < 3; ++lba) {
        auto bytes = reader->blob(digest_of(sector_bytes(lba)));
        REQUIRE(bytes.ok());
        CHECK(*bytes == sector_bytes(lba));
    }
    auto missing = reader->blob(Digest128{1, 1});
    CHECK_FALSE(missing.ok());
}
