#include "traces/reader.h"

#include "traces/digest.h"
#include "traces/format.h"
#include "traces/frame_codec.h"
#include "traces/scan.h"
#include "traces/schema_codec.h"

#include <cstring>

namespace rr86::trace {

TraceReader::TraceReader() : codec_(std::make_unique<FrameCodec>()) {}
TraceReader::TraceReader(TraceReader&&) noexcept = default;
TraceReader& TraceReader::operator=(TraceReader&&) noexcept = default;
TraceReader::~TraceReader() = default;

const std::string& TraceReader::name() const { return source_->name(); }
uint64_t TraceReader::file_size() const { return source_->size(); }

Result<TraceReader> TraceReader::open(const std::string& path) {
    auto source = FileSource::open(path);
    if (!source) return source.error();
    return open(std::move(*source));
}

namespace {

Result<Prologue> read_prologue(const ByteSource& source) {
    const std::string& name = source.name();
    if (source.size() == 0) return make_error("{}: empty file, not an rr86 trace", name);
    if (source.size() < Prologue::kSize)
        return make_error("{}: truncated at offset {}: a trace starts with {} bytes of prologue",
                          name, source.size(), Prologue::kSize);
    uint8_t bytes[Prologue::kSize];
    if (auto st = source.read_at(0, bytes, sizeof bytes); !st) return st.error();
    auto prologue = Prologue::decode(bytes);
    if (!prologue) return make_error("{}: {}", name, prologue.message());
    return prologue;
}

Result<Header> read_header(const ByteSource& source, const Prologue& prologue) {
    const std::string& name = source.name();
    if (prologue.header_bytes > source.size() - Prologue::kSize)
        return make_error("{}: truncated header: {} bytes at offset {} but the file has {} bytes",
                          name, prologue.header_bytes, Prologue::kSize, source.size());
    std::vector<uint8_t> bytes(prologue.header_bytes);
    if (auto st = source.read_at(Prologue::kSize, bytes.data(), bytes.size()); !st)
        return st.error();
    if (!checksum_matches(prologue.header_checksum, checksum64(bytes.data(), bytes.size())))
        return make_error("{}: offset {}: header checksum mismatch", name, Prologue::kSize);
    auto header = read_packed<schema::Header>(bytes, prologue.header_words, get_header);
    if (!header)
        return make_error("{}: offset {}: header: {}", name, Prologue::kSize, header.message());
    if (header->format_version != prologue.format_version ||
        header->min_reader_version != prologue.min_reader_version)
        return make_error("{}: offset {}: header versions {}/{} disagree with the prologue's {}/{}",
                          name, Prologue::kSize, header->format_version, header->min_reader_version,
                          prologue.format_version, prologue.min_reader_version);
    return header;
}

} // namespace

Result<TraceReader> TraceReader::open(std::unique_ptr<ByteSource> source) {
    TraceReader reader;
    reader.source_ = std::move(source);
    auto prologue = read_prologue(*reader.source_);
    if (!prologue) return prologue.error();
    auto header = read_header(*reader.source_, *prologue);
    if (!header) return header.error();
    reader.header_ = std::move(*header);
    reader.chunks_begin_ = Prologue::kSize + prologue->header_bytes;
    if (auto st = reader.open_chunks(); !st) return st.error();
    return reader;
}

// Without a usable footer the chunks are found by walking the frames; what happened is told in
// one note (one line, like every error), which verify reports as its problem.
Status TraceReader::open_chunks() {
    auto st = load_index();
    if (st.ok()) {
        has_index_ = true;
        return {};
    }
    ScanResult scan = scan_chunks(*source_, chunks_begin_);
    index_ = std::move(scan.index);
    chunks_end_ = scan.end;
    std::string note = st.message().empty()
                           ? fmt::format("{}: no index (the writer did not close the file)", name())
                           : st.message();
    note += fmt::format("; {} complete chunks recovered", index_.chunks().size());
    if (!scan.stopped.empty())
        note += fmt::format(", then {}", scan.stopped);
    else if (scan.index_frame && st.message().empty())
        note +=
            fmt::format(", then an index chunk at offset {} without trailer", *scan.index_frame);
    notes_.push_back(note + "; `rr86 trace repair` writes the index");
    return {};
}

// Ok: the footer is loaded. An error with an empty message: there is no trailer. Any other
// error: a trailer is there but what it points at is unusable.
Status TraceReader::load_index() {
    const uint64_t size = file_size();
    if (size < chunks_begin_ + ChunkFrame::kSize + Trailer::kSize) return Error{};
    uint8_t tail[Trailer::kSize];
    if (auto st = source_->read_at(size - Trailer::kSize, tail, sizeof tail); !st) return Error{};
    if (std::memcmp(tail + 16, kTrailerMagic.data(), kTrailerMagic.size()) != 0) return Error{};
    const uint64_t trailer_at = size - Trailer::kSize;
    auto trailer = Trailer::decode(tail);
    if (!trailer) return make_error("{}: offset {}: {}", name(), trailer_at, trailer.message());
    const uint64_t at = trailer->index_offset;
    if (at < chunks_begin_ || at > trailer_at - ChunkFrame::kSize)
        return make_error("{}: offset {}: trailer points at offset {}, outside the chunks", name(),
                          trailer_at, at);
    auto fail = [&](const std::string& what) {
        return make_error("{}: index at offset {}: {}", name(), at, what);
    };
    uint8_t frame_bytes[ChunkFrame::kSize];
    if (auto st = source_->read_at(at, frame_bytes, sizeof frame_bytes); !st) return st;
    auto frame = ChunkFrame::decode(frame_bytes);
    if (!frame) return fail(frame.message());
    if (frame->kind != ChunkKind::Index) return fail("not an index chunk");
    if (frame->total_bytes() != trailer_at - at) return fail("size does not reach the trailer");
    buffer_.resize(frame->compressed_bytes);
    if (auto st = source_->read_at(at + ChunkFrame::kSize, buffer_.data(), buffer_.size()); !st)
        return st;
    auto packed = codec_->decompress(*frame, buffer_);
    if (!packed) return fail(packed.message());
    auto index = TraceIndex::unpack(*packed, frame->message_words);
    if (!index) return fail(index.message());
    if (index->chunks().size() != frame->count)
        return fail(fmt::format("{} entries, frame says {}", index->chunks().size(), frame->count));
    if (auto st = index->validate(chunks_begin_, at); !st) return fail(st.message());
    index_ = std::move(*index);
    chunks_end_ = at;
    blob_map_complete_ = true;
    return {};
}

Error TraceReader::chunk_error(size_t chunk, const std::string& what) const {
    return make_error("{}: chunk {} at offset {}: {}", name(), chunk, index_.chunks()[chunk].offset,
                      what);
}

Result<std::span<const uint8_t>> TraceReader::read_payload(size_t chunk) {
    if (chunk >= index_.chunks().size())
        return make_error("{}: no chunk {} ({} chunks)", name(), chunk, index_.chunks().size());
    const ChunkEntry& entry = index_.chunks()[chunk];
    buffer_.resize(entry.frame.total_bytes());
    if (auto st = source_->read_at(entry.offset, buffer_.data(), buffer_.size()); !st)
        return st.error();
    auto frame = ChunkFrame::decode(buffer_.data());
    if (!frame) return chunk_error(chunk, frame.message());
    if (!frame->same_layout(entry.frame)) return chunk_error(chunk, "frame differs from the index");
    auto payload = std::span<const uint8_t>(buffer_).subspan(ChunkFrame::kSize);
    auto packed = codec_->decompress(*frame, payload);
    if (!packed) return chunk_error(chunk, packed.message());
    return packed;
}

Result<EventBlock> TraceReader::read_events(size_t chunk) {
    EventBlock block;
    if (auto st = read_events_into(chunk, block); !st) return st.error();
    return block;
}

Status TraceReader::read_events_into(size_t chunk, EventBlock& block) {
    auto packed = read_payload(chunk);
    if (!packed) return packed.error();
    const ChunkFrame& frame = index_.chunks()[chunk].frame;
    if (frame.kind != ChunkKind::Events) return chunk_error(chunk, "not an event chunk");
    ValueCoding coding = value_coding(header_.format_version);
    if (auto st = EventBlock::decode_into(frame, *packed, coding, block); !st)
        return chunk_error(chunk, st.message());
    return {};
}

Result<std::vector<Blob>> TraceReader::read_data(size_t chunk) {
    auto packed = read_payload(chunk);
    if (!packed) return packed.error();
    const ChunkFrame& frame = index_.chunks()[chunk].frame;
    if (frame.kind != ChunkKind::Data) return chunk_error(chunk, "not a data chunk");
    auto blobs = decode_data_chunk(frame, *packed);
    if (!blobs) return chunk_error(chunk, blobs.message());
    return blobs;
}

Status TraceReader::load_event_chunk(size_t position) {
    block_loaded_ = false;
    if (auto st = read_events_into(index_.event_chunks()[position], block_); !st) return st;
    block_loaded_ = true;
    return {};
}

Status TraceReader::seek(uint64_t icount) {
    status_ = {};
    block_loaded_ = false;
    cursor_pos_ = 0;
    cursor_chunk_ = index_.find_event_chunk(icount);
    if (cursor_chunk_ >= index_.event_chunks().size()) return {};
    if (auto st = load_event_chunk(cursor_chunk_); !st) {
        status_ = st;
        return st;
    }
    cursor_pos_ = block_.lower_bound(icount);
    return {};
}

bool TraceReader::next(Event& event) {
    if (!status_.ok()) return false;
    while (!block_loaded_ || cursor_pos_ >= block_.size()) {
        if (block_loaded_) {
            ++cursor_chunk_;
            block_loaded_ = false;
        }
        if (cursor_chunk_ >= index_.event_chunks().size()) return false;
        if (auto st = load_event_chunk(cursor_chunk_); !st) {
            status_ = st;
            return false;
        }
        cursor_pos_ = 0;
    }
    block_.get(cursor_pos_++, event);
    return true;
}

Status TraceReader::load_blob_map() {
    for (size_t c = 0; c < index_.chunks().size(); ++c) {
        if (index_.chunks()[c].frame.kind != ChunkKind::Data) continue;
        auto blobs = read_data(c);
        if (!blobs) return blobs.error();
        for (const Blob& blob : *blobs)
            index_.add_blob(blob.digest, static_cast<uint32_t>(c));
    }
    blob_map_complete_ = true;
    return {};
}

Result<std::vector<uint8_t>> TraceReader::blob(const Digest128& digest) {
    if (!blob_map_complete_) {
        if (auto st = load_blob_map(); !st) return st.error();
    }
    auto chunk = index_.blob_chunk(digest);
    if (!chunk) return make_error("{}: blob {} is not in the trace", name(), digest.hex());
    if (data_chunk_ != *chunk) {
        auto blobs = read_data(*chunk);
        if (!blobs) return blobs.error();
        data_blobs_ = std::move(*blobs);
        data_chunk_ = *chunk;
    }
    for (const Blob& blob : data_blobs_) {
        if (blob.digest == digest) return blob.bytes;
    }
    return chunk_error(*chunk,
                       fmt::format("blob {} missing, the index says it is here", digest.hex()));
}

} // namespace rr86::trace
