// Interpreter: runs decoded blocks with an exact stop at any icount.
//
// run() retires instructions until Cpu::icount_limit is reached or the CPU asks the machine to
// act (Cpu::exit_reasons). Between blocks it takes interrupts (INTR honouring IF and the
// one-instruction shadow of STI and MOV/POP SS; NMI). Instructions that cannot run from a cached
// block (page-crossing, at the CS limit, under TF or a shadow, fetched from MMIO) run one at a
// time through step().
#pragma once

#include "engine/cpu/block_cache.h"
#include "engine/cpu/cpu.h"
#include "engine/cpu/decode.h"

#include <array>

namespace rr86 {

// A second engine for the same decoded blocks (jit/). The interpreter offers it each block it is
// about to interpret that has no compiled code yet (Block::jit null); the tier may count it, queue
// it for a compile thread, or compile it at once. Compiled code runs only when the whole block
// fits in the instruction budget, so which engine runs never changes state or icount.
class CodeTier {
  public:
    virtual ~CodeTier() = default;
    // Called once a block without code has been interpreted threshold() times (the interpreter
    // counts, in Block::runs: a virtual call per interpreted block cost a SeaBIOS boot 8 %), and
    // at each run after that until the block has code. Block::region lists the blocks the code
    // may cover.
    virtual void on_block(Block& b) = 0;
    virtual uint32_t threshold() const = 0;
    // False while the tier cannot take blocks yet (loading): on_block still counts them, but no
    // region is formed for it.
    virtual bool ready() const { return true; }
};

class Interpreter {
  public:
    explicit Interpreter(Cpu& cpu);
    void run();
    // Drops every decoded block (after a physical map change, or on request).
    void flush_code();
    const BlockCache& blocks() const { return cache_; }
    // Null: interpret everything. The tier must outlive the interpreter's use of it.
    void set_code_tier(CodeTier* tier) {
        tier_ = tier;
        tier_threshold_ = tier ? tier->threshold() : 0;
    }

  private:
    // Linear EIP -> block, valid while its epoch is the current one: a TLB flush or a block
    // invalidation bumps jc_epoch_ instead of clearing 4096 entries (SeaBIOS flushes the TLB at
    // every switch between 16- and 32-bit code).
    struct JumpCacheEntry {
        uint32_t linear;
        CodeMode mode;
        uint64_t epoch;
        Block* block;
    };

    bool take_interrupt();
    void deliver_fault();
    Block* block_at(uint32_t linear, CodeMode mode);
    Block* build_block(uint64_t phys, const uint8_t* page, CodeMode mode);
    bool run_block(const Block& b);
    bool run_insns(const Block& b, size_t first, size_t last, uint32_t ip_mask);
    bool resume_block(const Block& b, size_t next);
    bool may_chain() const;
    Block* chained(Block& from);
    bool run_either(Block*& b);
    void form_region(Block& head);
    void share_region_code(Block& head);
    void step();
    void sync_caches();
    void on_code_write(uint64_t ram_offset, uint64_t len);

    Cpu& c_;
    Decoder decoder_;
    BlockCache cache_;
    std::array<JumpCacheEntry, 4096> jump_cache_{};
    uint64_t jc_tlb_epoch_ = ~0ull, jc_block_epoch_ = ~0ull, map_generation_ = 0;
    uint64_t jc_epoch_ = 1;
    CodeTier* tier_ = nullptr;
    uint32_t tier_threshold_ = 0;
};

CodeMode code_mode(const Cpu& c);

} // namespace rr86
