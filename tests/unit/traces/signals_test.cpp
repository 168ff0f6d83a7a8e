// SIGINT/SIGTERM: the recording loop sees the request, ends the session and closes the file.
#include "test_support.h"

#include "traces/signals.h"
#include "traces/verify.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

using namespace rr86::trace;
using namespace rr86::trace::test;

TEST_CASE("a close signal is recorded and the handler is one-shot") {
    CloseSignals::clear();
    REQUIRE_OK(CloseSignals::install());
    CHECK(CloseSignals::requested() == 0);
    ::raise(SIGTERM);
    CHECK(CloseSignals::requested() == SIGTERM);
    CloseSignals::clear();
    CloseSignals::uninstall();
}

TEST_CASE("SIGTERM to a recorder: it closes the file cleanly with an interrupted end record") {
    ScratchDir dir;
    std::string path = dir.file("term.rr86");
    pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        // A recorder as tools/ will write one: poll the flag in the run loop.
        if (!CloseSignals::install().ok()) _exit(3);
        auto writer = TraceWriter::create(path, sample_header());
        if (!writer) _exit(4);
        uint64_t icount = 0;
        while (!CloseSignals::requested()) {
            (*writer)->port_access(icount += 5, 0x402, 1, true, 'x');
            if (icount % 50000 == 0) std::this_thread::sleep_for(std::chrono::microseconds(100));
        }
        (*writer)->append(icount + 1, End{Outcome::Interrupted, 0, {}});
        _exit((*writer)->close().ok() ? 0 : 5);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    kill(child, SIGTERM);
    int status = 0;
    waitpid(child, &status, 0);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);

    auto reader = TraceReader::open(path);
    REQUIRE_OK(reader);
    CHECK(reader->has_index());
    auto events = read_all(*reader);
    REQUIRE_FALSE(events.empty());
    REQUIRE(events.back().get<End>());
    CHECK(events.back().get<End>()->outcome == Outcome::Interrupted);
    CHECK(verify_trace(*reader).ok());
}
