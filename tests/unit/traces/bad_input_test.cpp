// Bad input never crashes: each case gives one error line naming the file and where, through the
// library and through the `rr86 trace` command functions.
#include "test_support.h"

#include "traces/inspect.h"
#include "traces/verify.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

using namespace rr86::trace;
using namespace rr86::trace::test;

namespace {

std::vector<uint8_t> small_trace(const ScratchDir& dir) {
    WriterOptions options;
    options.events_per_chunk = 40;
    write_trace(dir.file("small.rr86"), sample_events(120), options);
    return read_file(dir.file("small.rr86"));
}

// Runs `rr86 trace verify` in-process; returns the exit code and what went to stderr.
std::pair<int, std::string> verify_command(const std::string& path) {
    std::FILE* out = std::tmpfile();
    std::FILE* err = std::tmpfile();
    int code = trace_verify(path, out, err);
    std::string text(4096, '\0');
    std::rewind(err);
    text.resize(std::fread(text.data(), 1, text.size(), err));
    std::fclose(out);
    std::fclose(err);
    return {code, text};
}

void check_one_line_error(const std::string& path, const std::string& must_contain) {
    auto [code, err] = verify_command(path);
    CAPTURE(err);
    CHECK(code == 2);
    REQUIRE_FALSE(err.empty());
    CHECK(err.rfind(path, 0) == 0); // starts with the file name
    CHECK(err.find('\n') == err.size() - 1);
    CHECK(err.find(must_contain) != std::string::npos);
}

} // namespace

TEST_CASE("files that are not traces") {
    ScratchDir dir;
    SUBCASE("missing") { check_one_line_error(dir.file("nope.rr86"), "No such file"); }
    SUBCASE("empty") {
        write_file(dir.file("empty.rr86"), {});
        check_one_line_error(dir.file("empty.rr86"), "empty file");
    }
    SUBCASE("a directory") { check_one_line_error(dir.path().string(), "is a directory"); }
    SUBCASE("wrong magic") {
        write_file(dir.file("text.rr86"), std::vector<uint8_t>(100, 'x'));
        check_one_line_error(dir.file("text.rr86"), "offset 0: bad magic");
    }
    SUBCASE("truncated prologue") {
        auto bytes = small_trace(dir);
        bytes.resize(20);
        write_file(dir.file("t.rr86"), bytes);
        check_one_line_error(dir.file("t.rr86"), "truncated at offset 20");
    }
    SUBCASE("truncated header") {
        auto bytes = small_trace(dir);
        bytes.resize(Prologue::kSize + 10);
        write_file(dir.file("t.rr86"), bytes);
        check_one_line_error(dir.file("t.rr86"), "truncated header");
    }
    SUBCASE("no read permission") {
        small_trace(dir);
        ::chmod(dir.file("small.rr86").c_str(), 0);
        if (::geteuid() == 0) {
            MESSAGE("running as root: permissions are not enforced, case skipped");
        } else {
            check_one_line_error(dir.file("small.rr86"), "Permission denied");
        }
    }
}

TEST_CASE("a newer required reader version is refused by name") {
    ScratchDir dir;
    auto bytes = small_trace(dir);
    uint32_t future = kReaderVersion + 1;
    std::memcpy(bytes.data() + 12, &future, 4);
    write_file(dir.file("future.rr86"), bytes);
    check_one_line_error(dir.file("future.rr86"),
                         "needs trace reader version " + std::to_string(future));
}

TEST_CASE("every single flipped byte is detected") {
    ScratchDir dir;
    auto good = small_trace(dir);
    size_t undetected = 0;
    for (size_t at = 0; at < good.size(); ++at) {
        auto bytes = good;
        bytes[at] ^= 0x10;
        MemorySource* raw = nullptr;
        auto source = std::make_unique<MemorySource>(bytes, "flipped");
        raw = source.get();
        (void)raw;
        auto reader = TraceReader::open(std::move(source));
        if (!reader) {
            CHECK(reader.message().rfind("flipped: ", 0) == 0);
            continue;
        }
        auto report = verify_trace(*reader);
        if (report.ok()) {
            ++undetected;
            MESSAGE("flip at offset " << at << " not detected");
        }
        for (const auto& p : report.problems)
            CHECK_MESSAGE(p.rfind("flipped: ", 0) == 0, p);
    }
    CHECK(undetected == 0);
}

TEST_CASE("a flipped payload byte names the chunk and its offset") {
    ScratchDir dir;
    auto bytes = small_trace(dir);
    auto reader = TraceReader::open(dir.file("small.rr86"));
    REQUIRE_OK(reader);
    const ChunkEntry& chunk = reader->index().chunks()[1];
    bytes[chunk.offset + ChunkFrame::kSize + 7] ^= 1;
    write_file(dir.file("t.rr86"), bytes);
    check_one_line_error(dir.file("t.rr86"), "chunk 1 at offset " + std::to_string(chunk.offset) +
                                                 ": payload checksum mismatch");
    // dump stops at the damaged chunk with the same line, after printing what came before.
    std::FILE* out = std::tmpfile();
    std::FILE* err = std::tmpfile();
    CHECK(trace_dump(dir.file("t.rr86"), {}, out, err) == 2);
    CHECK(std::ftell(out) > 0);
    std::fclose(out);
    std::fclose(err);
}

TEST_CASE("random garbage after a valid prefix never crashes the reader") {
    ScratchDir dir;
    auto good = small_trace(dir);
    uint64_t seed = 12345;
    for (int round = 0; round < 300; ++round) {
        auto bytes = good;
        size_t keep = static_cast<size_t>(seed % bytes.size());
        bytes.resize(keep);
        for (int i = 0; i < 64; ++i) {
            seed = seed * 6364136223846793005ull + 1442695040888963407ull;
            bytes.push_back(static_cast<uint8_t>(seed >> 56));
        }
        auto reader = TraceReader::open(std::make_unique<MemorySource>(bytes, "garbage"));
        if (!reader) continue;
        (void)read_all(*reader);
        (void)verify_trace(*reader);
    }
}
