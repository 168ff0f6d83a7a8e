// The fixed binary framing of a trace file (DESIGN.md "Trace format"). All integers are
// little-endian. A file is:
//
//   prologue (40 bytes)      magic, versions, size and checksum of the header message
//   header                   packed Cap'n Proto `Header`, not compressed (small, read first)
//   chunk*                   frame (56 bytes) + zstd(packed Cap'n Proto EventChunk | DataChunk)
//   index chunk              frame + zstd(packed `Index`), written by close() or by repair
//   trailer (24 bytes)       offset of the index chunk, checksum, magic
//
// A writer killed at any point leaves a prefix of this; a reader keeps every complete chunk by
// walking the frames (each frame names its size), and `repair` writes the index and trailer.
#pragma once

#include "traces/result.h"

#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>

namespace rr86::trace {

static_assert(std::endian::native == std::endian::little, "the framing is stored as in memory");

// Schema rule 3: bumped at every change of trace.capnp or of this framing.
//   1  first format
//   2  4- and 8-byte access values stored as differences (value_history.h); a format-1 reader
//      would misread them, so format 2 also requires reader 2. Format-1 files are still read.
inline constexpr uint32_t kFormatVersion = 2;
// The highest "required to read" version this reader honours (schema rule 4).
inline constexpr uint32_t kReaderVersion = 2;
// What this writer requires of its readers.
inline constexpr uint32_t kWriterMinReaderVersion = 2;

// Bounds a reader checks before allocating anything (issue 4: validate every size field). The
// writer stays far below them.
inline constexpr uint32_t kMaxHeaderBytes = 16u << 20;
inline constexpr uint32_t kMaxCompressedBytes = 256u << 20;
inline constexpr uint32_t kMaxPackedBytes = 64u << 20;
inline constexpr uint32_t kMaxMessageWords = 16u << 20; // 128 MiB unpacked
inline constexpr uint32_t kMaxChunkCount = 1u << 20;    // events or blobs per chunk
// Options and images in a header. Cap'n Proto charges a list of empty structs one word per
// element, so without this a small header could still claim millions of entries.
inline constexpr uint32_t kMaxHeaderEntries = 1u << 16;
// Cap'n Proto packing turns at most 2 bytes (a zero tag and a run count) into 256 words.
inline constexpr uint64_t kMaxPackedExpansion = 128;

// ---- prologue -----------------------------------------------------------------------------

inline constexpr std::array<uint8_t, 8> kFileMagic = {0x89, 'R', 'R', '8', '6', 'T', 'R', '\n'};

struct Prologue {
    static constexpr size_t kSize = 40;
    // bytes 0-7 magic, 8-11 format version, 12-15 min reader version: fixed forever (rule 6)
    uint32_t format_version = kFormatVersion;
    uint32_t min_reader_version = kWriterMinReaderVersion;
    uint32_t header_bytes = 0;    // 16: packed Header message
    uint32_t header_words = 0;    // 20: its unpacked size, the Cap'n Proto traversal bound
    uint64_t header_checksum = 0; // 24: XXH3-64 of the header bytes
                                  // 32: reserved, 36: checksum32 of bytes 0-35

    void encode(uint8_t* out) const;
    // `bytes` holds kSize bytes; errors name no file (the caller prefixes it).
    static Result<Prologue> decode(const uint8_t* bytes);
};

// ---- chunk frame --------------------------------------------------------------------------

enum class ChunkKind : uint8_t { Events = 1, Data = 2, Index = 3 };
const char* chunk_kind_name(ChunkKind kind);

inline constexpr uint8_t kCodecZstdPackedCapnp = 1;

struct ChunkFrame {
    static constexpr size_t kSize = 56;
    static constexpr uint32_t kMagic = 0x4b435252; // "RRCK"
    ChunkKind kind = ChunkKind::Events;            // 4; 5: codec; 6: reserved
    uint32_t compressed_bytes = 0;                 // 8: payload size in the file
    uint32_t packed_bytes = 0;                     // 12: after zstd: packed Cap'n Proto
    uint32_t message_words = 0;                    // 16: after unpacking
    uint32_t count = 0;                            // 20: events, blobs or index entries
    uint64_t first_icount = 0;                     // 24
    uint64_t last_icount = 0;                      // 32
    uint64_t payload_checksum = 0;                 // 40: XXH3-64 of the compressed payload
                                                   // 48: reserved, 52: checksum32 of bytes 0-51

    uint64_t total_bytes() const { return kSize + compressed_bytes; }
    void encode(uint8_t* out) const;
    static Result<ChunkFrame> decode(const uint8_t* bytes);
    bool same_layout(const ChunkFrame& other) const;
};

// ---- trailer ------------------------------------------------------------------------------

inline constexpr std::array<uint8_t, 8> kTrailerMagic = {'R', 'R', '8', '6', 'I', 'D', 'X', '\n'};

struct Trailer {
    static constexpr size_t kSize = 24;
    uint64_t index_offset = 0; // 0: offset of the index chunk frame
                               // 8: reserved, 12: checksum32 of bytes 0-11, 16-23: magic
    void encode(uint8_t* out) const;
    static Result<Trailer> decode(const uint8_t* bytes);
};

} // namespace rr86::trace
