// A session: machine options -> Machine + PcBoard + host I/O -> run -> outcome and exit code.
// Shared by the subcommands that run a machine (run, demo; later record and replay).
#pragma once

#include "tools/machine_args.h"

#include <CLI/CLI.hpp>
#include <cstdint>

namespace rr86::tools {

struct SessionOptions {
    uint64_t max_instructions = 0; // 0: no limit
    bool summary = false;
};

void add_session_options(CLI::App* cmd, SessionOptions& opts);

// Process exit code: the isa-debug-exit status for Outcome::Exit, 0 for shutdown, quit and a
// triple fault under -no-reboot (as QEMU), 124 when the instruction budget ran out (a hang),
// 2 for bad host input (with a one-line message on stderr).
int run_session(const MachineArgs& args, const SessionOptions& opts);

} // namespace rr86::tools
