#include "traces/format.h"

#include "traces/digest.h"

#include <cstring>

namespace rr86::trace {

namespace {

void put32(uint8_t* p, uint32_t v) { std::memcpy(p, &v, 4); }
void put64(uint8_t* p, uint64_t v) { std::memcpy(p, &v, 8); }
uint32_t get32(const uint8_t* p) {
    uint32_t v;
    std::memcpy(&v, p, 4);
    return v;
}
uint64_t get64(const uint8_t* p) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    return v;
}

} // namespace

void Prologue::encode(uint8_t* out) const {
    std::memset(out, 0, kSize);
    std::memcpy(out, kFileMagic.data(), kFileMagic.size());
    put32(out + 8, format_version);
    put32(out + 12, min_reader_version);
    put32(out + 16, header_bytes);
    put32(out + 20, header_words);
    put64(out + 24, header_checksum);
    put32(out + 36, checksum32(out, 36));
}

Result<Prologue> Prologue::decode(const uint8_t* bytes) {
    if (std::memcmp(bytes, kFileMagic.data(), kFileMagic.size()) != 0)
        return make_error("offset 0: bad magic, not an rr86 trace");
    Prologue p;
    p.format_version = get32(bytes + 8);
    p.min_reader_version = get32(bytes + 12);
    // Refuse a newer file before trusting anything its layout may have moved (schema rule 6).
    if (p.min_reader_version > kReaderVersion) {
        return make_error("offset 12: needs trace reader version {} (format {}), this rr86 reads "
                          "up to version {}; use a newer rr86",
                          p.min_reader_version, p.format_version, kReaderVersion);
    }
    if (!checksum_matches(get32(bytes + 36), checksum32(bytes, 36)))
        return make_error("offset 0: prologue checksum mismatch");
    p.header_bytes = get32(bytes + 16);
    p.header_words = get32(bytes + 20);
    p.header_checksum = get64(bytes + 24);
    if (p.header_bytes == 0 || p.header_bytes > kMaxHeaderBytes)
        return make_error("offset 16: header size {} out of range", p.header_bytes);
    if (p.header_words == 0 || p.header_words > kMaxMessageWords ||
        p.header_words > uint64_t{p.header_bytes} * kMaxPackedExpansion)
        return make_error("offset 20: header message size {} words out of range", p.header_words);
    return p;
}

const char* chunk_kind_name(ChunkKind kind) {
    switch (kind) {
    case ChunkKind::Events: return "events";
    case ChunkKind::Data: return "data";
    case ChunkKind::Index: return "index";
    }
    return "unknown";
}

void ChunkFrame::encode(uint8_t* out) const {
    std::memset(out, 0, kSize);
    put32(out, kMagic);
    out[4] = static_cast<uint8_t>(kind);
    out[5] = kCodecZstdPackedCapnp;
    put32(out + 8, compressed_bytes);
    put32(out + 12, packed_bytes);
    put32(out + 16, message_words);
    put32(out + 20, count);
    put64(out + 24, first_icount);
    put64(out + 32, last_icount);
    put64(out + 40, payload_checksum);
    put32(out + 52, checksum32(out, 52));
}

Result<ChunkFrame> ChunkFrame::decode(const uint8_t* bytes) {
    if (get32(bytes) != kMagic) return make_error("bad chunk magic");
    if (!checksum_matches(get32(bytes + 52), checksum32(bytes, 52)))
        return make_error("chunk header checksum mismatch");
    ChunkFrame f;
    uint8_t kind = bytes[4];
    if (kind < 1 || kind > 3) return make_error("unknown chunk kind {}", kind);
    f.kind = static_cast<ChunkKind>(kind);
    if (bytes[5] != kCodecZstdPackedCapnp) return make_error("unknown codec {}", bytes[5]);
    f.compressed_bytes = get32(bytes + 8);
    f.packed_bytes = get32(bytes + 12);
    f.message_words = get32(bytes + 16);
    f.count = get32(bytes + 20);
    f.first_icount = get64(bytes + 24);
    f.last_icount = get64(bytes + 32);
    f.payload_checksum = get64(bytes + 40);
    if (f.compressed_bytes == 0 || f.compressed_bytes > kMaxCompressedBytes)
        return make_error("compressed size {} out of range", f.compressed_bytes);
    if (f.packed_bytes == 0 || f.packed_bytes > kMaxPackedBytes)
        return make_error("packed size {} out of range", f.packed_bytes);
    if (f.message_words == 0 || f.message_words > kMaxMessageWords ||
        f.message_words > uint64_t{f.packed_bytes} * kMaxPackedExpansion)
        return make_error("message size {} words out of range", f.message_words);
    if (f.count > kMaxChunkCount) return make_error("count {} out of range", f.count);
    if (f.first_icount > f.last_icount)
        return make_error("first icount {} after last icount {}", f.first_icount, f.last_icount);
    return f;
}

bool ChunkFrame::same_layout(const ChunkFrame& o) const {
    return kind == o.kind && compressed_bytes == o.compressed_bytes &&
           packed_bytes == o.packed_bytes && message_words == o.message_words && count == o.count &&
           first_icount == o.first_icount && last_icount == o.last_icount;
}

void Trailer::encode(uint8_t* out) const {
    std::memset(out, 0, kSize);
    put64(out, index_offset);
    put32(out + 12, checksum32(out, 12));
    std::memcpy(out + 16, kTrailerMagic.data(), kTrailerMagic.size());
}

Result<Trailer> Trailer::decode(const uint8_t* bytes) {
    if (std::memcmp(bytes + 16, kTrailerMagic.data(), kTrailerMagic.size()) != 0)
        return make_error("no trailer");
    if (!checksum_matches(get32(bytes + 12), checksum32(bytes, 12)))
        return make_error("trailer checksum mismatch");
    return Trailer{get64(bytes)};
}

} // namespace rr86::trace
