// Replays the fuzzer's seed corpus and every crash input it ever found (fuzz_crashes/) through
// the fuzzer's own harness, with checksums as the fuzzer saw them (off: resealed) and as stored.
#include "test_support.h"

#include "tests/fuzz/exercise_reader.h"
#include "tests/fuzz/reseal.h"
#include "traces/verify.h"

#include <algorithm>
#include <chrono>
#include <filesystem>

using namespace rr86::trace;
using namespace rr86::trace::test;

namespace {

std::filesystem::path source_dir() { return std::filesystem::path(__FILE__).parent_path(); }

std::vector<std::filesystem::path> inputs_in(const std::filesystem::path& dir) {
    std::vector<std::filesystem::path> files;
    if (!std::filesystem::is_directory(dir)) return files;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        if (entry.is_regular_file() && entry.path().extension() != ".md")
            files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    return files;
}

// Each input must also finish quickly: the fuzzer reports hangs (over 10 s) as crashes.
void replay(const std::filesystem::path& dir) {
    for (const auto& file : inputs_in(dir)) {
        CAPTURE(file.string());
        auto bytes = read_file(file.string());
        auto start = std::chrono::steady_clock::now();
        fuzz::exercise_reader(bytes);
        fuzz::exercise_reader(fuzz::reseal(bytes));
        CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(2));
    }
}

} // namespace

TEST_CASE("fuzz corpus replays cleanly") {
    auto corpus = source_dir() / "../../fuzz/corpus";
    REQUIRE_FALSE(inputs_in(corpus).empty());
    replay(corpus);
}

TEST_CASE("fuzz crash inputs replay cleanly") { replay(source_dir() / "fuzz_crashes"); }

TEST_CASE("the seed corpus holds what its names say") {
    auto corpus = source_dir() / "../../fuzz/corpus";
    auto check = [&](const char* name, bool opens, bool verifies) {
        CAPTURE(name);
        auto bytes = read_file((corpus / name).string());
        auto reader = TraceReader::open(std::make_unique<MemorySource>(bytes, name));
        REQUIRE(reader.ok() == opens);
        if (opens) CHECK(verify_trace(*reader).ok() == verifies);
    };
    check("valid_chunks", true, true);
    check("one_chunk", true, true);
    check("no_index", true, false);
    check("torn_chunk", true, false);
    check("flipped_payload", true, false);
    check("header_only", true, false);
}

TEST_CASE("reseal makes a damaged file's checksums valid again") {
    auto bytes = read_file((source_dir() / "../../fuzz/corpus/flipped_payload").string());
    auto resealed = fuzz::reseal(bytes);
    CHECK(resealed != bytes);
    auto reader = TraceReader::open(std::make_unique<MemorySource>(resealed, "resealed"));
    REQUIRE_OK(reader);
    // The flipped byte is now inside a validly checksummed zstd frame: zstd or the decoder
    // rejects it instead of the checksum.
    auto report = verify_trace(*reader);
    REQUIRE_FALSE(report.ok());
    CHECK(report.problems.front().find("checksum") == std::string::npos);
}
