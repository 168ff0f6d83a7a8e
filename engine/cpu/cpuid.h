// CPUID: the processor rr86 claims to be (SDM vol. 2, CPUID; vol. 3 §2.5 for CR4).
//
// A P6-family part (family/model/stepping from CpuModel::signature) whose feature flags are
// exactly what the engine emulates, so that firmware and kernels that trust CPUID never reach an
// instruction or mode we do not have. The x87 is the one judgement call, see kFeaturesEdx.
#pragma once

#include "engine/cpu/cpu.h"

namespace rr86 {

// CPUID.01H:EDX feature flags (SDM vol. 2, CPUID, table 3-11).
namespace cpuid_edx {
constexpr uint32_t FPU = 1u << 0, VME = 1u << 1, DE = 1u << 2, PSE = 1u << 3, TSC = 1u << 4;
constexpr uint32_t MSR = 1u << 5, PAE = 1u << 6, MCE = 1u << 7, CX8 = 1u << 8, APIC = 1u << 9;
constexpr uint32_t SEP = 1u << 11, MTRR = 1u << 12, PGE = 1u << 13, MCA = 1u << 14;
constexpr uint32_t CMOV = 1u << 15, PAT = 1u << 16, PSE36 = 1u << 17, CLFSH = 1u << 19;
constexpr uint32_t MMX = 1u << 23, FXSR = 1u << 24, SSE = 1u << 25, SSE2 = 1u << 26;
} // namespace cpuid_edx

// The reported features:
//  - FPU: FNINIT, FNSTSW, FNSTCW, FLDCW, FNCLEX and FWAIT behave as with a present x87 (the
//    probes firmware runs find one), so CPUID agrees with them. Other x87 instructions raise #UD
//    (or #NM under CR0.EM/TS) until x87 arithmetic is emulated.
//  - DE: CR4.DE and the DR4/DR5 #UD rule (debug registers are storage; breakpoints are not
//    matched yet, on any CPU model).
//  - PSE: 4 MiB pages (paging.cpp). PGE: CR4.PGE is accepted; global entries are flushed with the
//    rest on a CR3 write, which the architecture allows (TLB entries may go at any time).
//  - TSC (from virtual time), MSR, MTRR and PAT (plain storage: caching is not modelled), CX8
//    and CMOV (integer families).
//  - Not reported: VME and PAE (not emulated), MCE/MCA (no machine-check MSRs), APIC (no local
//    APIC), SEP (no SYSENTER/SYSEXIT), PSE-36, CLFLUSH, MMX, FXSR and SSE (those opcodes #UD).
constexpr uint32_t kFeaturesEdx = cpuid_edx::FPU | cpuid_edx::DE | cpuid_edx::PSE | cpuid_edx::TSC |
                                  cpuid_edx::MSR | cpuid_edx::CX8 | cpuid_edx::MTRR |
                                  cpuid_edx::PGE | cpuid_edx::CMOV | cpuid_edx::PAT;

// CR4 bits that exist on this CPU: writing any other bit is #GP(0) (SDM vol. 2, MOV CR). PCE is
// architectural on P6 (RDPMC itself always raises #GP(0): no counters are emulated).
constexpr uint32_t kCr4Pce = 1u << 8;
constexpr uint32_t kCr4Valid = cr4::TSD | cr4::DE | cr4::PSE | cr4::PGE | kCr4Pce;

constexpr uint32_t kCpuidMaxBasic = 2;
constexpr uint32_t kCpuidMaxExtended = 0x80000000u; // leaf 0x80000000 only: no extended leaves

struct CpuidResult {
    uint32_t eax, ebx, ecx, edx;
};

// The four registers CPUID returns for `leaf` (EAX) and `subleaf` (ECX).
CpuidResult cpuid(const Cpu& c, uint32_t leaf, uint32_t subleaf);

} // namespace rr86
