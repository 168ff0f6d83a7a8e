#include "traces/scan.h"

namespace rr86::trace {

ScanResult scan_chunks(const ByteSource& source, uint64_t begin) {
    ScanResult scan;
    uint64_t at = begin;
    uint64_t last_icount = 0;
    const uint64_t size = source.size();
    while (at < size) {
        if (size - at < ChunkFrame::kSize) {
            scan.stopped = fmt::format("offset {}: torn chunk header ({} of {} bytes)", at,
                                       size - at, ChunkFrame::kSize);
            scan.torn = true;
            break;
        }
        uint8_t bytes[ChunkFrame::kSize];
        if (auto st = source.read_at(at, bytes, sizeof bytes); !st) {
            // The source's message starts with the file name; the caller adds its own.
            std::string what = st.message();
            if (what.rfind(source.name() + ": ", 0) == 0) what.erase(0, source.name().size() + 2);
            scan.stopped = what;
            break;
        }
        auto frame = ChunkFrame::decode(bytes);
        if (!frame) {
            scan.stopped = fmt::format("chunk {} at offset {}: {}", scan.index.chunks().size(), at,
                                       frame.message());
            break;
        }
        if (frame->kind == ChunkKind::Index) {
            scan.index_frame = at;
            break;
        }
        if (frame->total_bytes() > size - at) {
            scan.stopped =
                fmt::format("chunk {} at offset {}: torn ({} of {} bytes)",
                            scan.index.chunks().size(), at, size - at, frame->total_bytes());
            scan.torn = true;
            break;
        }
        if (frame->kind == ChunkKind::Events && frame->first_icount < last_icount) {
            scan.stopped =
                fmt::format("chunk {} at offset {}: icount {} before the previous "
                            "chunk's {}",
                            scan.index.chunks().size(), at, frame->first_icount, last_icount);
            break;
        }
        if (frame->kind == ChunkKind::Events) last_icount = frame->last_icount;
        scan.index.add_chunk(at, *frame);
        at += frame->total_bytes();
    }
    scan.end = at;
    return scan;
}

} // namespace rr86::trace
