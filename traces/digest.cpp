#include "traces/digest.h"

#include <xxhash.h>

#include <fmt/core.h>

namespace rr86::trace {

std::string Digest128::hex() const { return fmt::format("{:016x}{:016x}", hi, lo); }

static std::optional<uint64_t> parse_hex64(std::string_view text) {
    uint64_t value = 0;
    for (char c : text) {
        int digit = c >= '0' && c <= '9'   ? c - '0'
                    : c >= 'a' && c <= 'f' ? c - 'a' + 10
                    : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                           : -1;
        if (digit < 0) return std::nullopt;
        value = value << 4 | static_cast<uint64_t>(digit);
    }
    return value;
}

std::optional<Digest128> Digest128::from_hex(std::string_view text) {
    if (text.size() != 32) return std::nullopt;
    auto hi = parse_hex64(text.substr(0, 16));
    auto lo = parse_hex64(text.substr(16));
    if (!hi || !lo) return std::nullopt;
    return Digest128{*hi, *lo};
}

Digest128 digest_of(std::span<const uint8_t> bytes) {
    XXH128_hash_t h = XXH3_128bits(bytes.data(), bytes.size());
    return Digest128{h.high64, h.low64};
}

DigestBuilder::DigestBuilder() : state_(XXH3_createState()) {
    XXH3_128bits_reset(static_cast<XXH3_state_t*>(state_));
}

DigestBuilder::~DigestBuilder() { XXH3_freeState(static_cast<XXH3_state_t*>(state_)); }

void DigestBuilder::update(std::span<const uint8_t> bytes) {
    XXH3_128bits_update(static_cast<XXH3_state_t*>(state_), bytes.data(), bytes.size());
}

Digest128 DigestBuilder::finish() const {
    XXH128_hash_t h = XXH3_128bits_digest(static_cast<XXH3_state_t*>(state_));
    return Digest128{h.high64, h.low64};
}

uint64_t checksum64(const void* data, size_t size) { return XXH3_64bits(data, size); }

uint32_t checksum32(const void* data, size_t size) {
    return static_cast<uint32_t>(XXH3_64bits(data, size));
}

bool checksum_matches(uint64_t stored, uint64_t computed) {
#ifdef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
    (void)stored;
    (void)computed;
    return true;
#else
    return stored == computed;
#endif
}

} // namespace rr86::trace
