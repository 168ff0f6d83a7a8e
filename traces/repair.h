// `rr86 trace repair`: gives a file whose writer was killed (no index, maybe a torn last chunk)
// its index back. It drops the torn tail, checks every complete chunk, and appends the index and
// trailer. It refuses damage that is not a torn tail: it restores what a crash loses, it does not
// guess around corruption.
#pragma once

#include "traces/result.h"

#include <cstdint>
#include <string>

namespace rr86::trace {

struct RepairReport {
    bool had_index = false; // nothing was done
    uint64_t chunks = 0;
    uint64_t events = 0;
    uint64_t blobs = 0;
    uint64_t dropped_bytes = 0; // torn tail (and any old index chunk) removed
    uint64_t file_bytes = 0;
};

Result<RepairReport> repair_trace(const std::string& path);

} // namespace rr86::trace
