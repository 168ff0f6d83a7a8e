// Out-of-line linear memory accesses: TLB refill, page-crossing accesses, MMIO, SMC detection.
#include "engine/cpu/intrinsics.h"
#include "engine/memory/phys_map.h"

namespace rr86 {

namespace {

void sync_map_generation(Cpu& c) {
    if (c.map_generation != c.mem->generation()) {
        c.flush_tlb();
        c.map_generation = c.mem->generation();
    }
}

// Resolves one access that stays inside a page, refilling the TLB when the page is plain memory.
bool resolve(Cpu& c, uint32_t linear, Access access, bool user, uint64_t& phys, PageTarget& t) {
    if (!translate(c, linear, access, user, phys)) return false;
    sync_map_generation(c);
    t = c.mem->lookup(phys);
    TlbEntry& e = c.tlb[(linear >> 12) % kTlbSize];
    uint32_t page = linear & kPageMaskLin;
    // A TLB entry is only valid for the privilege it was filled at; Cpu flushes on CPL change.
    // Supervisor accesses made at CPL 3 (GDT/IDT/TSS reads, the inner stack of a privilege
    // change) must not fill it, or CPL-3 code would then pass the user/supervisor check.
    if (!user && c.s.cpl == 3) return true;
    if (access == Access::Write) {
        c.mem->note_write(t.write); // before the TLB lets writes bypass the physical map
        if (t.write && !c.mem->is_code_page(t.write)) {
            e.write_tag = page;
            e.write_add = uintptr_t(t.write) - page;
        }
    } else if (t.read) {
        e.read_tag = page;
        e.read_add = uintptr_t(t.read) - page;
    }
    return true;
}

bool read_in_page(Cpu& c, uint32_t linear, unsigned size, uint32_t& value, bool user,
                  Access access) {
    uint64_t phys;
    PageTarget t;
    if (!resolve(c, linear, access, user, phys, t)) return false;
    if (t.read) {
        value = 0;
        std::memcpy(&value, t.read + (phys & 0xfff), size);
    } else {
        value = c.mem->read(phys, size);
        c.end_block = true; // MMIO ends a block, like port I/O
    }
    return true;
}

} // namespace

bool read_linear_slow(Cpu& c, uint32_t linear, unsigned size, uint32_t& value, bool user) {
    unsigned first = kPageSize - (linear & 0xfff);
    if (first >= size) return read_in_page(c, linear, size, value, user, Access::Read);
    uint32_t lo, hi;
    if (!read_in_page(c, linear, first, lo, user, Access::Read) ||
        !read_in_page(c, linear + first, size - first, hi, user, Access::Read))
        return false;
    value = lo | (hi << (8 * first));
    return true;
}

bool read_linear64_slow(Cpu& c, uint32_t linear, uint64_t& value, bool user) {
    uint32_t lo, hi;
    if (!read_linear_slow(c, linear, 4, lo, user) || !read_linear_slow(c, linear + 4, 4, hi, user))
        return false;
    value = lo | (uint64_t(hi) << 32);
    return true;
}

bool write_linear_slow(Cpu& c, uint32_t linear, unsigned size, uint32_t value, bool user) {
    // Both pages of a split access are translated before either is written (SDM vol. 3 §4.7:
    // a faulting write leaves memory unchanged).
    unsigned first = std::min<unsigned>(size, kPageSize - (linear & 0xfff));
    uint64_t phys[2];
    PageTarget t[2];
    if (!resolve(c, linear, Access::Write, user, phys[0], t[0])) return false;
    if (first < size && !resolve(c, linear + first, Access::Write, user, phys[1], t[1]))
        return false;
    c.mem->write(phys[0], first, value);
    if (first < size) c.mem->write(phys[1], size - first, value >> (8 * first));
    if (!t[0].write || (first < size && !t[1].write)) c.end_block = true; // MMIO or ROM
    return true;
}

bool read_system(Cpu& c, uint32_t linear, unsigned size, uint32_t& value) {
    return read_linear_slow(c, linear, size, value, false);
}

bool write_system(Cpu& c, uint32_t linear, unsigned size, uint32_t value) {
    return write_linear_slow(c, linear, size, value, false);
}

} // namespace rr86
