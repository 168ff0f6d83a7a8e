// The host side of a session: where guest output goes (serial, debug console, monitor replies)
// and the threads that carry host input (monitor lines, typed serial bytes, SIGINT/SIGTERM) to the
// machine's event queue. Nothing here touches guest state.
#pragma once

#include "engine/events.h"
#include "engine/machine_config.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace rr86::tools {

// A byte sink for a CharTarget (stdio, file:PATH, null). Errors (unwritable file) are returned.
struct ByteSink {
    std::function<void(uint8_t)> put;
    std::function<void(const std::string&)> write;
};
std::optional<std::string> open_sink(const CharTarget& target, ByteSink& sink);

// Starts the threads that feed `queue`: the monitor (stdio or a unix socket server), serial
// input from stdin (when the serial port is on stdio and the monitor is not), and a signal
// thread turning SIGINT/SIGTERM into HostEvent::Quit. Monitor replies go to `monitor_reply`.
class HostInput {
  public:
    HostInput(EventQueue& queue, const MachineConfig& cfg);
    ~HostInput();
    std::optional<std::string> start();
    void reply(const std::string& text);

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// Blocks SIGINT/SIGTERM in the calling thread and every thread it creates afterwards (the signal
// thread takes them with sigwait). Call first thing in main-like code.
void block_termination_signals();

} // namespace rr86::tools
