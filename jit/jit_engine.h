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

#include "jit/jit_tier.h"

#include <memory>
#include <string>

namespace rr86::jit {

class JitEngine final : public JitTier {
  public:
    // Null with `error` if LLVM cannot be set up. `opts.mode` must be Jit or Tiered.
    static std::unique_ptr<JitEngine> create(const JitOptions& opts, std::string& error);
    ~JitEngine() override;

    void on_block(Block& b) override;
    uint32_t threshold() const override {
        return opts_.mode == ExecMode::Jit ? opts_.jit_threshold : opts_.threshold;
    }
    void drain() override;
    JitStats stats() const override;
    std::string stats_line() const override;

    struct Core;

  private:
    JitEngine(const JitOptions& opts, std::shared_ptr<Core> core);
    class Worker;
    JitOptions opts_;
    std::shared_ptr<Core> core_;
    std::unique_ptr<Worker> worker_;
};

} // namespace rr86::jit
