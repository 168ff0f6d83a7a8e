// Where a reader's bytes come from: a file (pread, so seeking never reads what lies before) or
// memory (the fuzzer, tests). The size is fixed when the source is opened, so a file that is still
// being written is read as the prefix that existed then.
#pragma once

#include "traces/result.h"

#include <cstdint>
#include <memory>
#include <span>
#include <string>

namespace rr86::trace {

class ByteSource {
  public:
    virtual ~ByteSource() = default;
    virtual uint64_t size() const = 0;
    // Reads exactly `size` bytes at `offset`; a short read is an error naming the offset.
    virtual Status read_at(uint64_t offset, void* out, size_t size) const = 0;
    // The name errors start with: the path as the user gave it.
    const std::string& name() const { return name_; }

  protected:
    explicit ByteSource(std::string name) : name_(std::move(name)) {}

  private:
    std::string name_;
};

class FileSource final : public ByteSource {
  public:
    // Fails with one line for: missing file, no permission, a directory, an unreadable file.
    static Result<std::unique_ptr<ByteSource>> open(const std::string& path);
    ~FileSource() override;
    uint64_t size() const override { return size_; }
    Status read_at(uint64_t offset, void* out, size_t size) const override;

  private:
    FileSource(std::string path, int fd, uint64_t size);
    int fd_;
    uint64_t size_;
};

class MemorySource final : public ByteSource {
  public:
    // The bytes must outlive the source.
    MemorySource(std::span<const uint8_t> bytes, std::string name);
    uint64_t size() const override { return bytes_.size(); }
    Status read_at(uint64_t offset, void* out, size_t size) const override;

  private:
    std::span<const uint8_t> bytes_;
};

} // namespace rr86::trace
