// rr86 run: build the `pc` machine from QEMU-spelled options and run it.
#include "devices/pc_board.h"
#include "tools/commands.h"
#include "tools/session.h"

#include <fmt/core.h>

namespace rr86::tools {

void add_run_command(CLI::App& app, CommandContext& ctx) {
    auto* cmd = app.add_subcommand("run", "Run a machine (QEMU-style options: -bios -m -drive "
                                          "-device -fw_cfg -S -serial -debugcon -monitor "
                                          "-no-reboot -machine -icount -rtc)");
    auto opts = std::make_shared<SessionOptions>();
    add_session_options(cmd, *opts);
    cmd->callback([&ctx, opts] { ctx.exit_code = run_session(ctx.machine_args, *opts); });
}

} // namespace rr86::tools
