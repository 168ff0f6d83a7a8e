// Machine: one vCPU + physical memory + I/O ports + virtual clock + devices, their runstate, and
// the loop that carries out what the guest and the host ask for (reset, exit, monitor commands).
//
// The machine is board-agnostic: a Board (devices/pc_board.h for `pc`) creates and wires the
// devices and handles what only it knows (hot-plug, boot data). Guest-initiated requests arrive
// through the Platform interface and are carried out here, between instructions, according to the
// reset-delivery model (DESIGN.md §5).
#pragma once

#include "devices/device.h"
#include "engine/clock.h"
#include "engine/cpu/cpu.h"
#include "engine/cpu/interp.h"
#include "engine/events.h"
#include "engine/machine_config.h"
#include "engine/memory/io_ports.h"
#include "engine/memory/phys_map.h"

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace rr86 {

enum class RunState : uint8_t { Prelaunch, Running, Paused, Shutdown };
const char* runstate_name(RunState s);

struct Outcome {
    enum Kind : uint8_t {
        Exit,        // isa-debug-exit: `status` is the process exit status
        Shutdown,    // the guest powered off, or a reset with -no-reboot
        Hang,        // halted with interrupts off, or the instruction budget ran out
        TripleFault, // a triple fault with -no-reboot
        Quit,        // the host asked to stop (monitor quit, signal)
    } kind = Quit;
    int status = 0;
};
const char* outcome_name(Outcome::Kind k);

// XXH3-128 of the guest-visible state (CPU state and RAM).
struct StateHash {
    uint64_t hi = 0, lo = 0;
    bool operator==(const StateHash&) const = default;
    std::string hex() const;
};

// Everything the machine does that crosses its boundary, for the recorder to log and the replayer
// to check (replay/). All calls come on the vCPU thread, stamped with the icount they happen at.
class MachineObserver {
  public:
    virtual ~MachineObserver() = default;
    virtual void host_event(uint64_t icount, const HostEvent& e) {}
    virtual void guest_request(uint64_t icount, ResetSource source) {}
    virtual void guest_exit(uint64_t icount, int status) {}
    virtual void request_applied(uint64_t icount, ResetSource source, uint64_t requested_at) {}
    virtual void interrupt(uint64_t icount, uint8_t vector) {}
    virtual void runstate(uint64_t icount, RunState from, RunState to) {}
};

// Where host events and the timing of asynchronous requests come from: live threads while
// running or recording, the trace while replaying.
class HostEventSource {
  public:
    virtual ~HostEventSource() = default;
    // icount of the next event known in advance (replay), UINT64_MAX when unknown (live).
    virtual uint64_t next_due() const { return UINT64_MAX; }
    // An event to take at `icount`, if one is there.
    virtual std::optional<HostEvent> take(uint64_t icount) = 0;
    // Waits while the guest cannot progress (paused, halted with no timer). Nothing: time out.
    virtual std::optional<HostEvent> wait(uint64_t icount) = 0;
    // reset-delivery=async: the main loop was handed a request at `icount` ...
    virtual void async_request(uint64_t icount) {}
    // ... and whether it carries it out now (checked after every instruction until it does).
    virtual bool async_due(uint64_t icount) = 0;
};

// The board-specific half of a machine.
class Board {
  public:
    virtual ~Board() = default;
    // Puts every device back in its power-on state (after the CPU reset).
    virtual void reset() = 0;
    // The prelaunch -> running transition (seed 000: boot data refresh).
    virtual void on_start() = 0;
    // Host bytes for the serial port.
    virtual void serial_input(const std::string& bytes) = 0;
    // Board monitor commands (drive_add, device_add, device_del). Returns the reply, or nothing
    // if the command is not the board's.
    virtual std::optional<std::string> monitor_command(const std::string& cmd,
                                                       const std::string& args,
                                                       RunState state) = 0;
};

class Machine : public Platform {
  public:
    explicit Machine(const MachineConfig& config);
    ~Machine() override;

    const MachineConfig& config() const { return config_; }
    Cpu& cpu() { return cpu_; }
    PhysMap& mem() { return mem_; }
    IoPorts& io() { return io_; }
    VirtualClock& clock() { return clock_; }
    Interpreter& interp() { return *interp_; }
    EventQueue& events() { return events_; }
    RunState state() const { return state_; }
    void set_board(Board* board) { board_ = board; }
    void set_observer(MachineObserver* observer) { observer_ = observer; }
    // Replaces the live host input (the event queue and the async main-loop thread).
    void set_event_source(HostEventSource* source);

    // Runs until the session ends. `max_icount` bounds it (Outcome::Hang when reached).
    Outcome run(uint64_t max_icount = UINT64_MAX);

    // Executes one monitor line; returns the reply text (may be empty).
    std::string monitor(const std::string& line);
    // Where monitor replies go (the monitor's stream).
    std::function<void(const std::string&)> monitor_output;

    // Full system reset: CPU, devices, A20, boot data.
    void system_reset();
    // Equal hashes mean equal CPU state and RAM.
    StateHash state_hash() const;
    // Ends run() at the next instruction boundary with Outcome::Quit (a replay divergence).
    void abort_run();
    // Makes the running vCPU stop by `icount` at the latest (an event learnt while running).
    void stop_by(uint64_t icount);

    // Platform (called by devices on the vCPU thread).
    void request_reset(ResetSource source) override;
    void request_shutdown() override;
    void request_exit(int status) override;
    void set_a20(bool enabled) override;
    bool a20() const override { return a20_; }

  private:
    class LiveSource;
    void start();
    void set_state(RunState s);
    void apply_reset(ResetSource source);
    static void poll_async(void* machine);
    bool handle_host_event(const HostEvent& e);
    bool handle_cpu_exit(Outcome& out);
    bool wait_for_host(Outcome& out);

    MachineConfig config_;
    Cpu cpu_;
    PhysMap mem_;
    IoPorts io_;
    VirtualClock clock_;
    std::unique_ptr<Interpreter> interp_;
    EventQueue events_;
    Board* board_ = nullptr;
    MachineObserver* observer_ = nullptr;
    std::unique_ptr<LiveSource> live_;
    HostEventSource* source_ = nullptr;
    RunState state_ = RunState::Prelaunch;
    bool a20_ = true;

    std::optional<ResetSource> pending_reset_;
    std::optional<std::pair<ResetSource, uint64_t>> async_reset_; // handed to the main loop
    uint64_t reset_requested_at_ = 0;
    std::optional<int> pending_exit_;
    bool pending_shutdown_ = false;
    bool no_reboot_exit_ = false;
    bool quit_ = false;
};

} // namespace rr86
