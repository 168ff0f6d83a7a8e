#include "traces/images.h"

#include "traces/digest.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace rr86::trace {

namespace {

std::string label(const ImageInfo& image) {
    return fmt::format("image {} '{}'", role_name(image.role), image.name);
}

const ImageInfo* find_image(const std::vector<ImageInfo>& list, const ImageInfo& like) {
    for (const auto& image : list) {
        if (image.role == like.role && image.name == like.name) return &image;
    }
    return nullptr;
}

Status compare_one(const ImageInfo& recorded, const ImageInfo& actual) {
    if (recorded.size != actual.size) {
        return make_error("{}: {} is {} bytes, the trace recorded {} bytes (another machine)",
                          label(recorded), actual.path.empty() ? "the image" : actual.path,
                          actual.size, recorded.size);
    }
    if (recorded.digest != actual.digest) {
        return make_error("{}: {} has digest {}, the trace recorded {} (another machine)",
                          label(recorded), actual.path.empty() ? "the image" : actual.path,
                          actual.digest, recorded.digest);
    }
    return {};
}

} // namespace

Result<ImageInfo> describe_image(ImageRole role, std::string name, const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return make_error("{}: cannot open: {}", path, std::strerror(errno));
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ::close(fd);
        return make_error("{}: not a regular file", path);
    }
    DigestBuilder digest;
    std::vector<uint8_t> buffer(1 << 20);
    uint64_t size = 0;
    for (;;) {
        ssize_t n = ::read(fd, buffer.data(), buffer.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            int err = errno;
            ::close(fd);
            return make_error("{}: read error at offset {}: {}", path, size, std::strerror(err));
        }
        if (n == 0) break;
        digest.update({buffer.data(), static_cast<size_t>(n)});
        size += static_cast<uint64_t>(n);
    }
    ::close(fd);
    return ImageInfo{role, std::move(name), path, size, digest.finish().hex()};
}

ImageInfo describe_bytes(ImageRole role, std::string name, std::span<const uint8_t> bytes) {
    return ImageInfo{role, std::move(name), "", bytes.size(), digest_of(bytes).hex()};
}

Status compare_images(const std::vector<ImageInfo>& recorded,
                      const std::vector<ImageInfo>& actual) {
    for (const auto& image : recorded) {
        const ImageInfo* now = find_image(actual, image);
        if (!now) return make_error("{}: in the trace but not in this machine", label(image));
        if (auto st = compare_one(image, *now); !st) return st;
    }
    for (const auto& image : actual) {
        if (!find_image(recorded, image))
            return make_error("{}: in this machine but not in the trace", label(image));
    }
    return {};
}

Status check_images_on_disk(const std::vector<ImageInfo>& recorded) {
    for (const auto& image : recorded) {
        if (image.path.empty()) continue; // inline bytes: compared by the replayer
        auto now = describe_image(image.role, image.name, image.path);
        if (!now) return make_error("{}: {}", label(image), now.message());
        if (auto st = compare_one(image, *now); !st) return st;
    }
    return {};
}

} // namespace rr86::trace
