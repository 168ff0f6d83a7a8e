#include "engine/cpu/cpuid.h"

namespace rr86 {

namespace {

// "GenuineIntel" in EBX, EDX, ECX order.
constexpr uint32_t kVendorEbx = 0x756e6547, kVendorEdx = 0x49656e69, kVendorEcx = 0x6c65746e;

// Leaf 2 cache and TLB descriptors of a Pentium II (SDM vol. 2, CPUID, table 3-12): AL = 1
// (one CPUID 2 call); 01h ITLB 4K, 02h ITLB 4M, 03h DTLB 4K, 04h DTLB 4M, 08h L1I 16K,
// 0Ch L1D 16K, 43h L2 512K. Bit 31 of each register is 0: all descriptors valid.
constexpr CpuidResult kLeaf2 = {0x03020101, 0, 0, 0x0c040843};

} // namespace

CpuidResult cpuid(const Cpu& c, uint32_t leaf, uint32_t /*subleaf*/) {
    switch (leaf) {
    case 0: return {kCpuidMaxBasic, kVendorEbx, kVendorEcx, kVendorEdx};
    // EBX: brand index 0, no CLFLUSH line size (CLFSH = 0), initial APIC id 0. ECX: no features.
    case 1: return {c.model.signature, 0, 0, kFeaturesEdx};
    case 2: return kLeaf2;
    // Linux and SeaBIOS read EAX of 0x80000000 as the highest extended leaf; 0x80000000 itself
    // means none beyond it (SeaBIOS then assumes 36 physical address bits for its MTRR masks).
    case kCpuidMaxExtended: return {kCpuidMaxExtended, 0, 0, 0};
    default:
        // Leaves above the basic or extended maximum return the highest basic leaf, as Intel
        // parts do (SDM vol. 2, CPUID, "If a value entered for CPUID.EAX is higher than...").
        return kLeaf2;
    }
}

} // namespace rr86
