// Replayer: drives a machine rebuilt from a trace's header so that it meets every recorded event
// at its exact icount (DESIGN.md, determinism contract). Host events and the timing of
// asynchronous requests come from the trace; everything else the machine recomputes, and each
// access, interrupt and request is compared with the log. The first mismatch is a divergence.
#pragma once

#include "engine/machine.h"
#include "traces/reader.h"

#include <deque>
#include <optional>
#include <string>

namespace rr86::replay {

class Replayer : public MachineObserver, public HostEventSource {
  public:
    Replayer(trace::TraceReader& reader, Machine& m);
    ~Replayer() override;

    // Runs the machine to the recorded end. Returns true when everything matched; otherwise
    // report() holds the divergence (icount, CS:EIP, instruction, expected, actual, context).
    bool run();
    const std::string& report() const { return report_; }
    uint64_t events_checked() const { return checked_; }
    Outcome outcome() const { return outcome_; }

    // MachineObserver: what the machine did, checked against the log.
    void host_event(uint64_t icount, const HostEvent& e) override;
    void guest_request(uint64_t icount, ResetSource source) override;
    void guest_exit(uint64_t icount, int status) override;
    void request_applied(uint64_t icount, ResetSource source, uint64_t requested_at) override;
    void interrupt(uint64_t icount, uint8_t vector) override;
    void runstate(uint64_t icount, RunState from, RunState to) override;

    // HostEventSource: what the host did, from the log.
    uint64_t next_due() const override;
    std::optional<HostEvent> take(uint64_t icount) override;
    std::optional<HostEvent> wait(uint64_t icount) override;
    bool async_due(uint64_t icount) override;

  private:
    void advance();
    void expect(const trace::Event& actual);
    void diverge(const std::string& what, const trace::Event* actual);
    bool next_is_host_event() const;
    std::string where() const;
    std::string check_end();

    trace::TraceReader& reader_;
    Machine& m_;
    std::optional<trace::Event> next_;
    std::deque<trace::Event> recent_;
    std::string report_;
    bool diverged_ = false;
    bool stopped_at_end_ = false;
    uint64_t checked_ = 0;
    Outcome outcome_;
};

} // namespace rr86::replay
