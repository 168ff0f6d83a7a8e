// DiskImage: a raw disk image (a host file opened once, or bytes in memory), addressed in 512-byte
// sectors. Reads and writes happen at the moment the guest command asks for them (pread/pwrite),
// so what the guest sees depends only on the image and the order of guest commands.
//
// The capacity is the file size rounded down to whole sectors (a trailing partial sector is not
// addressable, as in QEMU). Host-side problems are reported as one-line errors naming the file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace rr86 {

class DiskImage {
  public:
    static constexpr uint32_t kSectorSize = 512;

    struct OpenResult {
        std::unique_ptr<DiskImage> image; // null on error
        std::string error;
    };
    // Opens `path` read-only or read-write. Errors: missing, unreadable, not writable when
    // read-write was asked for, not a regular file or block device, smaller than one sector.
    static OpenResult open(const std::string& path, bool read_only);
    // An image held in memory (built-in demo disk, tests). Writes change only the copy.
    static std::unique_ptr<DiskImage> from_bytes(std::vector<uint8_t> bytes, bool read_only,
                                                 std::string name);

    ~DiskImage();
    DiskImage(const DiskImage&) = delete;
    DiskImage& operator=(const DiskImage&) = delete;

    const std::string& path() const { return path_; }
    bool read_only() const { return read_only_; }
    uint64_t sectors() const { return sectors_; }
    uint64_t size_bytes() const { return sectors_ * kSectorSize; }

    // Whole-sector transfers. False on a range outside the image, an I/O error, or (write) a
    // read-only image; nothing is guaranteed about the destination then.
    bool read(uint64_t lba, uint32_t count, uint8_t* dst) const;
    bool write(uint64_t lba, uint32_t count, const uint8_t* src);

  private:
    DiskImage() = default;
    bool in_range(uint64_t lba, uint32_t count) const;

    std::string path_;
    int fd_ = -1;
    std::vector<uint8_t> bytes_; // used when fd_ < 0
    bool read_only_ = true;
    uint64_t sectors_ = 0;
};

} // namespace rr86
