// Turns runs of batch slots into chunk frames: an event chunk per run (at most
// `events_per_chunk` events), preceded by the data chunks holding the run's new blobs, so that a
// reader that has an event has the bytes it refers to. Runs on the writer thread.
#pragma once

#include "traces/batch.h"
#include "traces/frame_codec.h"
#include "traces/index.h"
#include "traces/result.h"
#include "traces/value_history.h"

#include <capnp/common.h>

#include <cstdint>
#include <memory>
#include <unordered_set>
#include <vector>

namespace rr86::trace {

class ChunkEncoder {
  public:
    ChunkEncoder(int zstd_level, uint32_t events_per_chunk);

    // Encodes slots [begin, end) of `batch`, appending frames to `out`. `base` is the file offset
    // at which `out` will be written; every frame is added to `index`.
    Status encode(const Batch& batch, uint32_t begin, uint32_t end, uint64_t base,
                  std::vector<uint8_t>& out, TraceIndex& index);

    uint64_t events() const { return events_; }
    uint64_t last_icount() const { return last_icount_; }

  private:
    // End of the run starting at `begin`: at most events_per_chunk_ events.
    uint32_t run_end(const Batch& batch, uint32_t begin, uint32_t end) const;
    Status check_run(const Batch& batch, uint32_t begin, uint32_t end);
    Status encode_blobs(const Batch& batch, uint32_t begin, uint32_t end, uint64_t base,
                        std::vector<uint8_t>& out, TraceIndex& index);
    Status write_data_chunk(const Batch& batch, const std::vector<uint32_t>& blobs, uint64_t base,
                            std::vector<uint8_t>& out, TraceIndex& index);
    Status encode_events(const Batch& batch, uint32_t begin, uint32_t end, uint64_t base,
                         std::vector<uint8_t>& out, TraceIndex& index);

    FrameCodec codec_;
    uint32_t events_per_chunk_;
    // First segment of every chunk message (zero when idle: MallocMessageBuilder re-zeroes it),
    // so building a chunk allocates nothing.
    std::unique_ptr<capnp::word[]> scratch_;
    size_t scratch_words_;
    std::unordered_set<Digest128, Digest128Hash> written_blobs_;
    ValueHistory history_;
    uint64_t last_icount_ = 0;
    uint64_t run_anchor_ = 0; // icount before the run: what its data chunks are stamped with
    uint64_t events_ = 0;
};

} // namespace rr86::trace
