// Writes a copy of a trace in which the value of the Nth port read (counting from 0) is changed,
// everything else equal: the replayer must catch it (issue 5, "tampering is caught").
// usage: trace_tamper IN OUT N
#include "traces/reader.h"
#include "traces/writer.h"

#include <cstdio>
#include <cstdlib>

using namespace rr86::trace;

int main(int argc, char** argv) {
    if (argc != 4) {
        std::fprintf(stderr, "usage: trace_tamper IN OUT N\n");
        return 2;
    }
    auto reader = TraceReader::open(argv[1]);
    if (!reader) {
        std::fprintf(stderr, "%s\n", reader.message().c_str());
        return 2;
    }
    auto writer = TraceWriter::create(argv[2], reader->header());
    if (!writer) {
        std::fprintf(stderr, "%s\n", writer.message().c_str());
        return 2;
    }
    long target = std::atol(argv[3]), reads = 0;
    bool changed = false;
    Event e;
    while (reader->next(e)) {
        if (auto* p = std::get_if<PortAccess>(&e.payload); p && !p->write && reads++ == target) {
            p->value ^= 1;
            changed = true;
        }
        (*writer)->append(e);
    }
    Status st = (*writer)->close();
    if (!st.ok() || !changed) {
        std::fprintf(stderr, "trace_tamper: %s\n", changed ? st.message().c_str() : "no such read");
        return 2;
    }
    return 0;
}
