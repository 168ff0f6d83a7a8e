// rr86 record: run a machine as `rr86 run` does and log it into a trace.
#include "replay/recorder.h"
#include "tools/commands.h"
#include "tools/session.h"

#include <fmt/core.h>

namespace rr86::tools {

void add_record_command(CLI::App& app, CommandContext& ctx) {
    auto* cmd = app.add_subcommand("record", "Run a machine (same options as run) and record the "
                                             "session into a trace");
    auto opts = std::make_shared<SessionOptions>();
    auto path = std::make_shared<std::string>("rr86.trace");
    cmd->add_option("-o,--output", *path, "Trace file to write (default rr86.trace)");
    add_session_options(cmd, *opts);
    cmd->callback([&ctx, opts, path] {
        std::string error;
        auto session = Session::create(ctx.machine_args, {}, error);
        std::unique_ptr<replay::Recorder> recorder;
        if (session)
            recorder = replay::Recorder::create(*path, ctx.machine_args, session->machine(),
                                                RR86_VERSION, error);
        if (!recorder) {
            fmt::print(stderr, "rr86: {}\n", error);
            ctx.exit_code = 2;
            return;
        }
        Outcome out = session->run(*opts);
        if (std::string err = recorder->finish(out); !err.empty()) {
            fmt::print(stderr, "rr86: {}\n", err);
            ctx.exit_code = 1;
            return;
        }
        trace::WriterStats st = recorder->stats();
        fmt::print(stderr,
                   "rr86: recorded {} instructions, {} events, {} bytes in {} ({:.2f} bytes per "
                   "event), outcome {} (status {})\n",
                   session->machine().cpu().s.icount, st.events, st.file_bytes, *path,
                   st.events ? double(st.file_bytes) / double(st.events) : 0.0,
                   outcome_name(out.kind), out.status);
        if (opts->summary) session->print_summary(out);
        ctx.exit_code = exit_code_of(out);
    });
}

} // namespace rr86::tools
