#include "engine/machine.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <fmt/core.h>
#include <mutex>
#include <thread>
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

// Live host input: the event queue fed by the host threads, and the main-loop thread that carries
// out asynchronous requests whenever the OS schedules it (that timing is the race of seed 002,
// and it is logged by the recorder as the icount where the request took effect).
class Machine::LiveSource : public HostEventSource {
  public:
    explicit LiveSource(EventQueue& q) : queue_(q) {}
    ~LiveSource() override {
        {
            std::lock_guard lock(mutex_);
            stop_ = true;
        }
        cv_.notify_one();
        if (thread_.joinable()) thread_.join();
    }
    std::optional<HostEvent> take(uint64_t) override { return queue_.try_take(); }
    std::optional<HostEvent> wait(uint64_t) override {
        return queue_.wait_take(std::chrono::milliseconds(100));
    }
    void async_request(uint64_t) override {
        if (!thread_.joinable()) thread_ = std::thread([this] { main_loop(); });
        {
            std::lock_guard lock(mutex_);
            requested_ = true;
        }
        cv_.notify_one();
    }
    bool async_due(uint64_t) override { return due_.exchange(false, std::memory_order_acq_rel); }

  private:
    void main_loop() {
        std::unique_lock lock(mutex_);
        for (;;) {
            cv_.wait(lock, [&] { return requested_ || stop_; });
            if (stop_) return;
            requested_ = false;
            due_.store(true, std::memory_order_release);
        }
    }
    EventQueue& queue_;
    std::thread thread_;
    std::mutex mutex_;
    std::condition_variable cv_;
    bool requested_ = false, stop_ = false;
    std::atomic<bool> due_{false};
};

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
    live_ = std::make_unique<LiveSource>(events_);
    source_ = live_.get();
    cpu_.host_kick = &events_.pending();
    cpu_.hook_ctx = this;
    cpu_.on_interrupt = [](void* m, uint8_t vector) {
        auto* self = static_cast<Machine*>(m);
        if (self->observer_) self->observer_->interrupt(self->cpu_.s.icount, vector);
    };
}

Machine::~Machine() = default;

void Machine::system_reset() {
    cpu_reset(cpu_);
    a20_ = true;
    pending_reset_.reset();
    if (board_) board_->reset();
}

void Machine::set_event_source(HostEventSource* source) {
    source_ = source;
    cpu_.host_kick = source == live_.get() ? &events_.pending() : nullptr;
}

void Machine::set_state(RunState s) {
    if (s == state_) return;
    if (observer_) observer_->runstate(cpu_.s.icount, state_, s);
    state_ = s;
}

void Machine::start() {
    if (state_ == RunState::Prelaunch && board_) board_->on_start();
    set_state(RunState::Running);
}

void Machine::request_reset(ResetSource source) {
    uint64_t now = cpu_.s.icount;
    if (observer_) observer_->guest_request(now, source);
    if (config_.reset_delivery == ResetDelivery::Async && source != ResetSource::TripleFault) {
        // The request goes to the main loop and the vCPU runs on, its current block included
        // (DESIGN.md "Event delivery models"; QEMU's TCG in seed 002).
        async_reset_ = {source, now};
        source_->async_request(now);
        cpu_.async_poll = &Machine::poll_async;
        cpu_.end_block = false;
        return;
    }
    pending_reset_ = source;
    reset_requested_at_ = now;
    cpu_.request_exit(cpu_exit::REQUEST);
}

void Machine::poll_async(void* m) {
    auto* self = static_cast<Machine*>(m);
    if (!self->async_reset_ || !self->source_->async_due(self->cpu_.s.icount)) return;
    auto [source, at] = *self->async_reset_;
    self->async_reset_.reset();
    self->cpu_.async_poll = nullptr;
    self->reset_requested_at_ = at;
    self->apply_reset(source);
}

// Carries out a reset request: a system reset, or the end of the session under -no-reboot.
void Machine::apply_reset(ResetSource source) {
    if (observer_) observer_->request_applied(cpu_.s.icount, source, reset_requested_at_);
    if (config_.no_reboot) {
        pending_reset_ = source;
        no_reboot_exit_ = true;
        cpu_.request_exit(cpu_exit::REQUEST);
        return;
    }
    system_reset();
}

void Machine::request_shutdown() {
    pending_shutdown_ = true;
    cpu_.request_exit(cpu_exit::REQUEST);
}

