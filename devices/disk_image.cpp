#include "devices/disk_image.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace rr86 {

namespace {
std::string quoted(const std::string& s) { return "'" + s + "'"; }

// Full-length pread/pwrite (the kernel may transfer less than asked); false on error or EOF.
bool pread_all(int fd, uint8_t* dst, size_t len, off_t off) {
    while (len) {
        ssize_t n = ::pread(fd, dst, len, off);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        dst += n, len -= size_t(n), off += n;
    }
    return true;
}

bool pwrite_all(int fd, const uint8_t* src, size_t len, off_t off) {
    while (len) {
        ssize_t n = ::pwrite(fd, src, len, off);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        src += n, len -= size_t(n), off += n;
    }
    return true;
}
} // namespace

DiskImage::OpenResult DiskImage::open(const std::string& path, bool read_only) {
    OpenResult r;
    if (path.empty()) {
        r.error = "disk image: no file name given";
        return r;
    }
    int fd = ::open(path.c_str(), (read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        r.error = "cannot open disk image " + quoted(path) + (read_only ? "" : " for writing") +
                  ": " + std::strerror(e);
        if (!read_only && (e == EACCES || e == EROFS)) r.error += " (use readonly=on)";
        return r;
    }
    struct stat st {};
    if (fstat(fd, &st) != 0 || !(S_ISREG(st.st_mode) || S_ISBLK(st.st_mode))) {
        ::close(fd);
        r.error = "disk image " + quoted(path) + " is not a regular file or block device";
        return r;
    }
    off_t size = ::lseek(fd, 0, SEEK_END);
    if (size < off_t(kSectorSize)) {
        ::close(fd);
        r.error = size < 0 ? "cannot read disk image " + quoted(path) + ": " + std::strerror(errno)
                           : "disk image " + quoted(path) + " is smaller than one sector (" +
                                 std::to_string(size) + " bytes)";
        return r;
    }
    r.image.reset(new DiskImage());
    r.image->path_ = path;
    r.image->fd_ = fd;
    r.image->read_only_ = read_only;
    r.image->sectors_ = uint64_t(size) / kSectorSize;
    return r;
}

std::unique_ptr<DiskImage> DiskImage::from_bytes(std::vector<uint8_t> bytes, bool read_only,
                                                 std::string name) {
    std::unique_ptr<DiskImage> img(new DiskImage());
    img->path_ = std::move(name);
    img->sectors_ = bytes.size() / kSectorSize;
    bytes.resize(img->sectors_ * kSectorSize);
    img->bytes_ = std::move(bytes);
    img->read_only_ = read_only;
    return img;
}

DiskImage::~DiskImage() {
    if (fd_ >= 0) ::close(fd_);
}

bool DiskImage::in_range(uint64_t lba, uint32_t count) const {
    return lba <= sectors_ && count <= sectors_ - lba;
}

bool DiskImage::read(uint64_t lba, uint32_t count, uint8_t* dst) const {
    if (!in_range(lba, count)) return false;
    size_t len = size_t(count) * kSectorSize;
    if (fd_ < 0) {
        std::memcpy(dst, bytes_.data() + lba * kSectorSize, len);
        return true;
    }
    return pread_all(fd_, dst, len, off_t(lba * kSectorSize));
}

bool DiskImage::write(uint64_t lba, uint32_t count, const uint8_t* src) {
    if (read_only_ || !in_range(lba, count)) return false;
    size_t len = size_t(count) * kSectorSize;
    if (fd_ < 0) {
        std::memcpy(bytes_.data() + lba * kSectorSize, src, len);
        return true;
    }
    return pwrite_all(fd_, src, len, off_t(lba * kSectorSize));
}

} // namespace rr86
