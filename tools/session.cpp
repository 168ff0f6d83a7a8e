#include "tools/session.h"

#include "devices/pc_board.h"
#include "tools/host_io.h"

#include <fmt/core.h>

namespace rr86::tools {

void add_session_options(CLI::App* cmd, SessionOptions& opts) {
    cmd->add_option("--max-instructions", opts.max_instructions,
                    "Stop after this many instructions (outcome 'hang', exit code 124)");
    cmd->add_flag("--summary", opts.summary,
                  "Print instructions, outcome and state hash on stderr at the end");
}

int run_session(const MachineArgs& args, const SessionOptions& opts) {
    MachineConfig cfg;
    if (auto err = build_config(args, cfg)) {
        fmt::print(stderr, "rr86: {}\n", *err);
        return 2;
    }
    for (const auto& w : cfg.warnings) fmt::print(stderr, "rr86: warning: {}\n", w);
    BoardSinks sinks;
    ByteSink serial, debugcon;
    for (auto [target, sink] : {std::pair{&cfg.serial, &serial}, {&cfg.debugcon, &debugcon}}) {
        if (auto err = open_sink(*target, *sink)) {
            fmt::print(stderr, "rr86: {}\n", *err);
            return 2;
        }
    }
    sinks.serial = serial.put;
    sinks.debugcon = debugcon.put;

    block_termination_signals();
    Machine machine(cfg);
    std::string error;
    auto board = PcBoard::create(machine, cfg, sinks, error);
    if (!board) {
        fmt::print(stderr, "rr86: {}\n", error);
        return 2;
    }
    machine.set_board(board.get());
    HostInput input(machine.events(), cfg);
    if (auto err = input.start()) {
        fmt::print(stderr, "rr86: {}\n", *err);
        return 2;
    }
    machine.monitor_output = [&input](const std::string& s) { input.reply(s); };

    Outcome out = machine.run(opts.max_instructions ? opts.max_instructions : UINT64_MAX);
    if (opts.summary)
        fmt::print(stderr, "rr86: {} instructions, outcome {} (status {}), state hash {:016x}\n",
                   machine.cpu().s.icount, outcome_name(out.kind), out.status,
                   machine.state_hash());
    switch (out.kind) {
    case Outcome::Exit: return out.status;
    case Outcome::Hang: return 124;
    default: return 0;
    }
}

} // namespace rr86::tools