void Machine::request_exit(int status) {
    if (observer_) observer_->guest_exit(cpu_.s.icount, status);
    pending_exit_ = status;
    cpu_.request_exit(cpu_exit::REQUEST);
}

void Machine::set_a20(bool enabled) {
    a20_ = enabled;
    cpu_.s.a20 = enabled;
    cpu_.flush_tlb();
    cpu_.end_block = true;
}

std::string StateHash::hex() const { return fmt::format("{:016x}{:016x}", hi, lo); }

StateHash Machine::state_hash() const {
    XXH3_state_t* st = XXH3_createState();
    XXH3_128bits_reset(st);
    XXH3_128bits_update(st, &cpu_.s, sizeof cpu_.s);
    // Written pages with their index; a page never written is zero and adds nothing, so the
    // hash does not depend on which zero pages happen to be mapped in.
    const uint8_t* ram = const_cast<PhysMap&>(mem_).ram();
    for (uint64_t page = 0; page < mem_.ram_size() / kPageSize; ++page) {
        if (!mem_.page_written(page)) continue;
        XXH3_128bits_update(st, &page, sizeof page);
        XXH3_128bits_update(st, ram + page * kPageSize, kPageSize);
    }
    XXH128_hash_t h = XXH3_128bits_digest(st);
    XXH3_freeState(st);
    return {h.high64, h.low64};
}

void Machine::stop_by(uint64_t icount) {
    if (icount < cpu_.icount_limit) {
        cpu_.icount_limit = std::max(icount, cpu_.s.icount);
        cpu_.end_block = true;
    }
}

void Machine::abort_run() {
    quit_ = true;
    cpu_.request_exit(cpu_exit::REQUEST);
}

Outcome Machine::run(uint64_t max_icount) {
    Outcome out;
    if (!config_.start_paused) start();
    for (;;) {
        while (auto e = source_->take(cpu_.s.icount))
            if (!handle_host_event(*e)) return {Outcome::Quit, 0};
        if (cpu_.async_poll) poll_async(this);
        if (cpu_.exit_reasons && handle_cpu_exit(out)) return out;
        if (state_ == RunState::Shutdown) return {Outcome::Shutdown, 0};
        if (state_ != RunState::Running) {
            if (!wait_for_host(out)) return out;
            continue;
        }
        if (cpu_.s.icount >= max_icount) return {Outcome::Hang, 0};
        clock_.run_expired();
        // Slices end at multiples of kSlice, not kSlice after wherever the last run stopped: a
        // recording also stops where its replay does not (a host thread's kick at a block
        // boundary), and a slice end that moved with it could fall inside a block on one side
        // only. An asynchronous request polled there would land without the rest of that block
        // (its stale view) in one run and with it in the other (seed 002).
        uint64_t slice_end = (cpu_.s.icount / kSlice + 1) * kSlice;
        uint64_t limit =
            std::min({clock_.next_deadline_icount(), slice_end, max_icount, source_->next_due()});
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
    if (quit_) {
        out = {Outcome::Quit, 0};
        return true;
    }
    if (why & cpu_exit::TRIPLE_FAULT) {
        if (observer_) observer_->guest_request(cpu_.s.icount, ResetSource::TripleFault);
        pending_reset_ = ResetSource::TripleFault;
        reset_requested_at_ = cpu_.s.icount;
    }
    if (pending_exit_) {
        out = {Outcome::Exit, *pending_exit_};
        return true;
    }
    if (pending_shutdown_) {
        set_state(RunState::Shutdown);
        out = {Outcome::Shutdown, 0};
        return true;
    }
    if (pending_reset_) {
        ResetSource source = *pending_reset_;
        if (!no_reboot_exit_) apply_reset(source); // sync: before the next instruction
        if (no_reboot_exit_) {
            out = {source == ResetSource::TripleFault ? Outcome::TripleFault : Outcome::Shutdown,
                   0};
            return true;
        }
        pending_reset_.reset();
        return false;
    }
    if (why & cpu_exit::HALTED) {
        bool can_wake = (cpu_.s.eflags & fl::IF) || cpu_.nmi_pending;
        uint64_t next = std::min(clock_.next_deadline_icount(), source_->next_due());
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
    if (auto e = source_->wait(cpu_.s.icount)) {
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
    if (observer_) observer_->host_event(cpu_.s.icount, e);
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
        if (state_ == RunState::Running) set_state(RunState::Paused);
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
