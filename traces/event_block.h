// The decoded content of one chunk, validated as a whole when it is decoded so that iterating
// over it cannot fail half-way.
#pragma once

#include "traces/digest.h"
#include "traces/event.h"
#include "traces/format.h"
#include "traces/result.h"
#include "traces/value_history.h"

#include <cstdint>
#include <span>
#include <vector>

namespace rr86::trace {

class ChunkColumns;

// The events of one event chunk in flat per-event arrays (trace.capnp, EventChunk, merged back
// into event order): materialising an Event is then a few loads.
class EventBlock {
  public:
    size_t size() const { return icounts_.size(); }
    uint64_t icount(size_t i) const { return icounts_[i]; }
    EventKind kind(size_t i) const;
    void get(size_t i, Event& out) const;
    Event at(size_t i) const;
    // Position of the first event with icount >= `icount` (size() if none).
    size_t lower_bound(uint64_t icount) const;

    // `packed` is the decompressed payload of an event chunk described by `frame`; `coding`
    // follows from the file's format version (value_history.h).
    static Result<EventBlock> decode(const ChunkFrame& frame, std::span<const uint8_t> packed,
                                     ValueCoding coding);
    // The same into an existing block, reusing its memory (a reader walking a file decodes chunk
    // after chunk of the same size). On error the block is left empty.
    static Status decode_into(const ChunkFrame& frame, std::span<const uint8_t> packed,
                              ValueCoding coding, EventBlock& block);

  private:
    friend class ChunkColumns;
    // One entry per event; for a record, addresses_ holds its index in records_.
    std::vector<uint64_t> icounts_;
    std::vector<uint8_t> tags_;
    std::vector<uint64_t> addresses_;
    std::vector<uint64_t> values_;
    std::vector<Payload> records_;
};

struct Blob {
    Digest128 digest;
    std::vector<uint8_t> bytes;
};

// The blobs of one data chunk; each blob's digest is checked against its bytes.
Result<std::vector<Blob>> decode_data_chunk(const ChunkFrame& frame,
                                            std::span<const uint8_t> packed);

} // namespace rr86::trace
