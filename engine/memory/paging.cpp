// 32-bit paging with 4 KiB and 4 MiB (CR4.PSE) pages, SDM vol. 3 §4.3.
#include "engine/cpu/intrinsics.h"
#include "engine/memory/phys_map.h"

namespace rr86 {

namespace {

constexpr uint32_t P = 1, RW = 2, US = 4, A = 0x20, D = 0x40, PS = 0x80;

// Page-fault error code bits, SDM vol. 3 §4.7.
constexpr uint32_t kPfRsvd = 8;
uint32_t pf_error(bool present, Access access, bool user) {
    return (present ? 1u : 0u) | (access == Access::Write ? 2u : 0u) | (user ? 4u : 0u);
}

// A 4 MiB PDE's bits 21:13 are reserved without PSE-36 (CPUID does not report it; the physical
// address width is 32 bits): set, they fault with P and RSVD (SDM vol. 3 §4.3, table 4-4).
constexpr uint32_t kLargePageReserved = 0x003fe000;

bool page_fault(Cpu& c, uint32_t linear, uint32_t error) {
    c.s.cr2 = linear;
    return raise(c, vec::PF, error);
}

// Whether the combined permissions of the paging-structure entries allow the access (§4.6).
bool permitted(const Cpu& c, uint32_t flags, Access access, bool user) {
    if (user && !(flags & US)) return false;
    if (access == Access::Write && !(flags & RW) && (user || (c.s.cr0 & cr0::WP))) return false;
    return true;
}

void set_bits(Cpu& c, uint64_t addr, uint32_t entry, uint32_t bits) {
    if ((entry & bits) != bits) c.mem->write(addr, 4, entry | bits);
}

} // namespace

bool translate(Cpu& c, uint32_t linear, Access access, bool user, uint64_t& phys) {
    if (!c.paging()) {
        phys = linear & c.a20_mask();
        return true;
    }
    uint32_t mask = c.a20_mask();
    uint64_t pde_addr = ((c.s.cr3 & 0xfffff000u) | ((linear >> 22) << 2)) & mask;
    uint32_t pde = c.mem->read(pde_addr, 4);
    if (!(pde & P)) return page_fault(c, linear, pf_error(false, access, user));

    if ((pde & PS) && (c.s.cr4 & cr4::PSE)) {
        if (pde & kLargePageReserved)
            return page_fault(c, linear, pf_error(true, access, user) | kPfRsvd);
        if (!permitted(c, pde, access, user))
            return page_fault(c, linear, pf_error(true, access, user));
        set_bits(c, pde_addr, pde, access == Access::Write ? A | D : A);
        phys = ((pde & 0xffc00000u) | (linear & 0x3fffffu)) & mask;
        return true;
    }

    uint64_t pte_addr = ((pde & 0xfffff000u) | (((linear >> 12) & 0x3ff) << 2)) & mask;
    uint32_t pte = c.mem->read(pte_addr, 4);
    if (!(pte & P)) return page_fault(c, linear, pf_error(false, access, user));
    if (!permitted(c, pde & pte, access, user))
        return page_fault(c, linear, pf_error(true, access, user));
    set_bits(c, pde_addr, pde, A);
    set_bits(c, pte_addr, pte, access == Access::Write ? A | D : A);
    phys = ((pte & 0xfffff000u) | (linear & 0xfffu)) & mask;
    return true;
}

} // namespace rr86
