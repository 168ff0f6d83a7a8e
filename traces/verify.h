// Verification of a whole trace (`rr86 trace verify`): every checksum, the index against an
// independent walk of the frames, the decoded content of every chunk against its frame, icount
// order across chunks, blob references, and the end record.
#pragma once

#include "traces/reader.h"

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace rr86::trace {

struct VerifyReport {
    std::vector<std::string> problems; // one line each, naming the file and the chunk or offset
    std::vector<std::string> notes;    // not errors: e.g. a recording without an end record
    uint64_t chunks = 0;
    uint64_t events = 0;
    uint64_t blobs = 0;
    bool ok() const { return problems.empty(); }
};

// Stops collecting after `max_problems` (a file damaged early has as many as it has chunks).
VerifyReport verify_trace(TraceReader& reader, size_t max_problems = 20);

} // namespace rr86::trace
