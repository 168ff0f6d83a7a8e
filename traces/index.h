// TraceIndex: where every chunk of a file is, by offset and icount range, and which data chunk
// holds each blob. Written as the footer by close() and by repair; rebuilt from the frame headers
// alone when a file has none (a recorder that was killed).
#pragma once

#include "traces/digest.h"
#include "traces/format.h"
#include "traces/result.h"

#include <cstdint>
#include <optional>
#include <span>
#include <unordered_map>
#include <vector>

namespace rr86::trace {

struct ChunkEntry {
    uint64_t offset = 0; // of the frame
    ChunkFrame frame;    // payload_checksum is not part of the index; see TraceReader
};

class TraceIndex {
  public:
    void add_chunk(uint64_t offset, const ChunkFrame& frame);
    void add_blob(const Digest128& digest, uint32_t chunk);

    const std::vector<ChunkEntry>& chunks() const { return chunks_; }
    size_t blob_count() const { return blobs_.size(); }
    bool has_blob(const Digest128& digest) const { return blobs_.count(digest) != 0; }
    std::optional<uint32_t> blob_chunk(const Digest128& digest) const;
    const std::vector<std::pair<Digest128, uint32_t>>& blob_list() const { return blob_order_; }

    // Positions (in chunks()) of the event chunks, in icount order.
    const std::vector<uint32_t>& event_chunks() const { return event_chunks_; }
    // First event chunk (position in event_chunks()) whose last icount is >= `icount`.
    size_t find_event_chunk(uint64_t icount) const;
    uint64_t event_count() const { return event_count_; }

    // Checks that the entries describe a well-formed file whose chunks tile [begin, end): no gaps,
    // no overlaps, event chunks in icount order, blob entries naming data chunks.
    Status validate(uint64_t begin, uint64_t end) const;

    // The index chunk and the trailer pointing at it, for writing at `offset`, the end of the
    // last chunk: what close() and repair append.
    Result<std::vector<uint8_t>> encode_footer(uint64_t offset) const;

    // The Index message, packed; `words` receives its unpacked size.
    std::vector<uint8_t> pack(uint32_t& words) const;
    static Result<TraceIndex> unpack(std::span<const uint8_t> packed, uint32_t words);

  private:
    std::vector<ChunkEntry> chunks_;
    std::vector<uint32_t> event_chunks_;
    std::unordered_map<Digest128, uint32_t, Digest128Hash> blobs_;
    std::vector<std::pair<Digest128, uint32_t>> blob_order_;
    uint64_t event_count_ = 0;
};

} // namespace rr86::trace
