// Model-specific registers reached by RDMSR/WRMSR (SDM vol. 4, "Model-Specific Registers", the
// architectural MSRs of table 2-2 that a P6-family part has). Storage lives in CpuState.
//
// Out of line so that the interpreter and the JIT's bitcode call the same host code. Both
// functions follow the intrinsics rule: false with #GP(0) recorded in c.fault for an MSR that
// does not exist, a read-only MSR, or a value with reserved bits set.
#pragma once

#include "engine/cpu/cpu.h"

namespace rr86 {

namespace msr {
constexpr uint32_t TSC = 0x10, APIC_BASE = 0x1b, FEATURE_CONTROL = 0x3a, BIOS_SIGN_ID = 0x8b;
constexpr uint32_t MTRRCAP = 0xfe, SYSENTER_CS = 0x174, SYSENTER_ESP = 0x175;
constexpr uint32_t SYSENTER_EIP = 0x176, MISC_ENABLE = 0x1a0, MTRR_PHYS_BASE0 = 0x200;
constexpr uint32_t MTRR_PHYS_MASK7 = 0x20f, MTRR_FIX64K_00000 = 0x250;
constexpr uint32_t MTRR_FIX16K_80000 = 0x258, MTRR_FIX16K_A0000 = 0x259;
constexpr uint32_t MTRR_FIX4K_C0000 = 0x268, MTRR_FIX4K_F8000 = 0x26f, PAT = 0x277;
constexpr uint32_t MTRR_DEF_TYPE = 0x2ff;
} // namespace msr

// IA32_MTRRCAP: 8 variable ranges, fixed ranges, write-combining; no SMRR (SDM vol. 3 §11.11.1).
constexpr uint64_t kMtrrCap = 8 | (1u << 8) | (1u << 10);

// The time-stamp counter: virtual time (DESIGN.md, determinism contract 2), never host time.
inline uint64_t read_tsc(const Cpu& c) { return c.s.icount + c.s.tsc_offset; }

bool read_msr(Cpu& c, uint32_t index, uint64_t& value);
bool write_msr(Cpu& c, uint32_t index, uint64_t value);

} // namespace rr86
