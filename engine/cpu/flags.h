// The arithmetic flags: the only code that writes CF PF AF ZF SF OF (state.h, rule 3).
//
// Definitions follow the SDM vol. 1 appendix A ("EFLAGS cross-reference") and each instruction's
// page in vol. 2. Flags the SDM calls undefined are given the values real P6-class CPUs produce,
// as recorded by the conformance corpus, and documented at the function that sets them.
#pragma once

#include "engine/cpu/state.h"

#include <type_traits>

namespace rr86 {

template <class T> constexpr unsigned kBits = sizeof(T) * 8;
template <class T> constexpr T kMsb = T(T(1) << (kBits<T> - 1));

inline uint32_t parity_flag(uint32_t r) { return __builtin_parity(r & 0xff) ? 0 : fl::PF; }

// ZF, SF and PF of a result.
template <class T> inline uint32_t szp(T r) {
    return (r == 0 ? fl::ZF : 0) | ((r & kMsb<T>) ? fl::SF : 0) | parity_flag(r);
}

inline void set_arith_flags(CpuState& s, uint32_t mask, uint32_t values) {
    s.eflags = (s.eflags & ~mask) | (values & mask);
}

inline bool get_cf(const CpuState& s) { return s.eflags & fl::CF; }
inline bool get_flag(const CpuState& s, uint32_t f) { return s.eflags & f; }

// The whole EFLAGS register as PUSHF would see it.
inline uint32_t read_eflags(const CpuState& s) { return s.eflags | fl::FIXED1; }
// Writes EFLAGS; callers apply the privilege and mode masks (POPF, IRET) before calling.
inline void write_eflags(CpuState& s, uint32_t v) {
    s.eflags = (v | fl::FIXED1) & ~(uint32_t(1 << 3) | (1u << 5) | (1u << 15) | 0xffc00000u);
}

// ADD/ADC: r = a + b + carry_in.
template <class T> inline void flags_add(CpuState& s, T a, T b, T r, bool carry_in = false) {
    bool cf = carry_in ? r <= a : r < a;
    bool of = ((a ^ r) & (b ^ r)) & kMsb<T>;
    uint32_t af = (a ^ b ^ r) & 0x10;
    set_arith_flags(s, fl::ARITH, (cf ? fl::CF : 0) | (of ? fl::OF : 0) | af | szp(r));
}

// SUB/SBB/CMP/NEG: r = a - b - borrow_in.
template <class T> inline void flags_sub(CpuState& s, T a, T b, T r, bool borrow_in = false) {
    bool cf = borrow_in ? a <= b : a < b;
    bool of = ((a ^ b) & (a ^ r)) & kMsb<T>;
    uint32_t af = (a ^ b ^ r) & 0x10;
    set_arith_flags(s, fl::ARITH, (cf ? fl::CF : 0) | (of ? fl::OF : 0) | af | szp(r));
}

// AND/OR/XOR/TEST: CF=OF=0, AF cleared (undefined in the SDM; P6 and the 286 clear it).
template <class T> inline void flags_logic(CpuState& s, T r) {
    set_arith_flags(s, fl::ARITH, szp(r));
}

// INC/DEC leave CF alone.
template <class T> inline void flags_inc(CpuState& s, T a, T r) {
    uint32_t of = r == kMsb<T> ? fl::OF : 0;
    set_arith_flags(s, fl::ARITH & ~fl::CF, of | ((a ^ r) & 0x10 ? fl::AF : 0) | szp(r));
}
template <class T> inline void flags_dec(CpuState& s, T a, T r) {
    uint32_t of = a == kMsb<T> ? fl::OF : 0;
    set_arith_flags(s, fl::ARITH & ~fl::CF, of | ((a ^ r) & 0x10 ? fl::AF : 0) | szp(r));
}

// Condition codes in encoding order (SDM vol. 1 appendix B): O NO B AE E NE BE A S NS P NP L GE LE G.
inline bool condition(const CpuState& s, unsigned cc) {
    uint32_t f = s.eflags;
    bool r;
    switch (cc >> 1) {
    case 0: r = f & fl::OF; break;
    case 1: r = f & fl::CF; break;
    case 2: r = f & fl::ZF; break;
    case 3: r = f & (fl::CF | fl::ZF); break;
    case 4: r = f & fl::SF; break;
    case 5: r = f & fl::PF; break;
    case 6: r = bool(f & fl::SF) != bool(f & fl::OF); break;
    default: r = (f & fl::ZF) || bool(f & fl::SF) != bool(f & fl::OF); break;
    }
    return r != bool(cc & 1);
}

} // namespace rr86
