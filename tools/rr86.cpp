// rr86: deterministic record/replay emulator of an x86 PC.
#include "tools/commands.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fmt/core.h>

int main(int argc, char** argv) {
    using namespace rr86::tools;
    CLI::App app{"rr86: deterministic record/replay emulator of an x86 PC"};
    app.set_version_flag("--version", std::string("rr86 ") + RR86_VERSION);
    app.require_subcommand(1);
    CommandContext ctx;
    add_run_command(app, ctx);
    add_demo_command(app, ctx);
    add_record_command(app, ctx);
    add_replay_command(app, ctx);
    add_trace_command(app, ctx.exit_code);

    std::vector<std::string> args(argv + 1, argv + argc);
    if (auto err = extract_machine_args(args, ctx.machine_args)) {
        fmt::print(stderr, "rr86: {}\n", *err);
        return 2;
    }
    std::reverse(args.begin(), args.end()); // CLI11 takes the vector in reverse order
    try {
        app.parse(args);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        // One line naming the problem, exit code 2 (bad host input).
        fmt::print(stderr, "rr86: {}\n", e.what());
        return 2;
    }
    // Every session object (trace writer, output files) is closed by now. A JIT compile thread
    // may still be finishing a block it will never publish (jit/jit_engine.cpp): leave without
    // running static destructors under it.
    std::fflush(nullptr);
    std::_Exit(ctx.exit_code);
}
