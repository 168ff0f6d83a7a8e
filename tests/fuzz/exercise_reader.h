// What the fuzzer does with one input, shared with the regression tests in tests/unit/traces so
// that a crash input replays the exact same calls: open the bytes as a trace, read every event,
// format it, seek, fetch blobs, verify.
#pragma once

#include "traces/byte_source.h"
#include "traces/event_format.h"
#include "traces/reader.h"
#include "traces/verify.h"

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace rr86::trace::fuzz {

inline void exercise_reader(std::span<const uint8_t> bytes) {
    auto reader = TraceReader::open(std::make_unique<MemorySource>(bytes, "input"));
    if (!reader) return;
    Event event;
    std::vector<Digest128> blobs;
    uint64_t last = 0;
    size_t shown = 0;
    while (reader->next(event)) {
        if (shown++ < 64) {
            (void)event_text(event);
            (void)event_json(event);
        }
        if (auto* d = event.get<DiskRead>(); d && blobs.size() < 8) blobs.push_back(d->data);
        last = event.icount;
    }
    for (uint64_t icount : {uint64_t{0}, last / 2, last, last + 1, ~uint64_t{0}}) {
        if (reader->seek(icount).ok()) (void)reader->next(event);
    }
    for (const Digest128& digest : blobs)
        (void)reader->blob(digest);
    (void)verify_trace(*reader);
}

} // namespace rr86::trace::fuzz
