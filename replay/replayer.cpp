#include "replay/replayer.h"

#include "engine/cpu/decode.h"
#include "replay/trace_mapping.h"
#include "traces/event_format.h"

#include <Zydis/Zydis.h>
#include <fmt/core.h>

namespace rr86::replay {

namespace {

constexpr size_t kContextEvents = 8;

bool is_host_side(const trace::Event& e) {
    return e.get<trace::MonitorCommand>() || e.get<trace::SerialInput>();
}

// The instruction at CS:insn_eip, disassembled (for divergence reports only: reads RAM/ROM
// through the physical map without side effects on devices).
std::string disassemble(Machine& m) {
    const Cpu& c = m.cpu();
    uint32_t linear = c.s.seg[CS].base + c.insn_eip;
    uint8_t bytes[15];
    for (unsigned i = 0; i < sizeof bytes; ++i) {
        PageTarget t = m.mem().lookup((linear + i) & c.a20_mask());
        bytes[i] = t.read ? t.read[(linear + i) & 0xfff] : 0xff;
    }
    ZydisDisassembledInstruction insn;
    ZydisMachineMode mode = !c.protected_mode() || c.v86_mode() ? ZYDIS_MACHINE_MODE_REAL_16
                            : c.code32()                        ? ZYDIS_MACHINE_MODE_LEGACY_32
                                                                : ZYDIS_MACHINE_MODE_LEGACY_16;
    if (ZYAN_SUCCESS(ZydisDisassembleIntel(mode, linear, bytes, sizeof bytes, &insn)))
        return insn.text;
    return "(undecodable)";
}

} // namespace

Replayer::Replayer(trace::TraceReader& reader, Machine& m) : reader_(reader), m_(m) {
    m_.io().observer = [this](const PortAccess& a) {
        expect({m_.cpu().s.icount, trace::PortAccess{a.port, a.size, a.write, a.value}});
    };
    m_.mem().mmio_observer = [this](uint64_t addr, unsigned size, bool write, uint32_t value) {
        expect({m_.cpu().s.icount, trace::MmioAccess{addr, uint8_t(size), write, value}});
    };
    m_.set_observer(this);
    m_.set_event_source(this);
    advance();
}

Replayer::~Replayer() {
    m_.io().observer = nullptr;
    m_.mem().mmio_observer = nullptr;
    m_.set_observer(nullptr);
}

// Loads the next recorded event the machine can produce (checkpoint markers are not).
void Replayer::advance() {
    trace::Event e;
    while (reader_.next(e)) {
        if (e.get<trace::Checkpoint>() || e.get<trace::UnknownEvent>()) continue;
        next_ = std::move(e);
        // The vCPU may be inside a run computed before this event was known: make it stop.
        if (uint64_t due = next_due(); due != UINT64_MAX) m_.stop_by(due);
        return;
    }
    next_.reset();
    if (!reader_.status().ok()) diverge("the trace cannot be read: " + reader_.status().message(), nullptr);
}

std::string Replayer::where() const {
    const Cpu& c = m_.cpu();
    return fmt::format("icount {}, CS:EIP {:04x}:{:08x}", c.s.icount, c.s.seg[CS].selector,
                       c.insn_eip);
}

void Replayer::diverge(const std::string& what, const trace::Event* actual) {
    if (diverged_) return;
    diverged_ = true;
    std::string r = fmt::format("replay diverged at {}: {}\n", where(), disassemble(m_));
    r += fmt::format("  {}\n", what);
    r += fmt::format("  expected: {}\n", next_ ? trace::event_text(*next_) : "(end of trace)");
    if (actual) r += fmt::format("  actual:   {}\n", trace::event_text(*actual));
    if (!recent_.empty()) {
        r += "  events before it:\n";
        for (const auto& e : recent_) r += fmt::format("    {}\n", trace::event_text(e));
    }
    report_ = r;
    m_.abort_run();
}

void Replayer::expect(const trace::Event& actual) {
    if (diverged_) return;
    if (!next_ || !(actual == *next_)) {
        diverge(next_ ? "the machine did something else than the recording"
                      : "the machine went on past the end of the recording",
                &actual);
        return;
    }
    recent_.push_back(actual);
    if (recent_.size() > kContextEvents) recent_.pop_front();
    ++checked_;
    advance();
}

void Replayer::host_event(uint64_t icount, const HostEvent& e) {
    expect({icount, host_payload(e)});
}
void Replayer::guest_request(uint64_t icount, ResetSource source) {
    expect({icount, trace::GuestRequest{request_kind(source), 0}});
}
void Replayer::guest_exit(uint64_t icount, int status) {
    expect({icount, trace::GuestRequest{trace::RequestKind::DebugExit, uint32_t(status)}});
}
void Replayer::request_applied(uint64_t icount, ResetSource source, uint64_t requested_at) {
    expect({icount, trace::RequestApplied{request_kind(source), requested_at}});
}
void Replayer::interrupt(uint64_t icount, uint8_t vector) { expect({icount, trace::Interrupt{vector}}); }
void Replayer::runstate(uint64_t icount, RunState from, RunState to) {
    expect({icount, trace::RunstateChange{replay::runstate(from), replay::runstate(to)}});
}

bool Replayer::next_is_host_event() const { return next_ && is_host_side(*next_); }

// The machine stops at host events and at the end; an asynchronous request lands through
// async_due() inside a block instead, as it did when recorded.
uint64_t Replayer::next_due() const {
    if (next_ && (is_host_side(*next_) || next_->get<trace::End>())) return next_->icount;
    return UINT64_MAX;
}

std::optional<HostEvent> Replayer::take(uint64_t icount) {
    if (diverged_ || !next_) return std::nullopt;
    if (next_->get<trace::End>() && icount >= next_->icount) {
        stopped_at_end_ = true;
        m_.abort_run();
        return std::nullopt;
    }
    if (!is_host_side(*next_) || next_->icount > icount) return std::nullopt;
    if (next_->icount < icount) {
        diverge("a host event was due earlier", nullptr);
        return std::nullopt;
    }
    return replay::host_event(*next_);
}

std::optional<HostEvent> Replayer::wait(uint64_t icount) {
    if (next_is_host_event()) return replay::host_event(*next_); // icount checked when taken
    if (next_ && next_->get<trace::End>()) return take(next_->icount);
    diverge("the machine waits for host input the recording does not have", nullptr);
    return std::nullopt;
}

bool Replayer::async_due(uint64_t icount) {
    return next_ && next_->get<trace::RequestApplied>() && next_->icount == icount;
}

std::string Replayer::check_end() {
    const trace::End* end = next_ ? next_->get<trace::End>() : nullptr;
    if (!end) return "the recording goes on after the replay ended";
    trace::Outcome actual = stopped_at_end_ ? end->outcome : replay::outcome(outcome_.kind);
    if (actual != end->outcome || (actual == trace::Outcome::Exit && outcome_.status != end->exit_code))
        return fmt::format("outcome {} (status {}), recorded {} (status {})",
                           trace::outcome_name(actual), outcome_.status,
                           trace::outcome_name(end->outcome), end->exit_code);
    if (m_.cpu().s.icount != next_->icount)
        return fmt::format("ended at icount {}, recorded {}", m_.cpu().s.icount, next_->icount);
    trace::Digest128 h = digest(m_.state_hash());
    if (!(h == end->state_hash))
        return fmt::format("final state hash {}, recorded {}", h.hex(), end->state_hash.hex());
    return {};
}

bool Replayer::run() {
    outcome_ = m_.run();
    if (diverged_) return false;
    if (std::string err = check_end(); !err.empty()) {
        diverge("end of replay: " + err, nullptr);
        return false;
    }
    ++checked_;
    // Stopped by the replayer at the recorded end: the outcome is the recorded one.
    if (stopped_at_end_) outcome_ = {outcome_kind(next_->get<trace::End>()->outcome), outcome_.status};
    return true;
}

} // namespace rr86::replay
