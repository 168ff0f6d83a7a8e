#include "tools/session.h"

#include "jit/jit_tier.h"

#include <fmt/core.h>

namespace rr86::tools {

void add_session_options(CLI::App* cmd, SessionOptions& opts) {
    cmd->add_option("--max-instructions", opts.max_instructions,
                    "Stop after this many instructions (outcome 'hang', exit code 124)");
    cmd->add_flag("--summary", opts.summary,
                  "Print instructions, outcome and state hash on stderr at the end");
    add_exec_options(cmd, opts.exec);
}

void add_exec_options(CLI::App* cmd, ExecOptions& o) {
    cmd->add_option("--exec", o.exec,
                    "Engine: tiered (default: interpret while another thread loads LLVM and "
                    "compiles hot blocks), interp, or jit (compile every block before it runs)")
        ->check(CLI::IsMember({"interp", "jit", "tiered"}));
    cmd->add_option("--jit-cache", o.jit_cache,
                    "Persistent JIT code cache: on (default, $XDG_CACHE_HOME/rr86 or "
                    "~/.cache/rr86), off, or a directory");
}

void Session::set_exec(const ExecOptions& o) {
    auto mode = jit::parse_exec_mode(o.exec);
    if (!mode || *mode == jit::ExecMode::Interp || jit_) return;
    std::string error;
    jit::JitOptions opts;
    opts.mode = *mode;
    opts.cache_dir = o.jit_cache == "on"    ? jit::default_cache_dir()
                     : o.jit_cache == "off" ? std::string()
                                            : o.jit_cache;
    jit_ = jit::load_jit_tier(opts, error);
    if (!jit_) {
        fmt::print(stderr, "rr86: warning: {}; interpreting\n", error);
        return;
    }
    machine_->interp().set_code_tier(jit_.get());
}

std::unique_ptr<Session> Session::create(const MachineArgs& args, const Overrides& o,
                                         std::string& error) {
    std::unique_ptr<Session> s(new Session);
    if (auto err = build_config(args, s->cfg_)) {
        error = *err;
        return nullptr;
    }
    for (const auto& w : s->cfg_.warnings)
        fmt::print(stderr, "rr86: warning: {}\n", w);
    const CharTarget& serial = o.serial ? *o.serial : s->cfg_.serial;
    const CharTarget& debugcon = o.debugcon ? *o.debugcon : s->cfg_.debugcon;
    if (auto err = open_sink(serial, s->serial_)) {
        error = *err;
        return nullptr;
    }
    if (auto err = open_sink(debugcon, s->debugcon_)) {
        error = *err;
        return nullptr;
    }
    if (o.live_input) block_termination_signals();
    s->machine_ = std::make_unique<Machine>(s->cfg_);
    s->board_ = PcBoard::create(*s->machine_, s->cfg_, {s->serial_.put, s->debugcon_.put}, error);
    if (!s->board_) return nullptr;
    s->machine_->set_board(s->board_.get());
    if (o.live_input) {
        s->input_ = std::make_unique<HostInput>(s->machine_->events(), s->cfg_);
        if (auto err = s->input_->start()) {
            error = *err;
            return nullptr;
        }
        HostInput* input = s->input_.get();
        s->machine_->monitor_output = [input](const std::string& t) { input->reply(t); };
    }
    return s;
}

Session::~Session() = default;

Outcome Session::run(const SessionOptions& opts) {
    set_exec(opts.exec);
    return machine_->run(opts.max_instructions ? opts.max_instructions : UINT64_MAX);
}

void Session::print_summary(const Outcome& out) const {
    fmt::print(stderr, "rr86: {} instructions, outcome {} (status {}), state hash {}\n",
               machine_->cpu().s.icount, outcome_name(out.kind), out.status,
               machine_->state_hash().hex());
    if (jit_) fmt::print(stderr, "rr86: {}\n", jit_->stats_line());
}

int exit_code_of(const Outcome& out) {
    switch (out.kind) {
    case Outcome::Exit: return out.status;
    case Outcome::Hang: return 124;
    default: return 0;
    }
}

int run_session(const MachineArgs& args, const SessionOptions& opts) {
    std::string error;
    auto session = Session::create(args, {}, error);
    if (!session) {
        fmt::print(stderr, "rr86: {}\n", error);
        return 2;
    }
    Outcome out = session->run(opts);
    if (opts.summary) session->print_summary(out);
    return exit_code_of(out);
}

} // namespace rr86::tools
