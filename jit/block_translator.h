// BlockTranslator: one decoded Block -> one LLVM function `uint32_t(Cpu&)` (1: finished cleanly)
// that does, instruction by instruction, exactly what Interpreter::run_block does, with each
// semantic function cloned from the semantics bitcode and inlined (its Insn is a constant, so
// operand selection folds away).
#pragma once

#include "engine/cpu/block_cache.h"
#include "engine/cpu/decode.h"
#include "engine/cpu/insn.h"

#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace llvm {
class Function;
class GlobalValue;
class Module;
class TargetMachine;
} // namespace llvm

namespace rr86::jit {

class BitcodeModule;

// What one compiled function covers: a block, or a region of blocks on one page headed by it
// (Block::region), member 0 being the head; the code is entered at any member's start.
struct RegionMember {
    int32_t offset; // of the member's first byte from the head's (the same in EIP)
    std::vector<Insn> insns;
    std::vector<uint8_t> next; // members seen to run after it (Block::next): it may go on to them
};
struct Region {
    std::vector<RegionMember> members;
    CodeMode mode;         // the blocks were decoded for (they run only in it)
    uint8_t flat_segs = 0; // the code assumes these segments flat (Block::flat_segs)
    // The head's EIP, when the code is specialised for it (Block::region_eip): entered at
    // another, it returns at once and the member is interpreted.
    std::optional<uint32_t> head_eip;
};
Region region_of(const Block& head);

struct TranslateInfo {
    unsigned inlined = 0; // instructions whose semantic came from the bitcode
    unsigned native = 0;  // instructions calling the native handler (no IR found)
};

class BlockTranslator {
  public:
    // `tm` (may be null) gives the optimiser the host's costs.
    BlockTranslator(BitcodeModule& bc, llvm::TargetMachine* tm) : bc_(bc), tm_(tm) {}

    // A module whose only external definition is `name`, optimised; null if a handler that
    // must be called natively has no symbol to call it by. The caller holds the lock of
    // the bitcode module's LLVMContext.
    std::unique_ptr<llvm::Module> translate(const Region& region, const std::string& name,
                                            TranslateInfo& info);

  private:
    struct Closure {
        const llvm::Function* fn = nullptr;            // null: call the native handler
        std::vector<const llvm::GlobalValue*> globals; // fn, its callees, constants, declarations
    };
    // IR instructions (handler and everything it calls in the bitcode) above which a handler is
    // called natively rather than inlined.
    static constexpr size_t kMaxInlineIr = 400;
    const Closure* closure(Handler h);
    void optimise(llvm::Module& m, llvm::Function& block_fn);
    BitcodeModule& bc_;
    llvm::TargetMachine* tm_;
    std::unordered_map<Handler, Closure> closures_;
};

// Host helper the translated code calls on a fault: what Interpreter::deliver_fault does.
extern "C" void rr86_jit_deliver_fault(Cpu* c);

} // namespace rr86::jit
