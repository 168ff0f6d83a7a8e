// XXH3 digests: XXH3-128 names images and bulk blobs, XXH3-64 checksums frames (issue 4).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace rr86::trace {

struct Digest128 {
    uint64_t hi = 0;
    uint64_t lo = 0;

    bool operator==(const Digest128&) const = default;
    bool is_zero() const { return hi == 0 && lo == 0; }
    // 32 lowercase hex digits, high half first: the canonical form `xxh128sum` prints.
    std::string hex() const;
    static std::optional<Digest128> from_hex(std::string_view text);
};

struct Digest128Hash {
    size_t operator()(const Digest128& d) const { return static_cast<size_t>(d.lo ^ d.hi); }
};

Digest128 digest_of(std::span<const uint8_t> bytes);

// Incremental XXH3-128 for files read in pieces.
class DigestBuilder {
  public:
    DigestBuilder();
    ~DigestBuilder();
    DigestBuilder(const DigestBuilder&) = delete;
    DigestBuilder& operator=(const DigestBuilder&) = delete;

    void update(std::span<const uint8_t> bytes);
    Digest128 finish() const;

  private:
    void* state_;
};

uint64_t checksum64(const void* data, size_t size);
// Frame and prologue headers carry the low half of XXH3-64 over their other bytes.
uint32_t checksum32(const void* data, size_t size);

// Whether a stored checksum matches. The fuzz build accepts every checksum so that libFuzzer can
// reach the decoders behind them (a mutated input almost never carries a valid XXH3).
bool checksum_matches(uint64_t stored, uint64_t computed);

} // namespace rr86::trace
