// rr86 record: run a machine as `rr86 run` does and log it into a trace.
#include "replay/recorder.h"
#include "tools/commands.h"
#include "tools/session.h"

#include <fmt/core.h>

namespace rr86::tools {

int record_session(const MachineArgs& args, const SessionOptions& opts, const std::string& path) {
    std::string error;
    auto session = Session::create(args, {}, error);
    std::unique_ptr<replay::Recorder> recorder;
    if (session)
        recorder = replay::Recorder::create(path, args, session->machine(), RR86_VERSION, error);
    if (!recorder) {
        fmt::print(stderr, "rr86: {}\n", error);
        return 2;
    }
    Outcome out = session->run(opts);
    if (std::string err = recorder->finish(out); !err.empty()) {
        fmt::print(stderr, "rr86: {}\n", err);
        return 1;
    }
    trace::WriterStats st = recorder->stats();
    fmt::print(stderr,
               "rr86: recorded {} instructions, {} events, {} bytes in {} ({:.2f} bytes per "
               "event), outcome {} (status {})\n",
               session->machine().cpu().s.icount, st.events, st.file_bytes, path,
               st.events ? double(st.file_bytes) / double(st.events) : 0.0,
               outcome_name(out.kind), out.status);
    if (opts.summary) session->print_summary(out);
    return exit_code_of(out);
}

void add_record_command(CLI::App& app, CommandContext& ctx) {
    auto* cmd = app.add_subcommand("record", "Run a machine (same options as run) and record the "
                                             "session into a trace");
    auto opts = std::make_shared<SessionOptions>();
    auto path = std::make_shared<std::string>("rr86.trace");
    cmd->add_option("-o,--output", *path, "Trace file to write (default rr86.trace)");
    add_session_options(cmd, *opts);
    cmd->callback([&ctx, opts, path] { ctx.exit_code = record_session(ctx.machine_args, *opts, *path); });
}

} // namespace rr86::tools
