// Recomputes every checksum of a (possibly damaged) trace file wherever its structure can still
// be followed. The fuzzer runs with checksums switched off, so an input it reports may carry
// stale checksums; resealed, the same bytes reach the same decoder in an ordinary build, which is
// how each crash becomes a regression test (tests/unit/traces/fuzz_regression_test.cpp).
#pragma once

#include "traces/digest.h"
#include "traces/format.h"

#include <cstdint>
#include <cstring>
#include <vector>

namespace rr86::trace::fuzz {

inline void put32(uint8_t* p, uint32_t v) { std::memcpy(p, &v, 4); }
inline void put64(uint8_t* p, uint64_t v) { std::memcpy(p, &v, 8); }
inline uint32_t get32(const uint8_t* p) {
    uint32_t v;
    std::memcpy(&v, p, 4);
    return v;
}

inline std::vector<uint8_t> reseal(std::vector<uint8_t> bytes) {
    const size_t size = bytes.size();
    if (size < Prologue::kSize) return bytes;
    uint8_t* p = bytes.data();
    uint64_t header_bytes = get32(p + 16);
    if (Prologue::kSize + header_bytes <= size)
        put64(p + 24, checksum64(p + Prologue::kSize, header_bytes));
    put32(p + 36, checksum32(p, 36));
    // Chunk frames, as far as their sizes lead.
    uint64_t at = Prologue::kSize + header_bytes;
    while (at + ChunkFrame::kSize <= size) {
        uint8_t* f = p + at;
        uint64_t compressed = get32(f + 8);
        if (at + ChunkFrame::kSize + compressed <= size)
            put64(f + 40, checksum64(f + ChunkFrame::kSize, compressed));
        put32(f + 52, checksum32(f, 52));
        at += ChunkFrame::kSize + compressed;
    }
    if (size >= Trailer::kSize)
        put32(p + size - Trailer::kSize + 12, checksum32(p + size - Trailer::kSize, 12));
    return bytes;
}

} // namespace rr86::trace::fuzz
