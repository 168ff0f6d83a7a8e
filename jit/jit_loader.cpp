// Finds and loads librr86_jit.so (see jit_tier.h). Linked into the executables; no LLVM here.
#include "jit/jit_tier.h"

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <dlfcn.h>
#include <fmt/core.h>
#include <mutex>
#include <thread>
#include <unistd.h>
#include <vector>

namespace rr86::jit {

std::optional<ExecMode> parse_exec_mode(std::string_view s) {
    if (s == "interp") return ExecMode::Interp;
    if (s == "jit") return ExecMode::Jit;
    if (s == "tiered") return ExecMode::Tiered;
    return std::nullopt;
}

const char* exec_mode_name(ExecMode m) {
    switch (m) {
    case ExecMode::Interp: return "interp";
    case ExecMode::Jit: return "jit";
    case ExecMode::Tiered: return "tiered";
    }
    return "?";
}

std::string default_cache_dir() {
    if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) return std::string(x) + "/rr86";
    if (const char* h = std::getenv("HOME"); h && *h) return std::string(h) + "/.cache/rr86";
    return {};
}

namespace {

using CreateFn = JitTier* (*)(const JitOptions&, std::string&);

std::string exe_dir() {
    std::vector<char> buf(4096);
    ssize_t n = readlink("/proc/self/exe", buf.data(), buf.size() - 1);
    if (n <= 0) return {};
    std::string p(buf.data(), size_t(n));
    return p.substr(0, p.rfind('/'));
}

// RR86_JIT_MODULE, then beside the executable (installed layout), then where the build put it.
CreateFn load_module(std::string& error) {
    static std::mutex mu;
    static CreateFn create = nullptr;
    static std::string load_error;
    std::lock_guard g(mu);
    if (create || !load_error.empty()) {
        error = load_error;
        return create;
    }
    std::vector<std::string> paths;
    if (const char* env = std::getenv("RR86_JIT_MODULE"); env && *env) paths.push_back(env);
    paths.push_back(exe_dir() + "/librr86_jit.so");
    paths.push_back(RR86_JIT_MODULE_PATH);
    std::string why;
    for (const std::string& p : paths) {
        if (access(p.c_str(), R_OK) != 0) continue;
        // RTLD_LOCAL: LLVM's symbols stay private to the module. Never unloaded: compiled code
        // and its owners may live until exit.
        void* h = dlopen(p.c_str(), RTLD_NOW | RTLD_LOCAL);
        if (!h) {
            why = dlerror();
            break;
        }
        create = reinterpret_cast<CreateFn>(dlsym(h, "rr86_jit_create_tier"));
        if (!create) why = p + " has no rr86_jit_create_tier";
        break;
    }
    if (!create)
        load_error = "jit: cannot load the JIT module: " +
                     (why.empty() ? "librr86_jit.so not found (RR86_JIT_MODULE)" : why);
    error = load_error;
    return create;
}

JitTier* create_tier(const JitOptions& opts, std::string& error) {
    CreateFn create = load_module(error);
    return create ? create(opts, error) : nullptr;
}

// Tiered: the interpreter starts at once while another thread loads the module (dlopen with
// libLLVM-19: 11-15 ms; then LLVM's set-up: under 3 ms); then the real tier takes over (a block
// already past the threshold is queued at its next run). Loading at once, on the second core, is
// what pays best: even the 40 ms SeaBIOS boot gets compiled code for its hot loops (from the disk
// cache, when warm) in time, and waiting for blocks to get hot first only moved the load into
// the busy middle.
// A session that ends before loading is over does not wait for it: the loading thread owns
// what it loads from then on (rr86 leaves with _Exit).
class BackgroundTier final : public JitTier {
  public:
    explicit BackgroundTier(const JitOptions& opts) : opts_(opts) {
        std::thread([st = state_, opts = opts_] {
            std::string error;
            JitTier* t = create_tier(opts, error);
            if (!t) std::fprintf(stderr, "rr86: warning: %s; interpreting\n", error.c_str());
            std::lock_guard g(st->mu);
            st->error = error;
            st->tier = t;
            st->done = true;
            st->ready.store(t, std::memory_order_release);
            st->cv.notify_all();
            if (st->abandoned) delete t;
        }).detach();
    }
    ~BackgroundTier() override {
        std::lock_guard g(state_->mu);
        if (state_->done)
            delete state_->tier;
        else
            state_->abandoned = true;
    }
    void on_block(Block& b) override {
        if (JitTier* t = state_->ready.load(std::memory_order_acquire)) return t->on_block(b);
        b.runs = 0; // not loaded yet: ask again after another threshold() runs, not every run
    }
    uint32_t threshold() const override { return opts_.threshold; }
    bool ready() const override { return state_->ready.load(std::memory_order_acquire) != nullptr; }
    void drain() override {
        JitTier* t;
        {
            std::unique_lock g(state_->mu);
            state_->cv.wait(g, [&] { return state_->done; });
            t = state_->tier;
        }
        if (t) t->drain();
    }
    JitStats stats() const override {
        JitTier* t = state_->ready.load(std::memory_order_acquire);
        return t ? t->stats() : JitStats{};
    }
    std::string stats_line() const override {
        if (JitTier* t = state_->ready.load(std::memory_order_acquire)) return t->stats_line();
        std::lock_guard g(state_->mu);
        return state_->done ? "jit (tiered): not loaded: " + state_->error
                            : std::string("jit (tiered): still loading at the end of the run");
    }

  private:
    struct State {
        std::mutex mu;
        std::condition_variable cv;
        bool done = false, abandoned = false;
        JitTier* tier = nullptr;
        std::string error;
        std::atomic<JitTier*> ready{nullptr};
    };
    JitOptions opts_;
    std::shared_ptr<State> state_ = std::make_shared<State>();
};

} // namespace

std::unique_ptr<JitTier> load_jit_tier(const JitOptions& opts, std::string& error) {
    if (opts.mode == ExecMode::Interp) {
        error = "jit: the interp mode has no JIT engine";
        return nullptr;
    }
    if (opts.mode == ExecMode::Tiered) return std::make_unique<BackgroundTier>(opts);
    return std::unique_ptr<JitTier>(create_tier(opts, error));
}

} // namespace rr86::jit
