// Walking the chunk frames of a file from the first chunk on, reading the 56-byte frame headers
// only (each names its payload size, so the walk skips payloads). This is how a file with no index
// is recovered, how verify checks an index, and how repair finds where the complete chunks end.
#pragma once

#include "traces/byte_source.h"
#include "traces/index.h"

#include <cstdint>
#include <optional>
#include <string>

namespace rr86::trace {

struct ScanResult {
    TraceIndex index;                    // the complete chunks found (no blob entries)
    uint64_t end = 0;                    // offset just past the last complete chunk
    std::optional<uint64_t> index_frame; // an index chunk starts at `end`
    // Why the walk stopped before the end of the file, or empty when it reached it (or an index
    // chunk). A torn tail after a crash lands here, as does damage in the middle.
    std::string stopped;
    // The stop is what a killed writer leaves: a chunk or chunk header cut short by the end of
    // the file. Anything else (a bad magic or checksum with bytes after it) is damage.
    bool torn = false;
};

ScanResult scan_chunks(const ByteSource& source, uint64_t begin);

} // namespace rr86::trace
