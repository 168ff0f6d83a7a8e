// The writer's contract: misuse is reported by close() and never corrupts what was written.
#include "test_support.h"

#include "traces/verify.h"

#include <chrono>
#include <thread>

using namespace rr86::trace;
using namespace rr86::trace::test;

TEST_CASE("events out of icount order stop the writer; the file stays valid up to them") {
    ScratchDir dir;
    auto writer = TraceWriter::create(dir.file("t.rr86"), sample_header());
    REQUIRE_OK(writer);
    (*writer)->port_access(100, 0x80, 1, true, 1);
    (*writer)->flush();
    for (int i = 0; i < 200 && (*writer)->stats().events == 0; ++i) {
        // wait until the first event is on disk (stats are only final after close)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        auto r = TraceReader::open(dir.file("t.rr86"));
        if (r && read_all(*r).size() == 1) break;
    }
    (*writer)->port_access(50, 0x80, 1, true, 2);
    auto st = (*writer)->close();
    REQUIRE_FALSE(st.ok());
    CHECK(st.message().find("icount 50 comes after icount 100") != std::string::npos);
    CHECK((*writer)->failed());
    auto reader = TraceReader::open(dir.file("t.rr86"));
    REQUIRE_OK(reader);
    CHECK(reader->has_index());
    auto events = read_all(*reader);
    REQUIRE(events.size() == 1);
    CHECK(events[0].icount == 100);
    CHECK(verify_trace(*reader).ok());
}

TEST_CASE("bad access sizes and values are refused") {
    ScratchDir dir;
    SUBCASE("size 3") {
        auto writer = TraceWriter::create(dir.file("t.rr86"), sample_header());
        REQUIRE_OK(writer);
        (*writer)->port_access(1, 0x80, 3, true, 1);
        auto st = (*writer)->close();
        REQUIRE_FALSE(st.ok());
        CHECK(st.message().find("size 3") != std::string::npos);
    }
    SUBCASE("port access of 8 bytes") {
        auto writer = TraceWriter::create(dir.file("t.rr86"), sample_header());
        REQUIRE_OK(writer);
        (*writer)->append(1, PortAccess{0x80, 8, true, 1});
        CHECK_FALSE((*writer)->close().ok());
    }
    SUBCASE("value wider than the access") {
        auto writer = TraceWriter::create(dir.file("t.rr86"), sample_header());
        REQUIRE_OK(writer);
        (*writer)->mmio_access(1, 0xfee00000, 2, true, 0x12345);
        auto st = (*writer)->close();
        REQUIRE_FALSE(st.ok());
        CHECK(st.message().find("wider than 2 bytes") != std::string::npos);
    }
    auto reader = TraceReader::open(dir.file("t.rr86"));
    REQUIRE_OK(reader);
    CHECK(read_all(*reader).empty());
}

TEST_CASE("create fails with one line for a path it cannot write") {
    auto writer = TraceWriter::create("/nonexistent-dir/t.rr86", sample_header());
    REQUIRE_FALSE(writer.ok());
    CHECK(writer.message() == "/nonexistent-dir/t.rr86: cannot create: No such file or directory");
}

TEST_CASE("close is idempotent, the destructor closes, stats add up") {
    ScratchDir dir;
    {
        auto writer = TraceWriter::create(dir.file("a.rr86"), sample_header());
        REQUIRE_OK(writer);
        for (uint64_t i = 0; i < 100000; ++i)
            (*writer)->port_access(i, 0x70, 1, true, i & 0x7f);
        REQUIRE_OK((*writer)->close());
        REQUIRE_OK((*writer)->close());
        WriterStats stats = (*writer)->stats();
        CHECK(stats.events == 100000);
        CHECK(stats.chunks >= 2);
        CHECK(stats.file_bytes == read_file(dir.file("a.rr86")).size());
    }
    {
        auto writer = TraceWriter::create(dir.file("b.rr86"), sample_header());
        REQUIRE_OK(writer);
        (*writer)->port_access(1, 0x70, 1, true, 1);
    } // destroyed without close()
    auto reader = TraceReader::open(dir.file("b.rr86"));
    REQUIRE_OK(reader);
    CHECK(reader->has_index());
    CHECK(read_all(*reader).size() == 1);
}

TEST_CASE("a producer faster than the writer waits instead of dropping events") {
    ScratchDir dir;
    WriterOptions options;
    options.max_batches = 2;
    options.zstd_level = 9; // slow writer
    auto writer = TraceWriter::create(dir.file("t.rr86"), sample_header(), options);
    REQUIRE_OK(writer);
    const uint64_t n = 2'000'000;
    for (uint64_t i = 0; i < n; ++i)
        (*writer)->port_access(i, 0x511, 1, false, (i * 7) & 0xff);
    REQUIRE_OK((*writer)->close());
    CHECK((*writer)->stats().events == n);
    MESSAGE("producer waited " << (*writer)->stats().producer_waits << " times");
    auto reader = TraceReader::open(dir.file("t.rr86"));
    REQUIRE_OK(reader);
    CHECK(reader->index().event_count() == n);
}

TEST_CASE("many records and blobs overflow a batch cleanly") {
    ScratchDir dir;
    std::vector<Event> events;
    for (uint64_t i = 0; i < 10000; ++i) {
        events.push_back({i, Interrupt{static_cast<uint8_t>(i)}});
        if (i % 3 == 0) events.push_back({i, DiskRead{1, i, 1, digest_of(sector_bytes(i))}});
    }
    write_trace(dir.file("t.rr86"), events);
    auto reader = TraceReader::open(dir.file("t.rr86"));
    REQUIRE_OK(reader);
    CHECK(read_all(*reader) == events);
    CHECK(reader->index().blob_count() == 3334);
    CHECK(verify_trace(*reader).ok());
    auto bytes = reader->blob(digest_of(sector_bytes(9999)));
    REQUIRE_OK(bytes);
    CHECK(*bytes == sector_bytes(9999));
}

TEST_CASE("a blob larger than a batch is refused") {
    ScratchDir dir;
    auto writer = TraceWriter::create(dir.file("t.rr86"), sample_header());
    REQUIRE_OK(writer);
    std::vector<uint8_t> huge(17u << 20, 1);
    (*writer)->add_data(huge);
    CHECK((*writer)->failed());
    auto st = (*writer)->close();
    REQUIRE_FALSE(st.ok());
    CHECK(st.message().find("larger than") != std::string::npos);
}

TEST_CASE("an event of an unknown kind is not written") {
    ScratchDir dir;
    auto writer = TraceWriter::create(dir.file("t.rr86"), sample_header());
    REQUIRE_OK(writer);
    (*writer)->append(1, UnknownEvent{99});
    (*writer)->append(2, Interrupt{3});
    REQUIRE_OK((*writer)->close());
    auto reader = TraceReader::open(dir.file("t.rr86"));
    REQUIRE_OK(reader);
    auto events = read_all(*reader);
    REQUIRE(events.size() == 1);
    CHECK(events[0].kind() == EventKind::Interrupt);
}

TEST_CASE("a header a reader would refuse is not written") {
    ScratchDir dir;
    Header header = sample_header();
    header.options.resize(kMaxHeaderEntries + 1);
    auto writer = TraceWriter::create(dir.file("t.rr86"), header);
    REQUIRE_FALSE(writer.ok());
    CHECK(writer.message().find("at most 65536") != std::string::npos);
}
