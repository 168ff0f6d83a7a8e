// TraceReader: opens a trace file, checks its prologue and header, finds its chunks (from the
// index footer, or by walking the frame headers when the writer never finished), and reads
// events from any icount on without touching the chunks before it.
#pragma once

#include "traces/byte_source.h"
#include "traces/event.h"
#include "traces/event_block.h"
#include "traces/header.h"
#include "traces/index.h"
#include "traces/result.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace rr86::trace {

class FrameCodec;

class TraceReader {
  public:
    // Errors: one line naming the file and the offset (missing, unreadable, directory, empty,
    // truncated header, bad magic, newer required reader version, damaged header).
    static Result<TraceReader> open(const std::string& path);
    static Result<TraceReader> open(std::unique_ptr<ByteSource> source);

    TraceReader(TraceReader&&) noexcept;
    TraceReader& operator=(TraceReader&&) noexcept;
    ~TraceReader();

    const std::string& name() const;
    const ByteSource& source() const { return *source_; }
    const Header& header() const { return header_; }
    const TraceIndex& index() const { return index_; }
    uint64_t file_size() const;
    uint64_t header_bytes() const { return chunks_begin_; } // prologue + header message
    uint64_t chunks_end() const { return chunks_end_; }     // where the complete chunks end
    // True when the footer was present and valid; false when the chunks were found by a walk.
    bool has_index() const { return has_index_; }
    // What the open had to work around: a missing or unusable index, a torn tail.
    const std::vector<std::string>& notes() const { return notes_; }

    // ---- the event cursor ----
    // Positions the cursor at the first event whose icount is >= `icount`. Reads one chunk.
    Status seek(uint64_t icount);
    // The next event; false at the end or on an error (then status() says which).
    bool next(Event& event);
    const Status& status() const { return status_; }

    // ---- bulk data ----
    Result<std::vector<uint8_t>> blob(const Digest128& digest);

    // ---- single chunks (verify, tools); `chunk` is a position in index().chunks() ----
    Result<EventBlock> read_events(size_t chunk);
    Status read_events_into(size_t chunk, EventBlock& block);
    Result<std::vector<Blob>> read_data(size_t chunk);

  private:
    TraceReader();
    Status open_chunks();
    Status load_index();
    Result<std::span<const uint8_t>> read_payload(size_t chunk);
    Status load_event_chunk(size_t position);
    Status load_blob_map();
    Error chunk_error(size_t chunk, const std::string& what) const;

    std::unique_ptr<ByteSource> source_;
    std::unique_ptr<FrameCodec> codec_;
    Header header_;
    TraceIndex index_;
    uint64_t chunks_begin_ = 0;
    uint64_t chunks_end_ = 0;
    bool has_index_ = false;
    bool blob_map_complete_ = false;
    std::vector<std::string> notes_;
    std::vector<uint8_t> buffer_;

    size_t cursor_chunk_ = 0; // position in index_.event_chunks()
    size_t cursor_pos_ = 0;
    EventBlock block_;
    bool block_loaded_ = false;
    Status status_;

    std::optional<size_t> data_chunk_;
    std::vector<Blob> data_blobs_;
};

} // namespace rr86::trace
