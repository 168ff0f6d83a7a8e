// `rr86 trace info|dump|verify|repair` as the library functions tools/cmd_trace.cpp calls.
#include "test_support.h"

#include "traces/event_format.h"
#include "traces/inspect.h"

#include <cstdio>
#include <sstream>

using namespace rr86::trace;
using namespace rr86::trace::test;

namespace {

struct Run {
    int code = 0;
    std::string out, err;
    std::vector<std::string> lines() const {
        std::vector<std::string> result;
        std::istringstream in(out);
        for (std::string line; std::getline(in, line);)
            result.push_back(line);
        return result;
    }
};

std::string drain(std::FILE* f) {
    std::string text;
    std::rewind(f);
    char buffer[4096];
    for (size_t n; (n = std::fread(buffer, 1, sizeof buffer, f)) > 0;)
        text.append(buffer, n);
    std::fclose(f);
    return text;
}

template <class Fn> Run run(Fn&& fn) {
    std::FILE* out = std::tmpfile();
    std::FILE* err = std::tmpfile();
    Run r;
    r.code = fn(out, err);
    r.out = drain(out);
    r.err = drain(err);
    return r;
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

} // namespace

TEST_CASE("info: header, counts per kind, sizes, ratio") {
    ScratchDir dir;
    write_trace(dir.file("t.rr86"), sample_events(2000));
    Run r =
        run([&](auto out, auto err) { return trace_info(dir.file("t.rr86"), false, out, err); });
    CHECK(r.code == 0);
    CHECK(r.err.empty());
    CHECK(contains(r.out, "reset-delivery=async fw-cfg-refresh=reset-only"));
    CHECK(contains(r.out, "rtc=2023-11-14T22:13:20Z"));
    CHECK(contains(r.out, "image       firmware bios size=131072"));
    CHECK(contains(r.out, "option      m=128M"));
    CHECK(contains(r.out, "  port       1429"));
    CHECK(contains(r.out, "  mmio       571"));
    CHECK(contains(r.out, "  end        1"));
    CHECK(contains(r.out, "index       present"));
    CHECK(contains(r.out, "bytes per event"));

    Run j = run([&](auto out, auto err) { return trace_info(dir.file("t.rr86"), true, out, err); });
    CHECK(j.code == 0);
    CHECK(j.out.front() == '{');
    CHECK(j.lines().size() == 1);
    CHECK(contains(j.out, R"("kinds":{"port":1429,"mmio":571,)"));
    CHECK(contains(j.out, R"("reset_delivery":"async")"));
    CHECK(contains(j.out, R"("has_index":true)"));
}

TEST_CASE("dump: filters by icount, kind and port; text and JSON lines") {
    ScratchDir dir;
    auto events = sample_events(3000);
    WriterOptions options;
    options.events_per_chunk = 100;
    write_trace(dir.file("t.rr86"), events, options);
    std::string path = dir.file("t.rr86");

    SUBCASE("everything") {
        Run r = run([&](auto out, auto err) { return trace_dump(path, {}, out, err); });
        CHECK(r.code == 0);
        REQUIRE(r.lines().size() == events.size());
        CHECK(r.lines()[1] == fmt::format("{:>12} {}", events[1].icount, event_text(events[1])));
    }
    SUBCASE("--port 0xcf8 --from --to") {
        DumpOptions o;
        REQUIRE_OK(parse_dump_filters({}, {"0xcf8"}, o));
        o.from = events[1000].icount;
        o.to = events[2000].icount;
        Run r = run([&](auto out, auto err) { return trace_dump(path, o, out, err); });
        CHECK(r.code == 0);
        size_t expected = 0;
        for (const Event& e : events) {
            auto* p = e.get<PortAccess>();
            expected += p && p->port == 0xcf8 && e.icount >= *o.from && e.icount <= *o.to;
        }
        CHECK(r.lines().size() == expected);
        for (const auto& line : r.lines())
            CHECK(contains(line, "out  0x0cf8 size=4"));
    }
    SUBCASE("--kind monitor,end --json") {
        DumpOptions o;
        REQUIRE_OK(parse_dump_filters({"monitor", "end"}, {}, o));
        o.json = true;
        Run r = run([&](auto out, auto err) { return trace_dump(path, o, out, err); });
        REQUIRE(r.lines().size() == 2);
        CHECK(r.lines()[0] ==
              fmt::format(R"({{"icount":{},"kind":"monitor","command":"info registers"}})",
                          events[events.size() - 7].icount));
        CHECK(contains(r.lines()[1], R"("kind":"end","outcome":"exit","exit_code":3)"));
    }
    SUBCASE("bad filters") {
        DumpOptions o;
        auto st = parse_dump_filters({"ports"}, {}, o);
        REQUIRE_FALSE(st.ok());
        CHECK(contains(st.message(), "unknown event kind 'ports'"));
        CHECK_FALSE(parse_dump_filters({}, {"0x10000"}, o).ok());
        CHECK_FALSE(parse_dump_filters({}, {"cf9"}, o).ok());
        CHECK(parse_dump_filters({}, {"3321"}, o).ok());
        CHECK(o.ports.back() == 3321);
    }
}

TEST_CASE("verify and repair report in one line") {
    ScratchDir dir;
    write_trace(dir.file("t.rr86"), sample_events(500));
    std::string path = dir.file("t.rr86");
    Run v = run([&](auto out, auto err) { return trace_verify(path, out, err); });
    CHECK(v.code == 0);
    CHECK(contains(v.out, path + ": ok: "));

    Run same = run([&](auto out, auto err) { return trace_repair(path, out, err); });
    CHECK(same.code == 0);
    CHECK(contains(same.out, "nothing to repair"));

    auto bytes = read_file(path);
    auto reader = TraceReader::open(path);
    REQUIRE_OK(reader);
    bytes.resize(reader->chunks_end() + 5);
    write_file(path, bytes);
    Run bad = run([&](auto out, auto err) { return trace_verify(path, out, err); });
    CHECK(bad.code == 2);
    CHECK(contains(bad.err, "no index"));
    Run fixed = run([&](auto out, auto err) { return trace_repair(path, out, err); });
    CHECK(fixed.code == 0);
    CHECK(contains(fixed.out, "index written"));
    CHECK(contains(fixed.out, "5 bytes after the last complete chunk dropped"));
    Run again = run([&](auto out, auto err) { return trace_verify(path, out, err); });
    CHECK(again.code == 0);
}

TEST_CASE("event text and JSON for every kind") {
    for (const Event& e : sample_events(10)) {
        std::string json = event_json(e);
        CHECK(json.front() == '{');
        CHECK(json.back() == '}');
        CHECK(contains(json, fmt::format(R"("kind":"{}")", kind_name(e.kind()))));
        CHECK(contains(event_text(e), std::string(kind_name(e.kind()))));
    }
    CHECK(json_string("a\"b\\\n\x01\xff") == R"("a\"b\\\n\u0001\u00ff")");
    CHECK(event_text({0, PortAccess{0xcf9, 1, true, 6}}) ==
          "port       out  0x0cf9 size=1 value=0x06");
    CHECK(event_text({0, SerialInput{1, {'o', 'k', '\n'}}}) ==
          R"(serial     uart=1 bytes="ok\x0a")");
    for (size_t k = 0; k < kEventKindCount; ++k) {
        auto kind = static_cast<EventKind>(k);
        CHECK(kind_from_name(kind_name(kind)) == kind);
    }
    CHECK(request_name(static_cast<RequestKind>(40)) == "#40");
}
