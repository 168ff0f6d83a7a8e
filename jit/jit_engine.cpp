#include "jit/jit_engine.h"

#include "jit/bitcode_module.h"
#include "jit/block_translator.h"

#include <fmt/core.h>
#include <llvm/ExecutionEngine/Orc/ExecutionUtils.h>
#include <llvm/ExecutionEngine/Orc/LLJIT.h>
#include <llvm/ExecutionEngine/Orc/ThreadSafeModule.h>
#include <llvm/IR/Module.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/Target/TargetMachine.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>

namespace rr86::jit {

// Everything LLVM: shared by the engine and by every compiled block (a block's code may outlive
// the engine when the interpreter's cache is torn down later).
struct JitEngine::Core {
    // Declaration order is destruction order reversed: the JIT goes before the IR and context.
    llvm::orc::ThreadSafeContext tsctx{std::make_unique<llvm::LLVMContext>()};
    std::unique_ptr<llvm::TargetMachine> tm;
    std::unique_ptr<BitcodeModule> bc;
    std::unique_ptr<BlockTranslator> translator;
    std::unique_ptr<llvm::orc::LLJIT> lljit;

    std::mutex compile_mu; // one compile at a time: the context and bitcode module are shared
    uint64_t next_id = 0;
    bool ready = false; // init() succeeded

    // Compiled code by the bytes of the decoded instructions it was made from: translated code
    // depends on nothing else (not the block's address), so a block decoded again after an
    // invalidation (SeaBIOS's PAM changes drop every block, many times) reuses the code of an
    // identical earlier block instead of compiling it again. Bounded: cleared when full (blocks
    // keep their own references).
    static constexpr size_t kMaxReuse = 16384;
    struct Slot;
    std::unordered_map<std::string, std::shared_ptr<Slot>> reuse;
    bool trace = std::getenv("RR86_JIT_TRACE") != nullptr; // one line per compiled block

    mutable std::mutex stats_mu;
    JitStats totals;
    std::vector<double> times_ms;

