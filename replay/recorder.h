// Recorder: logs everything that crosses the machine's boundary into a trace (DESIGN.md,
// determinism contract §3-§5): every port and MMIO access with its value, every interrupt taken,
// guest requests and when they took effect, host events with the icount the vCPU took them at,
// runstate changes, and the end (outcome and state hash).
#pragma once

#include "engine/machine.h"
#include "traces/writer.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace rr86::replay {

class Recorder : public MachineObserver {
  public:
    // Opens `path` and writes the header (options as given, configuration, image digests), then
    // attaches to `m`. Error: one line naming the file or image.
    static std::unique_ptr<Recorder> create(const std::string& path,
                                            const std::vector<std::pair<std::string, std::string>>& options,
                                            Machine& m, const char* rr86_version,
                                            std::string& error);
    ~Recorder() override;

    // Writes the end record and closes the file. Returns an error line, or empty.
    std::string finish(const Outcome& out);
    trace::WriterStats stats() const { return writer_->stats(); }

    void host_event(uint64_t icount, const HostEvent& e) override;
    void guest_request(uint64_t icount, ResetSource source) override;
    void guest_exit(uint64_t icount, int status) override;
    void request_applied(uint64_t icount, ResetSource source, uint64_t requested_at) override;
    void interrupt(uint64_t icount, uint8_t vector) override;
    void runstate(uint64_t icount, RunState from, RunState to) override;

  private:
    Recorder(Machine& m, std::unique_ptr<trace::TraceWriter> w);
    void detach();
    Machine& m_;
    std::unique_ptr<trace::TraceWriter> writer_;
};

} // namespace rr86::replay
