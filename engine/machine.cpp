#include "engine/machine.h"

#include <algorithm>
#include <fmt/core.h>
#include <xxhash.h>

namespace rr86 {

namespace {

// Instructions between two looks at the host event queue: ~5 ms of host time at 200 MIPS.
constexpr uint64_t kSlice = 1u << 20;

std::pair<std::string, std::string> split_command(const std::string& line) {
    size_t b = line.find_first_not_of(" \t\r\n");
    if (b == std::string::npos) return {};
    size_t e = line.find_first_of(" \t\r\n", b);
    std::string cmd = line.substr(b, e == std::string::npos ? std::string::npos : e - b);
    std::string args;
    if (e != std::string::npos) {
        size_t a = line.find_first_not_of(" \t\r\n", e);
        size_t z = line.find_last_not_of(" \t\r\n");
        if (a != std::string::npos) args = line.substr(a, z - a + 1);
    }
    return {cmd, args};
}

} // namespace

const char* runstate_name(RunState s) {
    switch (s) {
    case RunState::Prelaunch: return "prelaunch";
    case RunState::Running: return "running";
    case RunState::Paused: return "paused";
    case RunState::Shutdown: return "shutdown";
    }
    return "?";
}

const char* outcome_name(Outcome::Kind k) {
    switch (k) {
    case Outcome::Exit: return "exit";
    case Outcome::Shutdown: return "shutdown";
    case Outcome::Hang: return "hang";
    case Outcome::TripleFault: return "triple-fault";
    case Outcome::Quit: return "quit";
    }
    return "?";
}

Machine::Machine(const MachineConfig& config)
    : config_(config), mem_(config.ram_bytes), clock_(cpu_.s.icount, config.icount_shift) {
    mem_.map_memory(0, mem_.ram_size(), mem_.ram(), mem_.ram(), "ram");
    cpu_.mem = &mem_;
    cpu_.io = &io_;
    cpu_reset(cpu_);
    interp_ = std::make_unique<Interpreter>(cpu_);
}

Machine::~Machine() = default;

void Machine::system_reset() {
    cpu_reset(cpu_);
    a20_ = true;
    pending_reset_.reset();
    if (board_) board_->reset();
}

void Machine::start() {
    if (state_ == RunState::Prelaunch && board_) board_->on_start();
    state_ = RunState::Running;
}

void Machine::request_reset(ResetSource source) {
    pending_reset_ = source;
    cpu_.request_exit(cpu_exit::REQUEST);
}

void Machine::request_shutdown() {
    pending_shutdown_ = true;
    cpu_.request_exit(cpu_exit::REQUEST);
}

void Machine::request_exit(int status) {
    pending_exit_ = status;
    cpu_.request_exit(cpu_exit::REQUEST);
}

void Machine::set_a20(bool enabled) {
    a20_ = enabled;
    cpu_.s.a20 = enabled;
    cpu_.flush_tlb();
    cpu_.end_block = true;
}

uint64_t Machine::state_hash() const {
    XXH3_state_t* st = XXH3_createState();
    XXH3_64bits_reset(st);
    XXH3_64bits_update(st, &cpu_.s, sizeof cpu_.s);
    XXH3_64bits_update(st, const_cast<PhysMap&>(mem_).ram(), mem_.ram_size());
    uint64_t h = XXH3_64bits_digest(st);
    XXH3_freeState(st);
    return h;
}

Outcome Machine::run(uint64_t max_icount) {
    Outcome out;
    if (!config_.start_paused) start();
    for (;;) {
        while (auto e = events_.try_take())
            if (!handle_host_event(*e)) return {Outcome::Quit, 0};
        if (state_ == RunState::Shutdown) return {Outcome::Shutdown, 0};
        if (state_ != RunState::Running) {
            if (!wait_for_host(out)) return out;
            continue;
        }
        if (cpu_.s.icount >= max_icount) return {Outcome::Hang, 0};
        clock_.run_expired();
        uint64_t limit = std::min({clock_.next_deadline_icount(), cpu_.s.icount + kSlice, max_icount});
        if (limit <= cpu_.s.icount) continue; // a timer re-armed in the past: fire it first
        cpu_.icount_limit = limit;
        cpu_.exit_reasons = 0;
        interp_->run();
        if (cpu_.exit_reasons && handle_cpu_exit(out)) return out;
    }
}

// Carries out what the vCPU stopped for. Returns true when the session ends with `out`.
bool Machine::handle_cpu_exit(Outcome& out) {
    uint32_t why = cpu_.exit_reasons;
    cpu_.exit_reasons = 0;
    if (why & cpu_exit::TRIPLE_FAULT) pending_reset_ = ResetSource::TripleFault;
    if (pending_exit_) {
        out = {Outcome::Exit, *pending_exit_};
        return true;
    }
    if (pending_shutdown_) {
        state_ = RunState::Shutdown;
        out = {Outcome::Shutdown, 0};
        return true;
    }
    if (pending_reset_) {
        if (config_.no_reboot) {
            out = {*pending_reset_ == ResetSource::TripleFault ? Outcome::TripleFault
                                                               : Outcome::Shutdown,
                   0};
            return true;
        }
        system_reset();
        return false;
    }
    if (why & cpu_exit::HALTED) {
        bool can_wake = (cpu_.s.eflags & fl::IF) || cpu_.nmi_pending;
        uint64_t next = clock_.next_deadline_icount();
        if (can_wake && next != UINT64_MAX) {
            // HLT idles until the next timer: virtual time jumps there (it is icount-based).
            cpu_.s.icount = std::max(cpu_.s.icount, std::min(next, cpu_.icount_limit));
            return false;
        }
        if (config_.monitor.kind != CharTarget::Null || config_.serial.kind == CharTarget::Stdio)
            return !wait_for_host(out);
        out = {Outcome::Hang, 0};
        return true;
    }
    return false;
}

// Waits for one host event while the guest cannot progress; false when the session ends.
bool Machine::wait_for_host(Outcome& out) {
    if (auto e = events_.wait_take(std::chrono::milliseconds(100))) {
        if (!handle_host_event(*e)) {
            out = {Outcome::Quit, 0};
            return false;
        }
    }
    if (state_ == RunState::Shutdown) {
        out = {Outcome::Shutdown, 0};
        return false;
    }
    return true;
}

bool Machine::handle_host_event(const HostEvent& e) {
    switch (e.kind) {
    case HostEvent::MonitorCommand: {
        std::string reply = monitor(e.text);
        if (monitor_output && !reply.empty()) monitor_output(reply);
        return !quit_;
    }
    case HostEvent::SerialInput:
        if (board_) board_->serial_input(e.text);
        return true;
    case HostEvent::Quit: return false;
    }
    return true;
}

std::string Machine::monitor(const std::string& line) {
    auto [cmd, args] = split_command(line);
    if (cmd.empty()) return "";
    if (cmd == "cont" || cmd == "c") {
        if (state_ == RunState::Shutdown) return "Error: the guest has shut down\n";
        start();
        return "";
    }
    if (cmd == "stop") {
        if (state_ == RunState::Running) state_ = RunState::Paused;
        return "";
    }
    if (cmd == "system_reset") {
        system_reset();
        return "";
    }
    if (cmd == "quit" || cmd == "q") {
        quit_ = true;
        return "";
    }
    if (cmd == "info") {
        if (args == "status") {
            const char* s = state_ == RunState::Running     ? "running"
                            : state_ == RunState::Paused    ? "paused"
                            : state_ == RunState::Prelaunch ? "paused (prelaunch)"
                                                            : "shutdown";
            return fmt::format("VM status: {}\n", s);
        }
        return fmt::format("Error: unknown info topic '{}' (status)\n", args);
    }
    if (board_)
        if (auto reply = board_->monitor_command(cmd, args, state_)) return *reply;
    return fmt::format("Error: unknown command '{}'\n", cmd);
}

} // namespace rr86