    bool init(ExecMode mode, std::string& error);
    // Fills `slot` with code for `insns`, from the reuse map or compiled now.
    bool compile(const std::vector<Insn>& insns, const std::shared_ptr<Slot>& slot);
};

// A block's compiled code: frees it (its ResourceTracker) when the block and any queued job for
// it are gone.
struct JitEngine::Core::Slot final : CompiledCode {
    explicit Slot(std::shared_ptr<Core> c) : core(std::move(c)) {}
    ~Slot() override {
        if (rt) llvm::consumeError(rt->remove());
    }
    std::shared_ptr<Core> core;
    llvm::orc::ResourceTrackerSP rt;
    std::shared_ptr<Slot> shared; // the identical block's code this one reuses
};

bool JitEngine::Core::init(ExecMode mode, std::string& error) {
    static std::once_flag once;
    std::call_once(once, [] {
        llvm::InitializeNativeTarget();
        llvm::InitializeNativeTargetAsmPrinter();
    });
    auto jtmb = llvm::orc::JITTargetMachineBuilder::detectHost();
    if (!jtmb) {
        error = "jit: " + llvm::toString(jtmb.takeError());
        return false;
    }
    // Compiling on the vCPU thread (jit) must be quick: fast instruction selection and register
    // allocation. A background compile (tiered) of a block known to be hot can afford the default.
    jtmb->setCodeGenOptLevel(mode == ExecMode::Jit ? llvm::CodeGenOptLevel::None
                                                   : llvm::CodeGenOptLevel::Default);
    if (const char* cg = std::getenv("RR86_JIT_CG")) // experiments: 0..3
        jtmb->setCodeGenOptLevel(llvm::CodeGenOptLevel(std::atoi(cg) & 3));
    auto machine = jtmb->createTargetMachine();
    if (!machine) {
        error = "jit: " + llvm::toString(machine.takeError());
        return false;
    }
    tm = std::move(*machine);
    auto jit = llvm::orc::LLJITBuilder().setJITTargetMachineBuilder(*jtmb).create();
    if (!jit) {
        error = "jit: " + llvm::toString(jit.takeError());
        return false;
    }
    lljit = std::move(*jit);
    llvm::orc::JITDylib& jd = lljit->getMainJITDylib();
    // Out-of-line intrinsics and libc: the host's own functions (the executable is linked with
    // -rdynamic), never recompiled.
    auto gen = llvm::orc::DynamicLibrarySearchGenerator::GetForCurrentProcess(
        lljit->getDataLayout().getGlobalPrefix());
    if (!gen) {
        error = "jit: " + llvm::toString(gen.takeError());
        return false;
    }
    jd.addGenerator(std::move(*gen));
    llvm::orc::SymbolMap helpers;
    helpers[lljit->mangleAndIntern("rr86_jit_deliver_fault")] = {
        llvm::orc::ExecutorAddr::fromPtr(&rr86_jit_deliver_fault), llvm::JITSymbolFlags::Exported};
    if (auto err = jd.define(llvm::orc::absoluteSymbols(std::move(helpers)))) {
        error = "jit: " + llvm::toString(std::move(err));
        return false;
    }
    auto lock = tsctx.getLock();
    bc = BitcodeModule::load(*tsctx.getContext(), error);
    if (!bc) return false;
    translator = std::make_unique<BlockTranslator>(*bc, tm.get());
    ready = true;
    return true;
}

bool JitEngine::Core::compile(const std::vector<Insn>& insns, const std::shared_ptr<Slot>& sp) {
    std::lock_guard guard(compile_mu);
    if (!ready) return false;
    Slot& slot = *sp;
    std::string key(reinterpret_cast<const char*>(insns.data()), insns.size() * sizeof(Insn));
    if (auto it = reuse.find(key); it != reuse.end()) {
        slot.shared = it->second;
        slot.fn.store(it->second->fn.load(std::memory_order_relaxed), std::memory_order_release);
        std::lock_guard g(stats_mu);
        ++totals.reused;
        return true;
    }
    auto t0 = std::chrono::steady_clock::now();
    std::string name = fmt::format("rr86_block_{}", next_id++);
    TranslateInfo info;
    std::unique_ptr<llvm::Module> m;
    {
        auto lock = tsctx.getLock();
        m = translator->translate(insns, name, info);
    }
    auto t1 = std::chrono::steady_clock::now();
    llvm::orc::ResourceTrackerSP rt = lljit->getMainJITDylib().createResourceTracker();
    auto add_and_lookup = [&]() -> llvm::Expected<llvm::orc::ExecutorAddr> {
        if (auto err = lljit->addIRModule(rt, llvm::orc::ThreadSafeModule(std::move(m), tsctx)))
            return err;
        return lljit->lookup(name);
    };
    llvm::Expected<llvm::orc::ExecutorAddr> addr = add_and_lookup();
    if (!addr) {
        std::string msg = llvm::toString(addr.takeError());
        llvm::consumeError(rt->remove());
        std::lock_guard g(stats_mu);
        if (totals.failed++ == 0)
            fmt::print(stderr, "rr86: jit: {} stays interpreted: {}\n", name, msg);
        return false;
    }
    slot.rt = std::move(rt);
    slot.fn.store(addr->toPtr<CompiledFn>(), std::memory_order_release);
    if (reuse.size() >= kMaxReuse) reuse.clear();
    reuse.emplace(std::move(key), sp);
    auto t2 = std::chrono::steady_clock::now();
    double ms = std::chrono::duration<double, std::milli>(t2 - t0).count();
    if (trace)
        fmt::print(stderr, "rr86: jit: {} {} insns ({} native): IR {:.2f} ms, codegen {:.2f} ms\n",
                   name, insns.size(), info.native,
                   std::chrono::duration<double, std::milli>(t1 - t0).count(),
                   std::chrono::duration<double, std::milli>(t2 - t1).count());
    std::lock_guard g(stats_mu);
    ++totals.compiled;
    totals.insns += insns.size();
    totals.native_calls += info.native;
    totals.total_ms += ms;
    totals.max_ms = std::max(totals.max_ms, ms);
    times_ms.push_back(ms);
    return true;
}

// The background compile thread of the tiered mode.
class JitEngine::Worker {
  public:
    Worker(Core& core, ExecMode mode) : core_(core), mode_(mode), thread_([this] { loop(); }) {}
    ~Worker() {
        {
            std::lock_guard g(mu_);
            stop_ = true;
        }
        cv_.notify_all();
        thread_.join();
    }
    void push(std::shared_ptr<Core::Slot> slot, std::vector<Insn> insns) {
        {
            std::lock_guard g(mu_);
            queue_.push_back({std::move(slot), std::move(insns)});
        }
        cv_.notify_all();
    }
    void drain() {
        std::unique_lock g(mu_);
        idle_.wait(g, [&] { return queue_.empty() && !busy_; });
    }

