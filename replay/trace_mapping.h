// The one mapping between the machine's vocabulary (engine/machine.h) and the trace's
// (traces/event.h, traces/header.h), shared by the recorder and the replayer so that what one
// writes the other reads back as the same event.
#pragma once

#include "engine/machine.h"
#include "traces/event.h"
#include "traces/header.h"

#include <optional>
#include <string>
#include <vector>

namespace rr86::replay {

trace::RequestKind request_kind(ResetSource source);
std::optional<ResetSource> reset_source(trace::RequestKind kind);
trace::Runstate runstate(RunState s);
trace::Outcome outcome(Outcome::Kind k);
Outcome::Kind outcome_kind(trace::Outcome o);
trace::Digest128 digest(const StateHash& h);

// A host event as the trace stores it (a quit from a signal is the monitor's "quit").
trace::Payload host_payload(const HostEvent& e);
// The host event a trace event stands for, if it is one the machine takes from the host.
std::optional<HostEvent> host_event(const trace::Event& e);

// The header's configuration part: the options as given, and the typed fields replay needs.
trace::Header make_header(const std::vector<std::pair<std::string, std::string>>& options,
                          const MachineConfig& cfg, const char* rr86_version);
// Options back from a header, in their order.
std::vector<std::pair<std::string, std::string>> options_of(const trace::Header& h);

// Every image the guest sees, described with size and digest (seed 003). Error: one line.
std::optional<std::string> describe_images(const MachineConfig& cfg,
                                           std::vector<trace::ImageInfo>& out);

} // namespace rr86::replay
