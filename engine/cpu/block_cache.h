// BlockCache: decoded basic blocks, keyed by the physical address of their first byte and the
// code mode, so an instruction is decoded once however often it runs (DESIGN.md, engine/cpu).
//
// A block never crosses a 4 KiB page, so it depends on exactly one physical page; a write to a
// RAM page holding decoded code (PhysMap code-page tracking) drops the page's blocks. A change of
// the physical map (PAM, A20) drops everything.
#pragma once

#include "engine/cpu/decode.h"
#include "engine/cpu/insn.h"

#include <atomic>
#include <memory>
#include <unordered_map>
#include <vector>

namespace rr86 {

// Machine code for one block from a second engine (jit/). A compile thread publishes `fn` while
// the vCPU keeps interpreting; the vCPU only loads the pointer. The JIT derives from it to own the
// code, which is freed when the last reference (the block's, a queued job's) goes.
struct CompiledCode {
    std::atomic<void (*)(Cpu&)> fn{nullptr};
    virtual ~CompiledCode() = default;
};

struct Block {
    uint64_t phys;          // physical address of the first instruction
    const uint8_t* host;    // host page holding it, for invalidation (null: ROM/MMIO)
    CodeMode mode;
    uint16_t bytes;         // bytes covered
    std::vector<Insn> insns;
    // Second engine (jit/): null until the code tier takes the block; `runs` counts interpreted
    // executions for tiering.
    std::shared_ptr<CompiledCode> jit;
    uint32_t runs = 0;
    // The block that ran after this one last time, keyed like the interpreter's jump cache (a
    // cache of block_at(linear, mode), valid while `next_epoch` is the interpreter's epoch).
    Block* next = nullptr;
    uint32_t next_linear = 0;
    uint64_t next_epoch = 0;
};

class BlockCache {
  public:
    Block* find(uint64_t phys, CodeMode mode) const;
    Block* insert(std::unique_ptr<Block> b);
    // Drops the blocks on the host page `page` (page-aligned). They stay allocated until
    // collect() so that the instruction running now can finish.
    void invalidate_page(const uint8_t* page);
    void invalidate_all();
    void collect() { graveyard_.clear(); }
    size_t size() const { return map_.size(); }
    uint64_t epoch() const { return epoch_; } // bumped by every invalidation

  private:
    static uint64_t key(uint64_t phys, CodeMode mode) { return phys | (uint64_t(mode) << 48); }
    std::unordered_map<uint64_t, std::unique_ptr<Block>> map_;
    std::unordered_map<const uint8_t*, std::vector<uint64_t>> by_page_;
    std::vector<std::unique_ptr<Block>> graveyard_;
    uint64_t epoch_ = 0;
};

} // namespace rr86
