#include "engine/cpu/msr.h"

#include "engine/cpu/intrinsics.h"

namespace rr86 {

namespace {

// Physical address bits 35:12 of MTRR and APIC base fields: P6-family MTRRs are 36 bits wide
// (SDM vol. 3 §11.11.2.3), and SeaBIOS writes masks of that width when CPUID has no leaf
// 0x80000008.
constexpr uint64_t kPhysPage36 = 0x0000000ffffff000ull;

// IA32_APIC_BASE: BSP (bit 8, read-only), global enable (bit 11), base (SDM vol. 3 §10.4.4).
constexpr uint64_t kApicBsp = 1u << 8, kApicEnable = 1u << 11;

// IA32_MISC_ENABLE: fast strings (bit 0) and limit CPUID maxval (bit 22) are writable; branch
// trace storage and PEBS unavailable (bits 11, 12) read as 1. Our CPUID maximum is 2 already,
// which is what bit 22 asks for.
constexpr uint64_t kMiscWritable = (1u << 0) | (1u << 22);
constexpr uint64_t kMiscReadOnly = (1u << 11) | (1u << 12);

// IA32_FEATURE_CONTROL reads as locked with VMX off: a write to a locked register is #GP(0)
// (SDM vol. 3 §23.7). SeaBIOS writes it only when fw_cfg asks (VMX guests); Linux reads it
// with rdmsr_safe.
constexpr uint64_t kFeatureControlLocked = 1;

// Memory types valid in MTRRs: UC, WC, WT, WP, WB (SDM vol. 3 table 11-8). PAT also takes UC-.
bool mtrr_type(uint64_t t) { return t == 0 || t == 1 || t == 4 || t == 5 || t == 6; }
bool pat_type(uint64_t t) { return mtrr_type(t) || t == 7; }

bool every_byte(uint64_t v, bool (*valid)(uint64_t)) {
    for (unsigned i = 0; i < 8; ++i)
        if (!valid((v >> (8 * i)) & 0xff)) return false;
    return true;
}

// Index into CpuState::mtrr_fixed of a fixed-range MTRR, or -1.
int fixed_mtrr(uint32_t index) {
    if (index == msr::MTRR_FIX64K_00000) return 0;
    if (index == msr::MTRR_FIX16K_80000) return 1;
    if (index == msr::MTRR_FIX16K_A0000) return 2;
    if (index >= msr::MTRR_FIX4K_C0000 && index <= msr::MTRR_FIX4K_F8000)
        return 3 + int(index - msr::MTRR_FIX4K_C0000);
    return -1;
}

bool write_variable_mtrr(Cpu& c, uint32_t index, uint64_t v) {
    bool is_mask = index & 1;
    // PHYSBASE: type in bits 7:0; PHYSMASK: valid flag in bit 11 (SDM vol. 3 figure 11-7).
    uint64_t allowed = kPhysPage36 | (is_mask ? (1u << 11) : 0xffu);
    if ((v & ~allowed) || (!is_mask && !mtrr_type(v & 0xff))) return raise_gp(c, 0);
    c.s.mtrr_var[index - msr::MTRR_PHYS_BASE0] = v;
    return true;
}

bool write_apic_base(Cpu& c, uint64_t v) {
    if (v & ~(kPhysPage36 | kApicEnable | kApicBsp)) return raise_gp(c, 0);
    c.s.apic_base = (v & (kPhysPage36 | kApicEnable)) | (c.s.apic_base & kApicBsp);
    return true;
}

} // namespace

bool read_msr(Cpu& c, uint32_t index, uint64_t& v) {
    const CpuState& s = c.s;
    if (index >= msr::MTRR_PHYS_BASE0 && index <= msr::MTRR_PHYS_MASK7) {
        v = s.mtrr_var[index - msr::MTRR_PHYS_BASE0];
        return true;
    }
    if (int f = fixed_mtrr(index); f >= 0) {
        v = s.mtrr_fixed[f];
        return true;
    }
    switch (index) {
    case msr::TSC: v = read_tsc(c); return true;
    case msr::APIC_BASE: v = s.apic_base; return true;
    case msr::FEATURE_CONTROL: v = kFeatureControlLocked; return true;
    case msr::BIOS_SIGN_ID: v = 0; return true; // no microcode update loaded
    case msr::MTRRCAP: v = kMtrrCap; return true;
    case msr::SYSENTER_CS: v = s.sysenter_cs; return true;
    case msr::SYSENTER_ESP: v = s.sysenter_esp; return true;
    case msr::SYSENTER_EIP: v = s.sysenter_eip; return true;
    case msr::MISC_ENABLE: v = s.misc_enable | kMiscReadOnly; return true;
    case msr::PAT: v = s.pat; return true;
    case msr::MTRR_DEF_TYPE: v = s.mtrr_cap_def; return true;
    default: return raise_gp(c, 0);
    }
}

bool write_msr(Cpu& c, uint32_t index, uint64_t v) {
    CpuState& s = c.s;
    if (index >= msr::MTRR_PHYS_BASE0 && index <= msr::MTRR_PHYS_MASK7)
        return write_variable_mtrr(c, index, v);
    if (int f = fixed_mtrr(index); f >= 0) {
        if (!every_byte(v, mtrr_type)) return raise_gp(c, 0);
        s.mtrr_fixed[f] = v;
        return true;
    }
    switch (index) {
    case msr::TSC: s.tsc_offset = v - s.icount; return true; // all 64 bits, as Core-era parts
    case msr::APIC_BASE: return write_apic_base(c, v);
    case msr::BIOS_SIGN_ID:
        return true; // software writes 0 before CPUID to read the revision
    // The SYSENTER MSRs are 32 bits wide on a CPU without long mode.
    case msr::SYSENTER_CS: s.sysenter_cs = uint32_t(v); return true;
    case msr::SYSENTER_ESP: s.sysenter_esp = uint32_t(v); return true;
    case msr::SYSENTER_EIP: s.sysenter_eip = uint32_t(v); return true;
    case msr::MISC_ENABLE:
        if (v & ~(kMiscWritable | kMiscReadOnly)) return raise_gp(c, 0);
        s.misc_enable = v & kMiscWritable;
        return true;
    case msr::PAT:
        if (!every_byte(v, pat_type)) return raise_gp(c, 0);
        s.pat = v;
        return true;
    case msr::MTRR_DEF_TYPE:
        // Type in bits 7:0, FE (bit 10), E (bit 11); the rest is reserved (SDM vol. 3 §11.11.2.1).
        if ((v & ~uint64_t(0xcff)) || !mtrr_type(v & 0xff)) return raise_gp(c, 0);
        s.mtrr_cap_def = v;
        return true;
    default: return raise_gp(c, 0); // unknown MSRs, and the read-only MTRRCAP/FEATURE_CONTROL
    }
}

} // namespace rr86
