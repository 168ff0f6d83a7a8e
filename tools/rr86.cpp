// rr86: deterministic record/replay emulator of an x86 PC.
#include "tools/commands.h"

#include <fmt/core.h>

int main(int argc, char** argv) {
    CLI::App app{"rr86: deterministic record/replay emulator of an x86 PC"};
    app.set_version_flag("--version", std::string("rr86 ") + RR86_VERSION);
    app.require_subcommand(1);
    int exit_code = 0;
    rr86::tools::add_run_command(app, exit_code);
    rr86::tools::add_trace_command(app, exit_code);
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        // One line naming the problem, exit code 2 (brief: bad host input).
        fmt::print(stderr, "rr86: {}\n", e.what());
        return 2;
    }
    return exit_code;
}
