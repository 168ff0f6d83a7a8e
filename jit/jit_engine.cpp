#include "jit/jit_engine.h"

#include "jit/bitcode_module.h"
#include "jit/block_translator.h"
#include "jit/code_cache.h"

#include <fmt/core.h>
#include <llvm/Config/llvm-config.h>
#include <llvm/ExecutionEngine/ObjectCache.h>
#include <llvm/ExecutionEngine/Orc/CompileUtils.h>
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
#include <cstring>
#include <deque>
#include <dlfcn.h>
#include <elf.h>
#include <fstream>
#include <link.h>
#include <mutex>
#include <sstream>
#include <thread>
#include <unordered_map>
#include <xxhash.h>

namespace rr86::jit {

class ObjectCapture;

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
    bool ready = false;    // init() succeeded

    // Live compiled code by its cache key (CodeCache::key: what translated code depends on; not
    // the block's address): identical blocks share one translation, and the symbol a key names
    // is never defined twice. Expired entries are swept as the map grows.
    struct Slot;
    std::unordered_map<std::string, std::weak_ptr<Slot>> reuse;
    size_t sweep_at = 1024;
    // The most recently made translations stay alive after their blocks go (SeaBIOS's PAM
    // switches drop every block and decode the same code again; the conformance runner makes
    // each test's block anew). Cleared with the engine: slots hold the core.
    static constexpr size_t kRecent = 8192;
    std::deque<std::shared_ptr<Slot>> recent;
    std::unique_ptr<CodeCache> cache;
    std::unique_ptr<ObjectCapture> capture = std::make_unique<ObjectCapture>();
    bool trace = std::getenv("RR86_JIT_TRACE") != nullptr; // one line per compiled block

    mutable std::mutex stats_mu;
    JitStats totals;
    std::vector<double> times_ms;

    bool init(const JitOptions& opts, std::string& error);
    // Fills `slot` with code for `insns`: shared with a live identical block, loaded from the
    // disk cache, or compiled now (and stored there).
    bool compile(const Region& region, const std::shared_ptr<Slot>& slot);
    std::string build_id() const;
    void count(double ms, size_t insns, unsigned native, bool from_cache);
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

// Keeps the object file ORC compiles for the module being added, for the disk cache.
class ObjectCapture final : public llvm::ObjectCache {
  public:
    void expect(const std::string& module) {
        module_ = module;
        object_.clear();
    }
    const std::string& object() const { return object_; }
    void notifyObjectCompiled(const llvm::Module* m, llvm::MemoryBufferRef obj) override {
        if (m->getModuleIdentifier() == module_)
            object_.assign(obj.getBufferStart(), obj.getBufferSize());
    }
    std::unique_ptr<llvm::MemoryBuffer> getObject(const llvm::Module*) override { return nullptr; }

