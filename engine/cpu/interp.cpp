#include "engine/cpu/interp.h"

#include "engine/cpu/exceptions.h"
#include "engine/cpu/intrinsics.h"
#include "engine/memory/phys_map.h"

#include <algorithm>

namespace rr86 {

namespace {

constexpr unsigned kMaxBlockInsns = 64;

void raise_gp0(Cpu& c, const Insn&) { raise_gp(c, 0); }

// Fetches up to `want` code bytes at CS:eip, stopping at the CS limit or at the first byte whose
// page cannot be fetched (the fault is kept only if decoding needs that byte; until then CR2
// keeps its value and the #PF's linear address waits in `fault_cr2`).
size_t fetch_code(Cpu& c, uint32_t eip, uint8_t* buf, size_t want, PendingFault& fault,
                  uint32_t& fault_cr2) {
    size_t n = 0;
    for (; n < want; ++n) {
        uint32_t off = (eip + uint32_t(n)) & c.ip_mask();
        if (off > c.s.seg[CS].limit) {
            fault = {true, vec::GP, 0};
            break;
        }
        uint64_t phys;
        uint32_t cr2 = c.s.cr2;
        if (!translate(c, c.s.seg[CS].base + off, Access::Exec, c.s.cpl == 3, phys)) {
            fault = c.fault;
            c.fault = {};
            fault_cr2 = c.s.cr2;
            c.s.cr2 = cr2;
            break;
        }
        buf[n] = uint8_t(c.mem->read(phys, 1));
    }
    return n;
}

} // namespace

CodeMode code_mode(const Cpu& c) {
    if (!c.protected_mode()) return CodeMode::Real16;
    if (c.v86_mode()) return CodeMode::V86;
    return c.code32() ? CodeMode::Prot32 : CodeMode::Prot16;
}

Interpreter::Interpreter(Cpu& cpu) : c_(cpu) {
    c_.mem->on_code_write = [this](uint64_t off, uint64_t len) { on_code_write(off, len); };
}

void Interpreter::flush_code() { cache_.invalidate_all(); }

// A fault consumes one unit of virtual time although nothing retires: a guest whose fault handler
// faults again (hardware loops forever there) still lets time, timers and the machine loop move.
void Interpreter::deliver_fault() {
    deliver_pending_fault(c_);
    ++c_.s.icount;
}

// Only blocks whose bytes were written go: SeaBIOS keeps variables in the pages of its code, and
// dropping the whole page at each such write made it decode the same code again and again.
void Interpreter::on_code_write(uint64_t ram_offset, uint64_t len) {
    const uint8_t* at = c_.mem->ram() + ram_offset;
    const uint8_t* page = c_.mem->ram() + (ram_offset & ~uint64_t(kPageSize - 1));
    bool page_empty = false;
    if (cache_.invalidate_range(page, at, at + len, page_empty))
        c_.end_block = true; // the running block may be one of them (self-modifying code)
    if (page_empty) c_.mem->clear_code_page(page);
}

void Interpreter::sync_caches() {
    if (__builtin_expect(map_generation_ != c_.mem->generation(), 0)) {
        map_generation_ = c_.mem->generation();
        cache_.invalidate_untracked(); // blocks in guest RAM stay: they are keyed by host memory
        c_.flush_tlb();
    }
    if (__builtin_expect(jc_tlb_epoch_ != c_.tlb_epoch || jc_block_epoch_ != cache_.epoch(), 0)) {
        cache_.collect(); // no jump-cache entry points into the graveyard after this
        ++jc_epoch_;
        jc_tlb_epoch_ = c_.tlb_epoch;
        jc_block_epoch_ = cache_.epoch();
    }
}

bool Interpreter::take_interrupt() {
    if (c_.s.intr_shadow) return false;
    if (c_.nmi_pending && !c_.s.nmi_blocked) {
        c_.nmi_pending = false;
        c_.s.nmi_blocked = 1;
        if (c_.on_interrupt) c_.on_interrupt(c_.hook_ctx, vec::NMI);
        deliver_event(c_, vec::NMI, kNoErrorCode, EventKind::External);
        return true;
    }
    if (c_.intr && (c_.s.eflags & fl::IF) && c_.intr_ack) {
        int v = c_.intr_ack(c_.intr_ctx);
        if (v < 0) return false;
        if (c_.on_interrupt) c_.on_interrupt(c_.hook_ctx, uint8_t(v));
        deliver_event(c_, uint8_t(v), kNoErrorCode, EventKind::External);
        return true;
    }
    return false;
}

// Runs the block once; true when every instruction ran and none asked to end the block.
[[gnu::always_inline]] inline bool Interpreter::run_block(const Block& b) {
    uint64_t budget = c_.icount_limit - c_.s.icount;
    size_t last = b.insns.size() < budget ? b.insns.size() : size_t(budget);
    return run_insns(b, 0, last, c_.ip_mask());
}

// Instructions [first, last) of `b`, with the IP wrap of the block's start: after an
// asynchronous reset lands mid-block, the rest runs with the old view, mask included.
[[gnu::always_inline]] inline bool Interpreter::run_insns(const Block& b, size_t first, size_t last,
                                                          uint32_t ip_mask) {
    const Insn* in = b.insns.data() + first;
    const Insn* end = b.insns.data() + last;
    for (; in != end; ++in) {
        uint32_t start = c_.insn_eip = c_.s.eip;
        c_.s.eip = (start + in->len) & ip_mask;
        in->fn(c_, *in);
        if (__builtin_expect(c_.fault.active, 0)) {
            c_.s.eip = start;
            deliver_fault();
            break;
        }
        ++c_.s.icount;
        // The rest of this block still runs after an asynchronous request lands: the stale view
        // of a translated block that seed 002 is about.
        if (__builtin_expect(c_.async_poll != nullptr, 0)) c_.async_poll(c_.hook_ctx);
        if (__builtin_expect(c_.end_block, 0)) break;
    }
    bool clean = in == b.insns.data() + b.insns.size() && !c_.end_block;
    c_.end_block = false;
    return clean;
}

// After a block that finished cleanly, the next one may run without the full round of checks in
// run() (SeaBIOS's boot averages under three instructions a block), as long as nothing those
// checks look at can have changed: whatever could (I/O, mode, CPL or paging changes, STI, POPF,
// HLT, SMC) ends the block instead of letting it finish cleanly.
[[gnu::always_inline]] inline bool Interpreter::may_chain() const {
    // INTR matters only with IF set, and IF cannot change inside a clean block: code that runs
    // with interrupts off while the PIT keeps INTR up still chains.
    return c_.s.icount < c_.icount_limit && !c_.exit_reasons &&
           !(c_.intr && (c_.s.eflags & fl::IF)) && !c_.nmi_pending && !c_.s.intr_shadow &&
           !(c_.s.eflags & fl::TF) && !c_.async_poll && jc_tlb_epoch_ == c_.tlb_epoch &&
           jc_block_epoch_ == cache_.epoch() &&
           !(c_.host_kick && c_.host_kick->load(std::memory_order_relaxed));
}

// The block to run next if `from` remembers it for the current EIP and it lies within CS.
[[gnu::always_inline]] inline Block* Interpreter::chained(Block& from) {
    uint32_t eip = c_.s.eip;
    uint32_t linear = c_.s.seg[CS].base + eip;
    Block* n = nullptr;
    for (const Block::Successor& s : from.next)
        if (s.block && s.epoch == jc_epoch_ && s.linear == linear) n = s.block;
    if (!n) return nullptr;
    uint64_t last = uint64_t(eip) + n->bytes - 1;
    if (last > c_.s.seg[CS].limit || (!c_.code32() && last > 0xffff)) return nullptr;
    return n;
}

void Interpreter::run() {
    Block* prev = nullptr; // finished cleanly, its successor not yet known
    while (!c_.exit_reasons && c_.s.icount < c_.icount_limit) {
        if (c_.host_kick && c_.host_kick->load(std::memory_order_relaxed)) break;
        uint64_t epoch = jc_epoch_;
        sync_caches();
        if (epoch != jc_epoch_) prev = nullptr; // it may have been freed
        if ((c_.intr || c_.nmi_pending) && take_interrupt()) continue;
        if (c_.s.halted) {
            c_.request_exit(cpu_exit::HALTED);
            break;
        }
        if (c_.s.intr_shadow || (c_.s.eflags & fl::TF)) {
            step();
            continue;
        }
        CodeMode mode = code_mode(c_);
        uint32_t eip = c_.s.eip;
        Block* b = block_at(c_.s.seg[CS].base + eip, mode);
        if (c_.fault.active) {
            deliver_fault();
            continue;
        }
        uint64_t last = uint64_t(eip) + (b ? b->bytes : 1) - 1;
        if (!b || last > c_.s.seg[CS].limit || (!c_.code32() && last > 0xffff)) {
            step();
            continue;
        }
        if (prev) {
            prev->next[1] = prev->next[0]; // the older one makes room
            prev->next[0] = {b, c_.s.seg[CS].base + eip, jc_epoch_};
        }
        prev = nullptr;
        while (run_either(b) && may_chain()) {
            Block* n = chained(*b);
            if (!n) {
                prev = b; // the next lookup's result becomes its successor
                break;
            }
            b = n;
        }
    }
    c_.end_block = false;
}

// Member `i` of the code `b` ran. Code compiled without a region (the tier became ready between
// run_either's check and its request, so no region formed) covers `b` alone.
static Block* member(Block& b, unsigned i) { return b.region.empty() ? &b : b.region[i]; }

// Compiled code does per instruction exactly what run_block does, but has no budget check: it
// runs only when the whole block fits, else the interpreter stops at the exact icount. It also
// assumes end_block clear, no asynchronous request in flight (jit/cpu_promotion.h) and nothing
// to deliver (what may_chain checks: the callers check the rest): the rare block entered
// otherwise is interpreted. Code for a region may go on into other blocks of it:
// `b` becomes the last one run.
[[gnu::always_inline]] inline bool Interpreter::run_either(Block*& bp) {
    Block& b = *bp;
    if (tier_) {
        if (!b.jit && ++b.runs >= tier_threshold_) {
            if (tier_->ready()) form_region(b);
            tier_->on_block(b);
            share_region_code(b);
        }
        if (b.jit) {
            CompiledFn fn = b.jit->fn.load(std::memory_order_acquire);
            if (!fn)
                b.jit->waits.store(b.jit->waits.load(std::memory_order_relaxed) + 1,
                                   std::memory_order_relaxed);
            if (fn && c_.icount_limit - c_.s.icount >= b.insns.size() && !c_.end_block &&
                !c_.async_poll && !c_.nmi_pending && !(c_.intr && (c_.s.eflags & fl::IF))) {
                uint32_t r = fn(c_, b.entry);
                if (r & 1) {
                    bp = member(b, r >> 1);
                    return true;
                }
                if (r == 0) return false;
                if (r == kCompiledRefused) {
                    // Tiered again later, for the segments as they are then.
                    b.take_code();
                    b.runs = 0;
                    return run_block(b);
                }
                uint32_t v = r >> 1;
                bp = member(b, v & 15);
                return resume_block(*bp, (v >> 4) - 1);
            }
        }
    }
    return run_block(b);
}

// The region compiled code for `head` may cover: `head`, then the blocks seen to run after the
// region's blocks (Block::next), on the same page and in the same mode, as long as their place
// relative to `head` is the same in linear and host memory (so that an EIP tells which one runs).
// Only in 32-bit protected mode, where EIP does not wrap at 64 KiB.
void Interpreter::form_region(Block& head) {
    head.region.assign(1, &head);
    head.entry = 0;
    head.flat_segs = head.mode == CodeMode::Prot32 ? flat_segments(c_) : 0;
    head.region_eip = c_.s.eip;
    uintptr_t page = uintptr_t(head.start) & ~uintptr_t(kPageSize - 1);
    uint32_t linear = c_.s.seg[CS].base + c_.s.eip;
    if (head.mode == CodeMode::Prot32) {
        for (size_t i = 0; i < head.region.size(); ++i) {
            for (const Block::Successor& s : head.region[i]->next) {
                Block* n = s.block;
                if (!n || s.epoch != jc_epoch_ || n->mode != head.mode ||
                    (uintptr_t(n->start) & ~uintptr_t(kPageSize - 1)) != page ||
                    int32_t(s.linear - linear) != n->start - head.start ||
                    head.region.size() == kMaxRegionBlocks ||
                    std::find(head.region.begin(), head.region.end(), n) != head.region.end())
                    continue;
                head.region.push_back(n);
            }
        }
    }
    head.region_lo = uint16_t(kPageSize);
    head.region_hi = 0;
    for (const Block* m : head.region) {
        head.region_lo = std::min<uint16_t>(head.region_lo, uint16_t(uintptr_t(m->start) - page));
        head.region_hi =
            std::max<uint16_t>(head.region_hi, uint16_t(uintptr_t(m->start) - page + m->bytes));
    }
}

// The other members of `head`'s region that have no code of their own run its code from their
// own start. Invalidation treats them as heads (BlockCache::invalidate_range): any write to the
// region's bytes drops the code from every block that shares it.
void Interpreter::share_region_code(Block& head) {
    if (!head.jit || head.region.size() < 2) return;
    for (size_t i = 1; i < head.region.size(); ++i) {
        Block& m = *head.region[i];
        if (m.jit) continue;
        m.jit = head.jit;
        m.region = head.region;
        m.region_lo = head.region_lo;
        m.region_hi = head.region_hi;
        m.entry = uint8_t(i);
        m.flat_segs = head.flat_segs;
    }
}

// The rest of a block whose compiled code stopped before instruction `next`: after `next` - 1
// because an asynchronous request is in flight (the window after that instruction), or at the
// start of `next` for a slow path (no request is in flight then); then run_block's loop.
// Everything run_block would have decided at the block's start is taken before the poll, which
// may reset the machine: the mask (nothing in a cleanly running block changes CS) and the end
// (compiled code runs only when the whole block fits the budget).
bool Interpreter::resume_block(const Block& b, size_t next) {
    uint32_t ip_mask = c_.ip_mask();
    if (c_.async_poll) c_.async_poll(c_.hook_ctx);
    if (c_.end_block || next == b.insns.size()) {
        bool clean = !c_.end_block;
        c_.end_block = false;
        return clean;
    }
    return run_insns(b, next, b.insns.size(), ip_mask);
}

Block* Interpreter::block_at(uint32_t linear, CodeMode mode) {
    JumpCacheEntry& e = jump_cache_[(linear ^ (linear >> 12)) % jump_cache_.size()];
    if (e.epoch == jc_epoch_ && e.linear == linear && e.mode == mode) return e.block;
    uint64_t phys;
    if (!translate(c_, linear, Access::Exec, c_.s.cpl == 3, phys)) return nullptr;
    PageTarget t = c_.mem->lookup(phys);
    if (!t.read) return nullptr; // executing from MMIO or unassigned space: uncached
    const uint8_t* start = t.read + (phys & 0xfff);
    Block* b = cache_.find(start, mode);
    if (!b) b = build_block(phys, t.read, mode);
    if (b) e = {linear, mode, jc_epoch_, b};
    return b;
}

Block* Interpreter::build_block(uint64_t phys, const uint8_t* page, CodeMode mode) {
    auto b = std::make_unique<Block>();
    b->phys = phys;
    b->mode = mode;
    b->start = page + (phys & 0xfff);
    // Every RAM page with code is tracked, however it is mapped now: a later mapping may write it.
    b->host = c_.mem->is_ram(page) ? page : nullptr;
    uint32_t off = uint32_t(phys & 0xfff);
    while (b->insns.size() < kMaxBlockInsns) {
        Insn in;
        size_t avail = std::min<size_t>(15, kPageSize - off);
        DecodeStatus st = decoder_.decode(page + off, avail, mode, in);
        if (st == DecodeStatus::NeedMoreBytes) break; // crosses the page: step() runs it
        if (st == DecodeStatus::TooLong) {
            in.fn = raise_gp0;
            in.len = 15;
        }
        b->insns.push_back(in);
        off += in.len;
        if (st != DecodeStatus::Ok || (in.attr & insn_attr::ENDS_BLOCK) || off >= kPageSize) break;
    }
    if (b->insns.empty()) return nullptr;
    b->bytes = uint16_t(off - (phys & 0xfff));
    if (b->host && !c_.mem->is_code_page(b->host)) {
        c_.mem->mark_code_page(b->host);
        c_.flush_tlb(); // drop write fast paths to this page: writes must see it is code now
    }
    return cache_.insert(std::move(b));
}

void Interpreter::step() {
    // One instruction, uncached: fetch honours the CS limit and page faults byte by byte.
    bool trap = c_.s.eflags & fl::TF;
    bool if_before = c_.s.eflags & fl::IF;
    c_.s.intr_shadow = 0;
    uint8_t bytes[15];
    PendingFault fetch_fault{};
    uint32_t fault_cr2 = 0;
    size_t n = fetch_code(c_, c_.s.eip, bytes, sizeof bytes, fetch_fault, fault_cr2);
    Insn in;
    DecodeStatus st = decoder_.decode(bytes, n, code_mode(c_), in);
    if (st == DecodeStatus::NeedMoreBytes) {
        if (fetch_fault.active && fetch_fault.vector == vec::PF) c_.s.cr2 = fault_cr2;
        c_.fault = fetch_fault.active ? fetch_fault : PendingFault{true, vec::GP, 0};
        deliver_fault();
        return;
    }
    if (st == DecodeStatus::TooLong) {
        in.fn = raise_gp0;
        in.len = 15;
    }
    uint32_t start = c_.insn_eip = c_.s.eip;
    c_.s.eip = (start + in.len) & c_.ip_mask();
    in.fn(c_, in);
    c_.end_block = false;
    if (c_.fault.active) {
        c_.s.eip = start;
        deliver_fault();
        return;
    }
    ++c_.s.icount;
    // MOV SS and POP SS also hold the single-step trap until after the next instruction (SDM
    // vol. 3 §6.8.3); STI's shadow, the only one that comes with IF going from 0 to 1, does not.
    bool ss_shadow = c_.s.intr_shadow && (if_before || !(c_.s.eflags & fl::IF));
    if (trap && !ss_shadow) {
        c_.s.dr[6] |= 1u << 14; // DR6.BS: single-step trap (SDM vol. 3 §17.2.3)
        deliver_event(c_, vec::DB, kNoErrorCode, EventKind::Trap);
    }
}

} // namespace rr86
