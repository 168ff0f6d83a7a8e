// JitEngine: the LLVM ORC tier behind the interpreter (Interpreter::set_code_tier).
//
//   interp  never compiles (no JitEngine at all);
//   jit     compiles every block before its first execution, on the vCPU thread;
//   tiered  counts interpreted executions per block and queues a block that reaches the
//           threshold to a background compile thread; the interpreter keeps going and the block
//           switches to compiled code once its pointer is published.
//
// Each compiled block lives in its own ORC ResourceTracker, owned by the block's CompiledCode: a
// block the BlockCache drops (self-modifying code, PAM/A20 map change) is unreachable from then on
// and its machine code is freed with it.
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

struct JitStats {
    uint64_t compiled = 0;     // blocks compiled
    uint64_t failed = 0;       // blocks that could not be compiled (they stay interpreted)
    uint64_t skipped = 0;      // queued blocks dropped before their compile started
    uint64_t reused = 0;       // blocks given the code of an identical block compiled earlier
    uint64_t insns = 0;        // instructions in compiled blocks
    uint64_t native_calls = 0; // of those, calls to native handlers (no bitcode found)
    double total_ms = 0;       // wall time spent translating, optimising and generating code
    double median_ms = 0;      // per block
    double max_ms = 0;
};

class JitEngine final : public CodeTier {
  public:
    static constexpr uint32_t kDefaultThreshold = 64;

    // Null with `error` if LLVM cannot be set up. `mode` must be Jit or Tiered.
    static std::unique_ptr<JitEngine> create(ExecMode mode, std::string& error,
                                             uint32_t threshold = kDefaultThreshold);
    ~JitEngine() override;

    void on_block(Block& b) override;
    // Blocks until every queued compile has finished (tests, and before printing statistics).
    void drain();
    JitStats stats() const;
    std::string stats_line() const;

    struct Core;

  private:
    JitEngine(ExecMode mode, uint32_t threshold, std::shared_ptr<Core> core);
    class Worker;
    ExecMode mode_;
    uint32_t threshold_;
    std::shared_ptr<Core> core_;
    std::unique_ptr<Worker> worker_;
};

} // namespace rr86::jit
