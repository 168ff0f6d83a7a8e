// BlockCache: decoded basic blocks, keyed by the host address of their first byte (the RAM or ROM
// byte the physical map resolved the code to) and the code mode, so an instruction is decoded once
// however often it runs (DESIGN.md, engine/cpu).
//
// A block never crosses a 4 KiB page, so it depends on exactly one page of host memory. A write to
// a RAM page holding decoded code (PhysMap code-page tracking) drops that page's blocks. Keying by
// host memory rather than physical address means a change of the physical map (SeaBIOS switches
// the PAM registers many times while it shadows itself) keeps every block in guest RAM: the same
// bytes keep their blocks wherever they are mapped. Blocks in other host memory (ROM images) are
// dropped on a map change, since nothing tracks writes to it.
#pragma once

#include "engine/cpu/decode.h"
#include "engine/cpu/insn.h"
#include "engine/memory/phys_map.h"

#include <atomic>
#include <bitset>
#include <memory>
#include <unordered_map>
#include <vector>

namespace rr86 {

// Translated code for a block, or for a region of blocks headed by it (Block::region), entered
// at the start of member `entry` (every member of a region runs the region's code: a loop left
// at one member, for an event or the end of a time slice, comes back in there). Returns
//  - 1 | (m << 1) when every instruction of the last region member it ran, m, ran and none
//    ended the block (as Interpreter::run_block returning true);
//  - 0 when an instruction faulted or ended its block;
//  - compiled_resume(m, k) when the interpreter is to run member m on from its instruction k:
//    after instruction k - 1 retired with an asynchronous request in flight (Cpu::async_poll
//    set: it polls first), or from the start of instruction k, which needs a slow path the
//    translated code leaves out (a TLB miss or a fault; nothing of instruction k was done).
constexpr unsigned kMaxRegionBlocks = 16;
constexpr uint32_t compiled_resume(unsigned member, size_t next) {
    return uint32_t(((next + 1) << 4 | member) << 1);
}
static_assert(kMaxRegionBlocks <= 16, "compiled_resume keeps the member in 4 bits");
// Returned instead when the segments the code was specialised for are not flat any more
// (Block::flat_segs): nothing ran, and the code is of no use now.
constexpr uint32_t kCompiledRefused = 2;
static_assert(kCompiledRefused >> 1 < 16, "not a compiled_resume value");
using CompiledFn = uint32_t (*)(Cpu&, uint32_t entry);

// Machine code for one block from a second engine (jit/). A compile thread publishes `fn` while
// the vCPU keeps interpreting; the vCPU only loads the pointer. The JIT derives from it to own the
// code, which is freed when the last reference (the block's, a queued job's) goes.
struct CompiledCode {
    std::atomic<CompiledFn> fn{nullptr};
    // Runs while waiting for its compile (the compile queue takes the hottest first). Only the
    // vCPU thread writes it.
    std::atomic<uint32_t> waits{0};
    virtual ~CompiledCode() = default;
};

struct Block {
    uint64_t phys;        // physical address of the first instruction when decoded
    const uint8_t* start; // host address of the first instruction: the cache key
    const uint8_t* host;  // host RAM page holding it, for invalidation (null: ROM)
    CodeMode mode;
    uint16_t bytes; // bytes covered
    std::vector<Insn> insns;
    // Second engine (jit/): null until the code tier takes the block; `runs` counts interpreted
    // executions for tiering.
    std::shared_ptr<CompiledCode> jit;
    uint32_t runs = 0;
    // The blocks that ran after this one, keyed like the interpreter's jump cache (a cache of
    // block_at(linear, mode), valid while `epoch` is the interpreter's epoch). Two: a
    // conditional branch has two successors, and data-dependent ones alternate.
    struct Successor {
        Block* block = nullptr;
        uint32_t linear = 0;
        uint64_t epoch = 0;
    };
    Successor next[2];
    // The blocks compiled code for this one covers, this one first (Interpreter::form_region:
    // blocks that ran after it on the same page), and the bytes of the page they span. The
    // code goes when any of those bytes change.
    // A member other than the head shares the head's code and a copy of this list, and `entry`
    // is its index in it.
    std::vector<Block*> region;
    uint16_t region_lo = 0, region_hi = 0;
    uint8_t entry = 0;
    // Segments flat (flat_segments()) when the region was formed: its code assumes they still
    // are, which lets it leave out their base and limit checks.
    uint8_t flat_segs = 0;
    // The head's EIP when the region formed: its code is specialised for it (it runs only at
    // that EIP, so each member's EIP and each branch target are constants).
    uint32_t region_eip = 0;

    // Leaves the block without compiled code and region (it is tiered again once hot); the
    // caller keeps the code alive while it may still be running.
    std::shared_ptr<CompiledCode> take_code() {
        region.clear();
        entry = 0;
        return std::move(jit);
    }
};

class BlockCache {
  public:
    Block* find(const uint8_t* start, CodeMode mode) const;
    Block* insert(std::unique_ptr<Block> b);
    // Drops the blocks on host page `page` (page-aligned) that overlap [lo, hi); true if any
    // went. `page_empty` tells whether the page still holds blocks. Dropped blocks stay
    // allocated until collect() so that the instruction running now can finish.
    bool invalidate_range(const uint8_t* page, const uint8_t* lo, const uint8_t* hi,
                          bool& page_empty);
    void invalidate_all();
    // Drops the blocks outside guest RAM (ROM and any other host memory the map pointed at):
    // their bytes are not write-tracked, so a change of the map may have retired them.
    void invalidate_untracked();
    void collect() {
        graveyard_.clear();
        dead_code_.clear();
    }
    size_t size() const { return map_.size(); }
    uint64_t epoch() const { return epoch_; } // bumped by every invalidation

  private:
    static uint64_t key(const uint8_t* start, CodeMode mode) {
        return uint64_t(reinterpret_cast<uintptr_t>(start)) | (uint64_t(mode) << 56);
    }
    std::unordered_map<uint64_t, std::unique_ptr<Block>> map_;
    // Blocks by the RAM page they were decoded from, with the bytes they cover: a write to a code
    // page that touches no block's bytes (SeaBIOS zeroing or updating data that shares a page
    // with code, byte by byte) is answered from the bitmap instead of visiting every block.
    // Bits of dropped blocks stay set until the next write there rebuilds the map.
    struct PageBlocks {
        std::vector<uint64_t> keys;
        std::bitset<kPageSize> covered;
        void cover(const Block& b);
    };
    std::unordered_map<const uint8_t*, PageBlocks> by_page_;
    std::vector<std::unique_ptr<Block>> graveyard_;
    std::vector<std::shared_ptr<CompiledCode>> dead_code_; // of regions that lost a member
    uint64_t epoch_ = 0;
};

} // namespace rr86
