// The work behind `rr86 trace info|dump|verify|repair` (tools/cmd_trace.cpp only parses the
// command line). Each function prints its results to `out`, one line per error to `err`, and
// returns the exit code: 0 ok, 2 for a file that cannot be read or is damaged (tools/commands.h:
// bad host input).
#pragma once

#include "traces/event.h"
#include "traces/result.h"

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

namespace rr86::trace {

struct DumpOptions {
    std::optional<uint64_t> from; // first icount shown (the reader seeks there)
    std::optional<uint64_t> to;   // last icount shown
    std::vector<EventKind> kinds; // empty: every kind
    std::vector<uint16_t> ports;  // port accesses to these ports only; alone, implies kind port
    bool json = false;            // JSON lines
};

// Parses `--kind` names and `--port` numbers (decimal or 0x hex) into `options`.
Status parse_dump_filters(const std::vector<std::string>& kinds,
                          const std::vector<std::string>& ports, DumpOptions& options);

int trace_info(const std::string& path, bool json, std::FILE* out, std::FILE* err);
int trace_dump(const std::string& path, const DumpOptions& options, std::FILE* out, std::FILE* err);
int trace_verify(const std::string& path, std::FILE* out, std::FILE* err);
int trace_repair(const std::string& path, std::FILE* out, std::FILE* err);

} // namespace rr86::trace
