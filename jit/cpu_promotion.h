// Promotion of Cpu fields to locals inside one translated block function.
//
// The semantics read and write the guest's registers, flags, EIP and the per-instruction scratch
// (fault, end_block, ...) as fields of the Cpu. Inside a block function those memory round trips
// hide the data flow from LLVM: a TLB-miss call on a cold path forces every register to be
// reloaded on the hot path after it, and the checks after each instruction (did it fault, end
// the block) stay loads. Here every field the function touches at a constant offset gets a local
// copy: loaded once on entry, written back (if written) before anything that may look at the Cpu
// (an out-of-line call, an access at an unknown address) and on the way out, and reloaded after
// anything that may change it. SROA then turns the copies into SSA values, so registers live in
// host registers across instructions and loop iterations, and on paths that make no call a
// "fault.active" check folds to false.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace llvm {
class CallBase;
class Function;
class Instruction;
class StoreInst;
} // namespace llvm

namespace rr86::jit {

struct CpuRange {
    uint64_t offset, size;
};

// Out-of-line functions (by name, substring) known to leave most of the Cpu alone: before a
// call to one, only the copies it may read are written back (all but those inside `unread`);
// after it, only those it may write (`writes`) are reloaded, so the value of every other field
// on the hot path does not depend on whether the call ran.
struct CalleeRule {
    std::vector<std::string> names;
    CpuRange unread;
    std::vector<CpuRange> writes;
};

struct PromotionRules {
    // Ranges the caller guarantees to be zero when the function is entered (the pending fault,
    // end_block, async_poll): their copies start as constants instead of loads.
    std::vector<CpuRange> zero_on_entry;
    std::vector<CalleeRule> narrow; // the first rule naming a callee applies
};

// [0, size) without `keep`: the writes of a callee that leaves only `keep` alone.
std::vector<CpuRange> all_but(std::vector<CpuRange> keep, uint64_t size);

// Whether `c` calls a function whose (mangled) name contains one of `names`.
bool calls_one_of(const llvm::CallBase& c, const std::vector<std::string>& names);

// Accesses tagged by mark_not_cpu() are known not to touch the Cpu (e.g. the host_kick flag).
void promote_cpu_fields(llvm::Function& fn, const PromotionRules& rules);
void mark_not_cpu(llvm::Instruction& access);
// A store tagged by mark_same_value() writes what the Cpu field holds already (a fact the
// translator checked): its copy takes the value but is not "written", so nothing writes it back.
void mark_same_value(llvm::StoreInst& store);

} // namespace rr86::jit
