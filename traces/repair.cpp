#include "traces/repair.h"

#include "traces/reader.h"
#include "traces/scan.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace rr86::trace {

namespace {

// Every complete chunk must decode, and the new index needs the data chunks' blob digests.
Result<TraceIndex> rebuild_index(TraceReader& reader, const TraceIndex& walked,
                                 RepairReport& report) {
    TraceIndex index;
    for (size_t c = 0; c < walked.chunks().size(); ++c) {
        const ChunkEntry& entry = walked.chunks()[c];
        index.add_chunk(entry.offset, entry.frame);
        if (entry.frame.kind == ChunkKind::Events) {
            auto block = reader.read_events(c);
            if (!block)
                return make_error("{} (repair rebuilds a missing index; it does not "
                                  "repair damaged chunks)",
                                  block.message());
            report.events += block->size();
        } else {
            auto blobs = reader.read_data(c);
            if (!blobs)
                return make_error("{} (repair rebuilds a missing index; it does not "
                                  "repair damaged chunks)",
                                  blobs.message());
            for (const Blob& blob : *blobs)
                index.add_blob(blob.digest, static_cast<uint32_t>(c));
            report.blobs += blobs->size();
        }
    }
    report.chunks = walked.chunks().size();
    return index;
}

Status rewrite_tail(const std::string& path, uint64_t end, const std::vector<uint8_t>& footer) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return make_error("{}: cannot open for writing: {}", path, std::strerror(errno));
    auto fail = [&](const char* what) {
        int err = errno;
        ::close(fd);
        return make_error("{}: offset {}: {}: {}", path, end, what, std::strerror(err));
    };
    if (::ftruncate(fd, static_cast<off_t>(end)) != 0) return fail("truncate");
    size_t done = 0;
    while (done < footer.size()) {
        ssize_t n = ::pwrite(fd, footer.data() + done, footer.size() - done,
                             static_cast<off_t>(end + done));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return fail("write");
        done += static_cast<size_t>(n);
    }
    if (::fdatasync(fd) != 0) return fail("fdatasync");
    if (::close(fd) != 0) return make_error("{}: close: {}", path, std::strerror(errno));
    return {};
}

} // namespace

Result<RepairReport> repair_trace(const std::string& path) {
    auto reader = TraceReader::open(path);
    if (!reader) return reader.error();
    RepairReport report;
    report.file_bytes = reader->file_size();
    if (reader->has_index()) {
        report.had_index = true;
        report.chunks = reader->index().chunks().size();
        report.events = reader->index().event_count();
        report.blobs = reader->index().blob_count();
        return report;
    }
    ScanResult scan = scan_chunks(reader->source(), reader->header_bytes());
    if (!scan.stopped.empty() && !scan.torn)
        return make_error("{}: {} (not a torn tail; repair rebuilds a missing index, it does not "
                          "cut away damage)",
                          path, scan.stopped);
    auto index = rebuild_index(*reader, scan.index, report);
    if (!index) return index.error();
    auto footer = index->encode_footer(scan.end);
    if (!footer) return make_error("{}: {}", path, footer.message());
    if (auto st = rewrite_tail(path, scan.end, *footer); !st) return st.error();
    report.dropped_bytes = reader->file_size() - scan.end;
    report.file_bytes = scan.end + footer->size();
    return report;
}

} // namespace rr86::trace
