// One function per subcommand; each lives in tools/cmd_<name>.cpp and adds itself to the app.
// A subcommand's callback stores the process exit code (0 ok, 2 bad host input, others as the
// subcommand documents).
#pragma once

#include "tools/machine_args.h"
#include "tools/session.h"

#include <CLI/CLI.hpp>

namespace rr86::tools {

// What rr86.cpp hands to the subcommands: the exit code slot and the machine options (QEMU
// spellings) it took out of the command line before CLI11 parsed the rest.
struct CommandContext {
    int exit_code = 0;
    MachineArgs machine_args;
};

void add_run_command(CLI::App& app, CommandContext& ctx);
void add_demo_command(CLI::App& app, CommandContext& ctx);
void add_record_command(CLI::App& app, CommandContext& ctx);
void add_replay_command(CLI::App& app, CommandContext& ctx);
void add_trace_command(CLI::App& app, int& exit_code);

// The work of `record` and `replay`, also used by `demo` (record, then replay and verify).
int record_session(const MachineArgs& args, const SessionOptions& opts, const std::string& path);
struct ReplayOptions {
    std::string path;
    bool allow_image_change = false;
    bool summary = false;
    ExecOptions exec;
};
// `redirects`: -serial / -debugcon only. Exit code: 0 verified, 3 diverged, 2 bad input.
int replay_trace(const ReplayOptions& o, const MachineArgs& redirects);

} // namespace rr86::tools
