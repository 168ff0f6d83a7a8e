#include "traces/file_sink.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace rr86::trace {

Result<FileSink> FileSink::create(const std::string& path) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return make_error("{}: cannot create: {}", path, std::strerror(errno));
    return FileSink(path, fd);
}

FileSink::FileSink(FileSink&& other) noexcept
    : path_(std::move(other.path_)), fd_(other.fd_), offset_(other.offset_) {
    other.fd_ = -1;
}

FileSink::~FileSink() {
    if (fd_ >= 0) ::close(fd_);
}

Status FileSink::write(std::span<const uint8_t> bytes) {
    size_t done = 0;
    while (done < bytes.size()) {
        ssize_t n = ::write(fd_, bytes.data() + done, bytes.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0)
            return make_error("{}: write error at offset {}: {}", path_, offset_ + done,
                              std::strerror(errno));
        done += static_cast<size_t>(n);
    }
    offset_ += done;
    return {};
}

Status FileSink::sync() {
    if (::fdatasync(fd_) != 0) return make_error("{}: fdatasync: {}", path_, std::strerror(errno));
    return {};
}

Status FileSink::close() {
    int fd = fd_;
    fd_ = -1;
    if (fd >= 0 && ::close(fd) != 0)
        return make_error("{}: close: {}", path_, std::strerror(errno));
    return {};
}

} // namespace rr86::trace
