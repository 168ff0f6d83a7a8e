// The writer's file: appends only, so that whatever a killed writer leaves is a prefix of a valid
// trace (DESIGN.md "Trace format"). Internal to the trace library.
#pragma once

#include "traces/result.h"

#include <cstdint>
#include <span>
#include <string>

namespace rr86::trace {

class FileSink {
  public:
    static Result<FileSink> create(const std::string& path);
    FileSink(FileSink&& other) noexcept;
    FileSink& operator=(FileSink&&) = delete;
    ~FileSink();

    Status write(std::span<const uint8_t> bytes);
    Status sync();
    Status close();
    uint64_t offset() const { return offset_; }
    const std::string& path() const { return path_; }

  private:
    FileSink(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
    std::string path_;
    int fd_ = -1;
    uint64_t offset_ = 0;
};

} // namespace rr86::trace
