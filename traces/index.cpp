#include "traces/index.h"

#include "traces/frame_codec.h"
#include "traces/schema_codec.h"

#include <algorithm>

namespace rr86::trace {

void TraceIndex::add_chunk(uint64_t offset, const ChunkFrame& frame) {
    if (frame.kind == ChunkKind::Events) {
        event_chunks_.push_back(static_cast<uint32_t>(chunks_.size()));
        event_count_ += frame.count;
    }
    chunks_.push_back({offset, frame});
}

void TraceIndex::add_blob(const Digest128& digest, uint32_t chunk) {
    if (blobs_.emplace(digest, chunk).second) blob_order_.emplace_back(digest, chunk);
}

std::optional<uint32_t> TraceIndex::blob_chunk(const Digest128& digest) const {
    auto it = blobs_.find(digest);
    if (it == blobs_.end()) return std::nullopt;
    return it->second;
}

size_t TraceIndex::find_event_chunk(uint64_t icount) const {
    auto it = std::partition_point(event_chunks_.begin(), event_chunks_.end(), [&](uint32_t c) {
        return chunks_[c].frame.last_icount < icount;
    });
    return static_cast<size_t>(it - event_chunks_.begin());
}

Status TraceIndex::validate(uint64_t begin, uint64_t end) const {
    if (end < begin) return make_error("index at offset {} before the first chunk", end);
    uint64_t at = begin;
    uint64_t last_icount = 0;
    for (size_t i = 0; i < chunks_.size(); ++i) {
        const ChunkEntry& c = chunks_[i];
        if (c.offset != at)
            return make_error("index entry {} at offset {}, expected offset {}", i, c.offset, at);
        if (c.frame.kind == ChunkKind::Index)
            return make_error("index entry {} names an index chunk", i);
        if (c.frame.total_bytes() > end - at)
            return make_error("index entry {} at offset {} runs past offset {}", i, at, end);
        at += c.frame.total_bytes();
        if (c.frame.kind != ChunkKind::Events) continue;
        if (c.frame.first_icount < last_icount)
            return make_error("index entry {}: icount {} before the previous chunk's {}", i,
                              c.frame.first_icount, last_icount);
        last_icount = c.frame.last_icount;
    }
    if (at != end) return make_error("index covers chunks up to offset {}, not {}", at, end);
    for (const auto& [digest, chunk] : blob_order_) {
        if (chunk >= chunks_.size() || chunks_[chunk].frame.kind != ChunkKind::Data)
            return make_error("index: blob {} in chunk {}, which is not a data chunk", digest.hex(),
                              chunk);
    }
    return {};
}

std::vector<uint8_t> TraceIndex::pack(uint32_t& words) const {
    capnp::MallocMessageBuilder message;
    auto index = message.initRoot<schema::Index>();
    auto chunks = index.initChunks(static_cast<unsigned>(chunks_.size()));
    for (unsigned i = 0; i < chunks.size(); ++i) {
        const ChunkEntry& c = chunks_[i];
        chunks[i].setOffset(c.offset);
        chunks[i].setKind(static_cast<uint8_t>(c.frame.kind));
        chunks[i].setFirstIcount(c.frame.first_icount);
        chunks[i].setLastIcount(c.frame.last_icount);
        chunks[i].setCount(c.frame.count);
        chunks[i].setCompressedBytes(c.frame.compressed_bytes);
        chunks[i].setPackedBytes(c.frame.packed_bytes);
        chunks[i].setMessageWords(c.frame.message_words);
    }
    auto blobs = index.initBlobs(static_cast<unsigned>(blob_order_.size()));
    for (unsigned i = 0; i < blobs.size(); ++i) {
        set_digest(blobs[i].initDigest(), blob_order_[i].first);
        blobs[i].setChunk(blob_order_[i].second);
    }
    return pack_message(message, words);
}

Result<std::vector<uint8_t>> TraceIndex::encode_footer(uint64_t offset) const {
    uint32_t words = 0;
    std::vector<uint8_t> packed = pack(words);
    ChunkFrame frame;
    frame.kind = ChunkKind::Index;
    frame.count = static_cast<uint32_t>(chunks_.size());
    if (!event_chunks_.empty()) {
        frame.first_icount = chunks_[event_chunks_.front()].frame.first_icount;
        frame.last_icount = chunks_[event_chunks_.back()].frame.last_icount;
    }
    std::vector<uint8_t> out;
    FrameCodec codec;
    auto written = codec.append_packed(packed, words, frame, out);
    if (!written) return written.error();
    size_t at = out.size();
    out.resize(at + Trailer::kSize);
    Trailer{offset}.encode(out.data() + at);
    return out;
}

namespace {

Result<ChunkFrame> entry_frame(schema::ChunkEntry::Reader e, unsigned i) {
    ChunkFrame f;
    uint8_t kind = e.getKind();
    if (kind != static_cast<uint8_t>(ChunkKind::Events) &&
        kind != static_cast<uint8_t>(ChunkKind::Data))
        return make_error("index entry {}: chunk kind {}", i, kind);
    f.kind = static_cast<ChunkKind>(kind);
    f.first_icount = e.getFirstIcount();
    f.last_icount = e.getLastIcount();
    f.count = e.getCount();
    f.compressed_bytes = e.getCompressedBytes();
    f.packed_bytes = e.getPackedBytes();
    f.message_words = e.getMessageWords();
    if (f.first_icount > f.last_icount || f.count > kMaxChunkCount || f.compressed_bytes == 0 ||
        f.compressed_bytes > kMaxCompressedBytes || f.packed_bytes == 0 ||
        f.packed_bytes > kMaxPackedBytes || f.message_words == 0 ||
        f.message_words > kMaxMessageWords)
        return make_error("index entry {}: field out of range", i);
    return f;
}

} // namespace

Result<TraceIndex> TraceIndex::unpack(std::span<const uint8_t> packed, uint32_t words) {
    return read_packed<schema::Index>(
        packed, words, [&](schema::Index::Reader in) -> Result<TraceIndex> {
            TraceIndex index;
            auto chunks = in.getChunks();
            for (unsigned i = 0; i < chunks.size(); ++i) {
                auto frame = entry_frame(chunks[i], i);
                if (!frame) return frame.error();
                index.add_chunk(chunks[i].getOffset(), *frame);
            }
            // Every blob entry names a blob some data chunk holds: more entries than blobs is
            // damage, caught before the loop (a list of empty structs costs no bytes).
            uint64_t stored = 0;
            for (const ChunkEntry& c : index.chunks())
                stored += c.frame.kind == ChunkKind::Data ? c.frame.count : 0;
            auto blobs = in.getBlobs();
            if (blobs.size() > stored)
                return make_error("index lists {} blobs, its data chunks hold {}", blobs.size(),
                                  stored);
            for (auto blob : blobs)
                index.add_blob(get_digest(blob.getDigest()), blob.getChunk());
            return index;
        });
}

} // namespace rr86::trace
