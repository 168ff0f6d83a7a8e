// Old traces stay readable (DESIGN.md "Trace format"), and format 2's value differences
// (traces/value_history.h) round-trip at every width, wrap-around and table size.
#include "test_support.h"

#include "traces/verify.h"

#include <filesystem>

using namespace rr86::trace;
using namespace rr86::trace::test;

TEST_CASE("a format-1 file (raw values) is still read") {
    auto path = (std::filesystem::path(__FILE__).parent_path() / "data/format1_session").string();
    auto reader = TraceReader::open(path);
    REQUIRE_OK(reader);
    CHECK(reader->header().format_version == 1);
    CHECK(reader->header().min_reader_version == 1);
    CHECK(verify_trace(*reader).ok());
    // Written by tests/fuzz/make_corpus.cpp: access i reads 0x12345678 + i from 0xcfc (i % 3 == 1)
    // and ~0 / (i + 1) from MMIO 0xfed00000 + i (i % 3 == 2).
    size_t wide = 0;
    for (const Event& e : read_all(*reader)) {
        if (auto* p = e.get<PortAccess>(); p && p->port == 0xcfc) {
            CHECK((p->value - 0x12345678u) % 3 == 1);
            ++wide;
        }
        if (auto* m = e.get<MmioAccess>()) {
            uint64_t i = m->address - 0xfed00000;
            CHECK(m->value == ~uint64_t{0} / (i + 1));
            ++wide;
        }
    }
    CHECK(wide == 200);
}

TEST_CASE("wide values round-trip as differences") {
    ScratchDir dir;
    std::vector<Event> events;
    uint64_t icount = 0;
    // A 32-bit counter wrapping, read at two sizes and written: separate histories.
    for (uint32_t v = 0xfffffff0u, i = 0; i < 40; ++i, v += 3) {
        events.push_back({++icount, PortAccess{0xb008, 4, false, v}});
        events.push_back({++icount, PortAccess{0xb008, 2, false, v & 0xffff}});
        events.push_back({++icount, PortAccess{0xb008, 4, true, ~v}});
    }
    // 64-bit values wrapping, and thousands of distinct addresses in one chunk (table growth).
    for (uint64_t i = 0; i < 5000; ++i) {
        events.push_back({++icount, MmioAccess{0xfed000f0, 8, false, ~uint64_t{0} - 7 + i * 5}});
        events.push_back(
            {++icount, MmioAccess{0x100000000 + i * 64, 4, i % 2 == 0, uint32_t(i * 2654435761u)}});
        events.push_back(
            {++icount, MmioAccess{0x100000000 + (i * 7 % 5000) * 64, 4, false, uint32_t(i)}});
    }
    write_trace(dir.file("t.rr86"), events);
    auto reader = TraceReader::open(dir.file("t.rr86"));
    REQUIRE_OK(reader);
    CHECK(reader->header().format_version == kFormatVersion);
    CHECK(read_all(*reader) == events);
    // Each chunk starts a fresh history: seeking into the middle decodes the same values.
    WriterOptions small;
    small.events_per_chunk = 7;
    write_trace(dir.file("s.rr86"), events, small);
    auto chunked = TraceReader::open(dir.file("s.rr86"));
    REQUIRE_OK(chunked);
    REQUIRE_OK(chunked->seek(events[10000].icount));
    Event e;
    REQUIRE(chunked->next(e));
    CHECK(e == events[10000]);
}
