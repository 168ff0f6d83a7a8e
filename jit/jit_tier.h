// The JIT as seen from the rest of rr86: a CodeTier the interpreter hands its blocks to, loaded
// from a separate shared module (librr86_jit.so, the only part of rr86 linked with libLLVM).
//
// Why a module: loading libLLVM-19 costs 11-15 ms of process start-up (dlopen: relocations and
// LLVM's static constructors), a third of a whole SeaBIOS boot. `interp` never loads it;
// `tiered` loads it on a background thread while the interpreter runs, so neither pays for LLVM
// on the vCPU thread. Only `jit` (compile every block
// before it runs) waits for it.
#pragma once

#include "engine/cpu/interp.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace rr86::jit {

enum class ExecMode : uint8_t { Interp, Jit, Tiered };
std::optional<ExecMode> parse_exec_mode(std::string_view s);
const char* exec_mode_name(ExecMode m);

struct JitOptions {
    static constexpr uint32_t kDefaultThreshold = 64;
    ExecMode mode = ExecMode::Tiered;       // Jit or Tiered
    uint32_t threshold = kDefaultThreshold; // tiered: interpreted runs before a block compiles
    // jit: interpreted runs before a block compiles (0: before its first run). Above 0, blocks
    // seen to run after it are known by then and its code covers them too (Block::region).
    uint32_t jit_threshold = 0;
    std::string cache_dir; // persistent code cache; empty: none
};

struct JitStats {
    uint64_t compiled = 0;     // blocks compiled
    uint64_t cache_hits = 0;   // blocks loaded from the persistent code cache
    uint64_t failed = 0;       // blocks that could not be compiled (they stay interpreted)
    uint64_t skipped = 0;      // queued blocks dropped before their compile started
    uint64_t reused = 0;       // blocks given the code of an identical block compiled earlier
    uint64_t insns = 0;        // instructions in compiled blocks
    uint64_t native_calls = 0; // of those, calls to native handlers (no bitcode found)
    double total_ms = 0;       // wall time spent translating, optimising and generating code
    double median_ms = 0;      // per block
    double max_ms = 0;
};

class JitTier : public CodeTier {
  public:
    // Blocks until every queued compile has finished (tests, and before printing statistics).
    virtual void drain() = 0;
    virtual JitStats stats() const = 0;
    virtual std::string stats_line() const = 0;
};

// The default persistent cache directory: $XDG_CACHE_HOME/rr86 or ~/.cache/rr86 (empty if
// neither is set).
std::string default_cache_dir();

// Loads the module and makes a tier; null with a one-line `error` if the module or LLVM cannot
// be loaded. Tiered returns at once and loads in the background.
std::unique_ptr<JitTier> load_jit_tier(const JitOptions& opts, std::string& error);

} // namespace rr86::jit

// The module's entry point (resolved by dlsym).
extern "C" rr86::jit::JitTier* rr86_jit_create_tier(const rr86::jit::JitOptions& opts,
                                                    std::string& error);