  private:
    std::string module_, object_;
};

bool JitEngine::Core::init(const JitOptions& opts, std::string& error) {
    auto t0 = std::chrono::steady_clock::now();
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
    jtmb->setCodeGenOptLevel(opts.mode == ExecMode::Jit ? llvm::CodeGenOptLevel::None
                                                        : llvm::CodeGenOptLevel::Default);
    if (const char* cg = std::getenv("RR86_JIT_CG")) // experiments: 0..3
        jtmb->setCodeGenOptLevel(llvm::CodeGenOptLevel(std::atoi(cg) & 3));
    auto machine = jtmb->createTargetMachine();
    if (!machine) {
        error = "jit: " + llvm::toString(machine.takeError());
        return false;
    }
    tm = std::move(*machine);
    ObjectCapture* cap = capture.get();
    auto jit =
        llvm::orc::LLJITBuilder()
            .setJITTargetMachineBuilder(*jtmb)
            .setCompileFunctionCreator(
                [cap](llvm::orc::JITTargetMachineBuilder b)
                    -> llvm::Expected<std::unique_ptr<llvm::orc::IRCompileLayer::IRCompiler>> {
                    return std::make_unique<llvm::orc::ConcurrentIRCompiler>(std::move(b), cap);
                })
            .create();
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
    auto t1 = std::chrono::steady_clock::now();
    auto lock = tsctx.getLock();
    bc = BitcodeModule::load(*tsctx.getContext(), error);
    if (!bc) return false;
    auto t2 = std::chrono::steady_clock::now();
    translator = std::make_unique<BlockTranslator>(*bc, tm.get());
    cache = std::make_unique<CodeCache>(opts.cache_dir, build_id());
    if (trace) {
        auto ms = [](auto a, auto b) {
            return std::chrono::duration<double, std::milli>(b - a).count();
        };
        fmt::print(stderr,
                   "rr86: jit: set up in {:.1f} ms (ORC {:.1f}, bitcode {:.1f}, build id {:.1f})\n",
                   ms(t0, std::chrono::steady_clock::now()), ms(t0, t1), ms(t1, t2),
                   ms(t2, std::chrono::steady_clock::now()));
    }
    ready = true;
    return true;
}

namespace {

// The GNU build ID the linker put in the ELF object loaded at `base` (a hash of its contents:
// any change to the module's code changes it), or empty.
std::string elf_build_id(const void* base) {
    struct Search {
        const void* base;
        std::string id;
    } search{base, {}};
    dl_iterate_phdr(
        [](dl_phdr_info* info, size_t, void* data) {
            auto& s = *static_cast<Search*>(data);
            if (reinterpret_cast<const void*>(info->dlpi_addr) != s.base) return 0;
            for (int i = 0; i < info->dlpi_phnum; ++i) {
                const ElfW(Phdr)& ph = info->dlpi_phdr[i];
                if (ph.p_type != PT_NOTE) continue;
                const char* p = reinterpret_cast<const char*>(info->dlpi_addr + ph.p_vaddr);
                const char* end = p + ph.p_memsz;
                while (p + sizeof(ElfW(Nhdr)) <= end) { // notes: header, name, descriptor
                    auto* n = reinterpret_cast<const ElfW(Nhdr)*>(p);
                    const char* name = p + sizeof(ElfW(Nhdr));
                    const char* desc = name + ((n->n_namesz + 3) & ~3u);
                    if (desc + n->n_descsz > end) break;
                    if (n->n_type == NT_GNU_BUILD_ID && n->n_namesz == 4 &&
                        std::memcmp(name, "GNU", 4) == 0) {
                        s.id.assign(desc, n->n_descsz);
                        return 1;
                    }
                    p = desc + ((n->n_descsz + 3) & ~3u);
                }
            }
            return 1;
        },
        &search);
    return search.id;
}

} // namespace

// What a cached object depends on besides its block: this module's code (translator and the
// embedded semantics: its ELF build ID, else its bytes), LLVM, the host CPU the code was selected
// for, the optimisation level.
std::string JitEngine::Core::build_id() const {
    Dl_info info{};
    std::string self;
    if (dladdr(reinterpret_cast<void*>(&rr86_jit_deliver_fault), &info) && info.dli_fname) {
        self = elf_build_id(info.dli_fbase);
        if (self.empty()) {
            std::ifstream in(info.dli_fname, std::ios::binary);
            std::stringstream ss;
            ss << in.rdbuf();
            self = ss.str();
        }
    }
    std::string id =
        fmt::format("{}|{}|{}|{}|{}", self, LLVM_VERSION_STRING, std::string(tm->getTargetCPU()),
                    std::string(tm->getTargetFeatureString()), int(tm->getOptLevel()));
    return fmt::format("{:016x}", XXH3_64bits(id.data(), id.size()));
}

void JitEngine::Core::count(double ms, size_t insns, unsigned native, bool from_cache) {
    std::lock_guard g(stats_mu);
    ++(from_cache ? totals.cache_hits : totals.compiled);
    totals.insns += insns;
    totals.native_calls += native;
    totals.total_ms += ms;
    totals.max_ms = std::max(totals.max_ms, ms);
    times_ms.push_back(ms);
}

bool JitEngine::Core::compile(const Region& region, const std::shared_ptr<Slot>& sp) {
    std::lock_guard guard(compile_mu);
    if (!ready) return false;
    Slot& slot = *sp;
    std::string key = cache->key(region);
    if (auto it = reuse.find(key); it != reuse.end()) {
        if (std::shared_ptr<Slot> live = it->second.lock()) {
            slot.shared = live;
            slot.fn.store(live->fn.load(std::memory_order_relaxed), std::memory_order_release);
            std::lock_guard g(stats_mu);
            ++totals.reused;
            return true;
        }
    }
    auto t0 = std::chrono::steady_clock::now();
    // One symbol per key, the same in every run: cached objects define it.
    std::string name = fmt::format("rr86_b_{:016x}", CodeCache::key_hash(key));
    llvm::orc::ResourceTrackerSP rt = lljit->getMainJITDylib().createResourceTracker();
    TranslateInfo info;
    bool from_cache = false;
    llvm::Error added = llvm::Error::success();
    if (std::optional<std::string> obj = cache->load(key)) {
        from_cache = true;
        added = lljit->addObjectFile(rt, llvm::MemoryBuffer::getMemBufferCopy(*obj, name));
    } else {
        std::unique_ptr<llvm::Module> m;
        {
            auto lock = tsctx.getLock();
            m = translator->translate(region, name, info);
        }
        if (m) {
            capture->expect(name);
            added = lljit->addIRModule(rt, llvm::orc::ThreadSafeModule(std::move(m), tsctx));
        } else {
            added = llvm::make_error<llvm::StringError>("a handler has no symbol",
                                                        llvm::inconvertibleErrorCode());
        }
    }
    llvm::Expected<llvm::orc::ExecutorAddr> addr =
        added ? llvm::Expected<llvm::orc::ExecutorAddr>(std::move(added)) : lljit->lookup(name);
    if (!addr) {
        std::string msg = llvm::toString(addr.takeError());
        llvm::consumeError(rt->remove());
        std::lock_guard g(stats_mu);
        if (totals.failed++ == 0)
            fmt::print(stderr, "rr86: jit: {} stays interpreted: {}\n", name, msg);
        return false;
    }
    if (!from_cache && !capture->object().empty()) cache->store(key, capture->object());
    slot.rt = std::move(rt);
    slot.fn.store(addr->toPtr<CompiledFn>(), std::memory_order_release);
    if (reuse.size() >= sweep_at) {
        std::erase_if(reuse, [](const auto& e) { return e.second.expired(); });
        sweep_at = std::max<size_t>(1024, reuse.size() * 2);
    }
    reuse[std::move(key)] = sp;
    recent.push_back(sp);
    if (recent.size() > kRecent) recent.pop_front();
    double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    size_t insns = 0;
    for (const RegionMember& m : region.members)
        insns += m.insns.size();
    if (trace)
        fmt::print(stderr, "rr86: jit: {} {} blocks, {} insns ({} native): {} in {:.2f} ms\n", name,
                   region.members.size(), insns, info.native,
                   from_cache ? "loaded from the cache" : "compiled", ms);
    count(ms, insns, info.native, from_cache);
    return true;
}

// The background compile thread of the tiered mode.
class JitEngine::Worker {
  public:
    Worker(std::shared_ptr<Core> core, const JitOptions& opts)
        : core_(std::move(core)), opts_(opts), thread_([this] { loop(); }) {}
    ~Worker() {
        stop();
        thread_.join();
    }
    // Drops the queue and asks the thread to end; true if it is idle (a join is immediate).
    bool stop() {
        std::deque<Job> dropped; // destroyed after the lock is released
        bool idle;
        {
            std::lock_guard g(mu_);
            stop_ = true;
            dropped.swap(queue_);
            idle = !busy_;
        }
        cv_.notify_all();
        return idle;
    }
    void detach() { thread_.detach(); }
    void push(std::shared_ptr<Core::Slot> slot, Region region) {
        {
            std::lock_guard g(mu_);
            queue_.push_back({std::move(slot), std::move(region)});
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
        Region region;
    };
    // The hottest waiting block first (runs counted while it waits), the newest among equals:
    // a boot queues hundreds of warm blocks, and the loop the guest is in now must not wait
    // behind them.
    Job take() {
        auto best = queue_.end();
        uint32_t best_waits = 0;
        for (auto it = queue_.begin(); it != queue_.end(); ++it) {
            uint32_t w = it->slot->waits.load(std::memory_order_relaxed);
            if (best == queue_.end() || w >= best_waits) best = it, best_waits = w;
        }
        Job job = std::move(*best);
        queue_.erase(best);
        return job;
    }
    void loop() {
        // LLVM is set up here, not on the vCPU thread: the guest starts at once (wall-clock
        // timing of host events is part of what gets recorded) and interprets meanwhile.
        std::string error;
        if (!core_->init(opts_, error))
            fmt::print(stderr, "rr86: warning: {}; interpreting\n", error);
        std::unique_lock g(mu_);
        busy_ = false;
        idle_.notify_all();
        for (;;) {
            cv_.wait(g, [&] { return stop_ || !queue_.empty(); });
            if (stop_) return;
            Job job = take();
            busy_ = true;
            g.unlock();
            // The block was dropped (its CompiledCode has no other owner): nothing to compile.
            if (job.slot.use_count() == 1) {
                std::lock_guard s(core_->stats_mu);
                ++core_->totals.skipped;
            } else {
                core_->compile(job.region, job.slot);
            }
            job = {};
            g.lock();
            busy_ = false;
            idle_.notify_all();
        }
    }
    std::shared_ptr<Core> core_;
    JitOptions opts_;
    std::mutex mu_;
    std::condition_variable cv_, idle_;
    std::deque<Job> queue_;
    bool busy_ = true, stop_ = false; // busy from the start: setting LLVM up
    std::thread thread_;
};

JitEngine::JitEngine(const JitOptions& opts, std::shared_ptr<Core> core)
    : opts_(opts), core_(std::move(core)) {
    if (opts_.mode == ExecMode::Tiered) worker_ = std::make_unique<Worker>(core_, opts_);
}

JitEngine::~JitEngine() {
    // A compile in progress is not waited for: the session is over, and the guest must not pay
    // for the JIT at exit (tiered is measured against interp). The thread finishes its block
    // on its own and ends (it owns the worker and the core from here); rr86 leaves with _Exit,
    // not through static destructors LLVM could still be using.
    if (worker_ && !worker_->stop()) {
        worker_->detach();
        (void)worker_.release();
    }
    worker_.reset();
    // (A compile still running keeps the lock: then the core is left to the process's end.)
    if (core_->compile_mu.try_lock()) {
        core_->recent.clear();
        core_->compile_mu.unlock();
    }
}

std::unique_ptr<JitEngine> JitEngine::create(const JitOptions& opts, std::string& error) {
    if (opts.mode == ExecMode::Interp) {
        error = "jit: the interp mode has no JIT engine";
        return nullptr;
    }
    auto core = std::make_shared<Core>();
    if (opts.mode == ExecMode::Jit && !core->init(opts, error)) return nullptr;
    return std::unique_ptr<JitEngine>(new JitEngine(opts, std::move(core)));
}

void JitEngine::on_block(Block& b) {
    if (opts_.mode == ExecMode::Jit) {
        auto slot = std::make_shared<Core::Slot>(core_);
        core_->compile(region_of(b), slot);
        b.jit = std::move(slot); // a failed compile leaves fn null: interpreted from now on
        return;
    }
    auto slot = std::make_shared<Core::Slot>(core_);
    b.jit = slot;
    worker_->push(std::move(slot), region_of(b));
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
    return fmt::format("jit ({}): {} blocks compiled, {} loaded from the code cache ({} "
                       "instructions, {} native calls), {:.1f} ms total, median {:.2f} ms, max "
                       "{:.2f} ms per block; {} reused, {} failed, {} skipped",
                       exec_mode_name(opts_.mode), s.compiled, s.cache_hits, s.insns,
                       s.native_calls, s.total_ms, s.median_ms, s.max_ms, s.reused, s.failed,
                       s.skipped);
}

} // namespace rr86::jit

extern "C" [[gnu::visibility("default")]] rr86::jit::JitTier*
rr86_jit_create_tier(const rr86::jit::JitOptions& opts, std::string& error) {
    return rr86::jit::JitEngine::create(opts, error).release();
}
