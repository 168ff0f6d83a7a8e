// Clean shutdown on SIGINT and SIGTERM (issue 4). The handler only records the signal number in
// a lock-free atomic (async-signal-safe). The recording loop polls requested() and ends the
// session itself: it appends End{Outcome::Interrupted} and calls TraceWriter::close(), which
// writes the index. Meanwhile every TraceWriter thread that sees the flag writes out what it holds
// within one flush interval, so nothing already appended is lost even if the program is killed
// before it gets to close(). The handler is one-shot (SA_RESETHAND): a second ^C kills the
// program the ordinary way, and the file is then recovered by the reader / `rr86 trace repair`.
#pragma once

#include "traces/result.h"

namespace rr86::trace {

class CloseSignals {
  public:
    static Status install();
    static void uninstall(); // restores the handlers install() replaced
    // 0, or the number of the signal that asked for a close. Cheap: a relaxed atomic load.
    static int requested();
    static void clear();
};

} // namespace rr86::trace
