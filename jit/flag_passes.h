// The two EFLAGS-specific steps of the JIT's pipeline (BlockTranslator::optimise). Every
// flag-setting semantic merges its six arithmetic flags into EFLAGS with
// `eflags = (eflags & ~mask) | (values & mask)` (engine/cpu/flags.h, set_arith_flags); once a
// block's or a region's instructions are inlined and EFLAGS is a local, most of those merges are
// dead or needed only by the exits. These passes remove that work where LLVM's own passes cannot.
#pragma once

namespace llvm {
class Function;
}

namespace rr86::jit {

// Drops flag computations the next instruction's merge masks out again (see flag_passes.cpp).
void prune_dead_flags(llvm::Function& fn);

// Stops a loop from computing, every iteration, the flags that only its exits read: the flags
// carried around a loop's back edge are rebuilt from the previous iteration's inputs where they
// are used (see flag_passes.cpp).
void defer_loop_flags(llvm::Function& fn);

} // namespace rr86::jit
