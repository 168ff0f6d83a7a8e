#include "traces/byte_source.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace rr86::trace {

Result<std::unique_ptr<ByteSource>> FileSource::open(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return make_error("{}: cannot open: {}", path, std::strerror(errno));
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        int err = errno;
        ::close(fd);
        return make_error("{}: cannot stat: {}", path, std::strerror(err));
    }
    if (S_ISDIR(st.st_mode)) {
        ::close(fd);
        return make_error("{}: is a directory, not a trace file", path);
    }
    if (!S_ISREG(st.st_mode)) {
        ::close(fd);
        return make_error("{}: not a regular file", path);
    }
    return std::unique_ptr<ByteSource>(new FileSource(path, fd, static_cast<uint64_t>(st.st_size)));
}

FileSource::FileSource(std::string path, int fd, uint64_t size)
    : ByteSource(std::move(path)), fd_(fd), size_(size) {}

FileSource::~FileSource() { ::close(fd_); }

Status FileSource::read_at(uint64_t offset, void* out, size_t size) const {
    if (offset > size_ || size > size_ - offset)
        return make_error("{}: offset {}: {} bytes past the end of the file ({} bytes)", name(),
                          offset, size, size_);
    auto* p = static_cast<uint8_t*>(out);
    size_t done = 0;
    while (done < size) {
        ssize_t n = ::pread(fd_, p + done, size - done, static_cast<off_t>(offset + done));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0)
            return make_error("{}: offset {}: read error: {}", name(), offset + done,
                              std::strerror(errno));
        if (n == 0)
            return make_error("{}: offset {}: file shrank while reading", name(), offset + done);
        done += static_cast<size_t>(n);
    }
    return {};
}

MemorySource::MemorySource(std::span<const uint8_t> bytes, std::string name)
    : ByteSource(std::move(name)), bytes_(bytes) {}

Status MemorySource::read_at(uint64_t offset, void* out, size_t size) const {
    if (offset > bytes_.size() || size > bytes_.size() - offset)
        return make_error("{}: offset {}: {} bytes past the end ({} bytes)", name(), offset, size,
                          bytes_.size());
    if (size) std::memcpy(out, bytes_.data() + offset, size);
    return {};
}

} // namespace rr86::trace
