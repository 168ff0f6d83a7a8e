// One function per subcommand; each lives in tools/cmd_<name>.cpp and adds itself to the app.
// A subcommand's callback stores the process exit code in `exit_code` (0 ok, 2 bad host input).
#pragma once

#include <CLI/CLI.hpp>

namespace rr86::tools {

void add_run_command(CLI::App& app, int& exit_code);
void add_trace_command(CLI::App& app, int& exit_code);

} // namespace rr86::tools
