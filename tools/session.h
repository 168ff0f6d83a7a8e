// A session: machine options -> Machine + PcBoard + host I/O, ready to run. Shared by the
// subcommands that run a machine (run, demo, record, replay).
#pragma once

#include "devices/pc_board.h"
#include "tools/host_io.h"
#include "tools/machine_args.h"

#include <CLI/CLI.hpp>
#include <cstdint>
#include <memory>
#include <string>

namespace rr86::jit {
class JitTier;
}

namespace rr86::tools {

// Which engine runs the guest, for the subcommands that run a machine.
struct ExecOptions {
    std::string exec = "tiered"; // interp | jit | tiered (jit/jit_tier.h)
    std::string jit_cache = "on"; // on (~/.cache/rr86) | off | a directory
};
void add_exec_options(CLI::App* cmd, ExecOptions& o);

struct SessionOptions {
    uint64_t max_instructions = 0; // 0: no limit
    bool summary = false;
    ExecOptions exec;
};

void add_session_options(CLI::App* cmd, SessionOptions& opts);

class Session {
  public:
    struct Overrides {
        const CharTarget* serial = nullptr;   // replaces the configured -serial
        const CharTarget* debugcon = nullptr; // replaces the configured -debugcon
        bool live_input = true;               // monitor, serial input and signal threads
    };
    // Builds the machine. On bad host input returns null with a one-line `error`.
    static std::unique_ptr<Session> create(const MachineArgs& args, const Overrides& o,
                                           std::string& error);
    ~Session();

    Machine& machine() { return *machine_; }
    const MachineConfig& config() const { return cfg_; }
    Outcome run(const SessionOptions& opts);
    // Which engine runs the guest (interp, jit, tiered); the guest sees no difference. If LLVM
    // cannot be set up, warns and interprets.
    void set_exec(const ExecOptions& o);
    void print_summary(const Outcome& out) const;

  private:
    Session() = default;
    std::unique_ptr<jit::JitTier> jit_; // outlives the machine's blocks' use of it
    MachineConfig cfg_;
    ByteSink serial_, debugcon_;
    std::unique_ptr<Machine> machine_;
    std::unique_ptr<PcBoard> board_;
    std::unique_ptr<HostInput> input_;
};

// Process exit code of a finished run: the isa-debug-exit status for Outcome::Exit, 0 for
// shutdown, quit and a triple fault under -no-reboot (as QEMU), 124 when the instruction budget
// ran out (a hang).
int exit_code_of(const Outcome& out);

// run/demo: build, run, report. Bad host input: one line on stderr and 2.
int run_session(const MachineArgs& args, const SessionOptions& opts);

} // namespace rr86::tools
