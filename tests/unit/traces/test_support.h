// Shared helpers for the trace tests: scratch files, a sample header, a sample session.
#pragma once

#include "traces/reader.h"
#include "traces/writer.h"

#include <doctest/doctest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

// Fails the test with the library's own error line when `x` (a Status or Result) is an error.
#define REQUIRE_OK(x) REQUIRE_MESSAGE((x).ok(), ((x).ok() ? std::string() : (x).message()))
#define CHECK_OK(x) CHECK_MESSAGE((x).ok(), ((x).ok() ? std::string() : (x).message()))

namespace rr86::trace::test {

// A fresh directory under the system temp dir, removed with its contents at scope exit.
class ScratchDir {
  public:
    ScratchDir();
    ~ScratchDir();
    std::string file(const std::string& name) const { return (path_ / name).string(); }
    const std::filesystem::path& path() const { return path_; }

  private:
    std::filesystem::path path_;
};

Header sample_header();

// A small SeaBIOS-flavoured session touching every event kind; `n_accesses` port accesses.
std::vector<Event> sample_events(size_t n_accesses);

// Writes `events` (adding the blob behind every DiskRead) and closes.
void write_trace(const std::string& path, const std::vector<Event>& events,
                 WriterOptions options = {});

std::vector<Event> read_all(TraceReader& reader);
std::vector<uint8_t> read_file(const std::string& path);
void write_file(const std::string& path, const std::vector<uint8_t>& bytes);

// The blob a sample DiskRead refers to.
std::vector<uint8_t> sector_bytes(uint64_t lba);

} // namespace rr86::trace::test
