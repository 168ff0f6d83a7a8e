// rr86 trace info|dump|verify|repair: look into a trace file. The work is in traces/inspect.h;
// this file only maps the command line onto it.
#include "tools/commands.h"
#include "traces/inspect.h"

#include <cstdio>
#include <memory>

namespace rr86::tools {

namespace {

struct TraceArgs {
    std::string file;
    bool json = false;
    uint64_t from = 0;
    uint64_t to = 0;
    std::vector<std::string> kinds;
    std::vector<std::string> ports;
};

void add_info(CLI::App& trace, int& exit_code, std::shared_ptr<TraceArgs> args) {
    auto* cmd = trace.add_subcommand("info", "Header, event counts per kind, sizes, compression");
    cmd->add_option("FILE", args->file, "Trace file")->required();
    cmd->add_flag("--json", args->json, "One JSON object");
    cmd->callback([&exit_code, args] {
        exit_code = trace::trace_info(args->file, args->json, stdout, stderr);
    });
}

void add_dump(CLI::App& trace, int& exit_code, std::shared_ptr<TraceArgs> args) {
    auto* cmd = trace.add_subcommand("dump", "One line per event");
    cmd->add_option("FILE", args->file, "Trace file")->required();
    auto* from = cmd->add_option("--from", args->from,
                                 "First icount (seeks; earlier chunks are "
                                 "not read)");
    auto* to = cmd->add_option("--to", args->to, "Last icount");
    cmd->add_option("--kind", args->kinds, "Event kinds: " + trace::all_kind_names())
        ->delimiter(',');
    cmd->add_option("--port", args->ports, "Port accesses to these ports only (e.g. 0xcf9)")
        ->delimiter(',');
    cmd->add_flag("--json", args->json, "JSON lines (for jq)");
    cmd->callback([&exit_code, args, from, to] {
        trace::DumpOptions options;
        if (auto st = trace::parse_dump_filters(args->kinds, args->ports, options); !st) {
            std::fprintf(stderr, "rr86 trace dump: %s\n", st.message().c_str());
            exit_code = 2;
            return;
        }
        if (*from) options.from = args->from;
        if (*to) options.to = args->to;
        options.json = args->json;
        exit_code = trace::trace_dump(args->file, options, stdout, stderr);
    });
}

void add_verify(CLI::App& trace, int& exit_code, std::shared_ptr<TraceArgs> args) {
    auto* cmd = trace.add_subcommand("verify", "Check checksums, index and icount order");
    cmd->add_option("FILE", args->file, "Trace file")->required();
    cmd->callback(
        [&exit_code, args] { exit_code = trace::trace_verify(args->file, stdout, stderr); });
}

void add_repair(CLI::App& trace, int& exit_code, std::shared_ptr<TraceArgs> args) {
    auto* cmd = trace.add_subcommand("repair", "Write back the index of a file whose writer was "
                                               "killed");
    cmd->add_option("FILE", args->file, "Trace file")->required();
    cmd->callback(
        [&exit_code, args] { exit_code = trace::trace_repair(args->file, stdout, stderr); });
}

} // namespace

void add_trace_command(CLI::App& app, int& exit_code) {
    auto* trace = app.add_subcommand("trace", "Inspect, verify and repair trace files");
    trace->require_subcommand(1);
    auto args = std::make_shared<TraceArgs>();
    add_info(*trace, exit_code, args);
    add_dump(*trace, exit_code, args);
    add_verify(*trace, exit_code, args);
    add_repair(*trace, exit_code, args);
}

} // namespace rr86::tools