  private:
    struct Job {
        std::shared_ptr<Core::Slot> slot;
        std::vector<Insn> insns;
    };
    void loop() {
        // LLVM is set up here, not on the vCPU thread: the guest starts at once (wall-clock
        // timing of host events is part of what gets recorded) and interprets meanwhile.
        std::string error;
        if (!core_.init(mode_, error))
            fmt::print(stderr, "rr86: warning: {}; interpreting\n", error);
        std::unique_lock g(mu_);
        for (;;) {
            cv_.wait(g, [&] { return stop_ || !queue_.empty(); });
            if (stop_) return;
            Job job = std::move(queue_.front());
            queue_.pop_front();
            busy_ = true;
            g.unlock();
            // The block was dropped (its CompiledCode has no other owner): nothing to compile.
            if (job.slot.use_count() == 1) {
                std::lock_guard s(core_.stats_mu);
                ++core_.totals.skipped;
            } else {
                core_.compile(job.insns, job.slot);
            }
            job = {};
            g.lock();
            busy_ = false;
            idle_.notify_all();
        }
    }
    Core& core_;
    ExecMode mode_;
    std::mutex mu_;
    std::condition_variable cv_, idle_;
    std::deque<Job> queue_;
    bool busy_ = false, stop_ = false;
    std::thread thread_;
};

JitEngine::JitEngine(const JitOptions& opts, std::shared_ptr<Core> core)
    : opts_(opts), core_(std::move(core)) {
    if (opts_.mode == ExecMode::Tiered) worker_ = std::make_unique<Worker>(*core_, opts_.mode);
}

JitEngine::~JitEngine() {
    worker_.reset();
    // The reuse map's slots hold the core: break the cycle (blocks still alive keep theirs).
    std::lock_guard g(core_->compile_mu);
    core_->reuse.clear();
}

std::unique_ptr<JitEngine> JitEngine::create(const JitOptions& opts, std::string& error) {
    if (opts.mode == ExecMode::Interp) {
        error = "jit: the interp mode has no JIT engine";
        return nullptr;
    }
    auto core = std::make_shared<Core>();
    if (opts.mode == ExecMode::Jit && !core->init(opts.mode, error)) return nullptr;
    return std::unique_ptr<JitEngine>(new JitEngine(opts, std::move(core)));
}

void JitEngine::on_block(Block& b) {
    if (opts_.mode == ExecMode::Jit) {
        auto slot = std::make_shared<Core::Slot>(core_);
        core_->compile(b.insns, slot);
        b.jit = std::move(slot); // a failed compile leaves fn null: interpreted from now on
        return;
    }
    if (++b.runs < opts_.threshold) return;
    auto slot = std::make_shared<Core::Slot>(core_);
    b.jit = slot;
    worker_->push(std::move(slot), b.insns);
}

void JitEngine::drain() {
    if (worker_) worker_->drain();
}

JitStats JitEngine::stats() const {
    std::lock_guard g(core_->stats_mu);
    JitStats s = core_->totals;
    if (!core_->times_ms.empty()) {
        std::vector<double> t = core_->times_ms;
        std::nth_element(t.begin(), t.begin() + t.size() / 2, t.end());
        s.median_ms = t[t.size() / 2];
    }
    return s;
}

std::string JitEngine::stats_line() const {
    JitStats s = stats();
    return fmt::format("jit ({}): {} blocks compiled ({} instructions, {} native calls), {:.1f} ms "
                       "total, median {:.2f} ms, max {:.2f} ms per block; {} reused, {} failed, "
                       "{} skipped",
                       exec_mode_name(opts_.mode), s.compiled, s.insns, s.native_calls, s.total_ms,
                       s.median_ms, s.max_ms, s.reused, s.failed, s.skipped);
}

} // namespace rr86::jit

extern "C" [[gnu::visibility("default")]] rr86::jit::JitTier*
rr86_jit_create_tier(const rr86::jit::JitOptions& opts, std::string& error) {
    return rr86::jit::JitEngine::create(opts, error).release();
}
