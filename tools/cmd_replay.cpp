// rr86 replay: rebuild the machine from a trace and replay it exactly, checking every access.
#include "replay/replayer.h"
#include "replay/trace_mapping.h"
#include "tools/commands.h"
#include "tools/session.h"
#include "traces/images.h"

#include <fmt/core.h>

namespace rr86::tools {

namespace {
constexpr int kDiverged = 3;
} // namespace

int replay_trace(const ReplayOptions& o, const MachineArgs& extra) {
    // Only where guest output goes may change; the machine itself comes from the trace.
    Session::Overrides ov;
    ov.live_input = false;
    MachineConfig scratch;
    for (const auto& [name, value] : extra) {
        if (name != "serial" && name != "debugcon") {
            fmt::print(stderr, "rr86: replay takes the machine from the trace; -{} is not "
                               "allowed (only -serial and -debugcon)\n", name);
            return 2;
        }
        if (auto err = apply_option(scratch, name, value)) {
            fmt::print(stderr, "rr86: {}\n", *err);
            return 2;
        }
        if (name == "serial") ov.serial = &scratch.serial;
        else ov.debugcon = &scratch.debugcon;
    }

    auto reader = trace::TraceReader::open(o.path);
    if (!reader) {
        fmt::print(stderr, "rr86: {}\n", reader.message());
        return 2;
    }
    const trace::Header& h = reader->header();
    if (trace::Status st = trace::check_images_on_disk(h.images); !st.ok()) {
        if (!o.allow_image_change) {
            fmt::print(stderr, "rr86: {} (a changed image is another machine; "
                               "--allow-image-change replays anyway)\n", st.message());
            return 2;
        }
        fmt::print(stderr, "rr86: warning: {}\n", st.message());
    }
    std::string error;
    auto session = Session::create(replay::options_of(h), ov, error);
    if (!session) {
        fmt::print(stderr, "rr86: {}\n", error);
        return 2;
    }
    session->set_exec(o.exec);
    replay::Replayer replayer(*reader, session->machine());
    bool ok = replayer.run();
    if (!ok) {
        fmt::print(stderr, "rr86: {}", replayer.report());
        return kDiverged;
    }
    if (o.summary) session->print_summary(replayer.outcome());
    fmt::print(stderr, "rr86: replayed {} instructions, {} events checked, outcome {}: matches "
                       "the recording\n",
               session->machine().cpu().s.icount, replayer.events_checked(),
               outcome_name(replayer.outcome().kind));
    return 0;
}

void add_replay_command(CLI::App& app, CommandContext& ctx) {
    auto* cmd = app.add_subcommand("replay", "Replay a trace exactly and verify it (exit 3 on a "
                                             "divergence); -serial/-debugcon redirect output");
    auto o = std::make_shared<ReplayOptions>();
    cmd->add_option("trace", o->path, "Trace file")->required();
    cmd->add_flag("--allow-image-change", o->allow_image_change,
                  "Replay even if a firmware or disk image differs from the recorded one");
    cmd->add_flag("--summary", o->summary, "Print instructions, outcome and state hash");
    add_exec_options(cmd, o->exec);
    cmd->callback([&ctx, o] { ctx.exit_code = replay_trace(*o, ctx.machine_args); });
}

} // namespace rr86::tools
