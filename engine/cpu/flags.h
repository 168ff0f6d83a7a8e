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

// Condition codes in encoding order (SDM vol. 1 appendix B):
// O NO B AE E NE BE A S NS P NP L GE LE G.
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

// ---- shifts and rotates (SDM vol. 2 SAL/SAR/SHL/SHR, RCL/RCR/ROL/ROR, SHLD, SHRD) ------------
// Called only for a non-zero masked count: a zero count changes no flags. `cf` is the last bit
// shifted out. OF is defined by the SDM for a count of 1 only; for other counts these functions
// apply the count-1 formula to the final step, which is what the 286 corpus shows for every count
// (files C0-D3, register and memory forms). AF is undefined: the 286 sets it to bit 4 of the
// result for SHL/SAL and to 1 for SHR and SAR (the same corpus); rotates leave AF, SF, ZF, PF.

// SHL/SAL and SHLD: OF = MSB(result) XOR CF.
template <class T> inline void flags_shl(CpuState& s, T r, bool cf) {
    bool of = bool(r & kMsb<T>) != cf;
    set_arith_flags(s, fl::ARITH,
                    (cf ? fl::CF : 0) | (of ? fl::OF : 0) | ((r & 0x10) ? fl::AF : 0) | szp(r));
}

// SHR and SHRD: OF = the two top bits of the result differ (for a count of 1 that is the MSB of
// the original operand, as the SDM defines; after SHR by more than 1 it is 0).
template <class T> inline void flags_shr(CpuState& s, T r, bool cf) {
    bool of = bool(r & kMsb<T>) != bool(r & (kMsb<T> >> 1));
    set_arith_flags(s, fl::ARITH, (cf ? fl::CF : 0) | (of ? fl::OF : 0) | fl::AF | szp(r));
}

// SAR: OF = 0 (no sign change is possible).
template <class T> inline void flags_sar(CpuState& s, T r, bool cf) {
    set_arith_flags(s, fl::ARITH, (cf ? fl::CF : 0) | fl::AF | szp(r));
}

// ROL, RCL: OF = MSB(result) XOR CF. ROR, RCR: OF = XOR of the two top bits of the result.
template <class T> inline void flags_rotate_left(CpuState& s, T r, bool cf) {
    bool of = bool(r & kMsb<T>) != cf;
    set_arith_flags(s, fl::CF | fl::OF, (cf ? fl::CF : 0) | (of ? fl::OF : 0));
}
template <class T> inline void flags_rotate_right(CpuState& s, T r, bool cf) {
    bool of = bool(r & kMsb<T>) != bool(r & (kMsb<T> >> 1));
    set_arith_flags(s, fl::CF | fl::OF, (cf ? fl::CF : 0) | (of ? fl::OF : 0));
}

// ---- multiply (SDM vol. 2 MUL, IMUL) -------------------------------------------------------
// CF = OF = the product does not fit the destination (`overflow`). SF, ZF, AF and PF are
// undefined: the 286 corpus (F6/F7 /4 /5, 69, 6B) shows SF, ZF and PF of the high half of the
// full double-width product (`high`) and AF = 1, for MUL and every IMUL form.
template <class T> inline void flags_mul(CpuState& s, T high, bool overflow) {
    set_arith_flags(s, fl::ARITH, (overflow ? fl::CF | fl::OF : 0) | fl::AF | szp(high));
}

// ---- BCD and ASCII adjust (SDM vol. 2 DAA, DAS, AAA, AAS, AAM, AAD) ------------------------
// DAA/DAS: CF and AF as the SDM defines; SF ZF PF of AL. OF is undefined: the 286 sets it as the
// signed overflow of the adjustment seen as one ADD (DAA) or SUB (DAS) of (new AL - old AL).
inline void flags_daa(CpuState& s, uint8_t old_al, uint8_t al, bool cf, bool af) {
    uint8_t adj = uint8_t(al - old_al);
    bool of = ((old_al ^ al) & (adj ^ al)) & 0x80;
    set_arith_flags(s, fl::ARITH,
                    (cf ? fl::CF : 0) | (af ? fl::AF : 0) | (of ? fl::OF : 0) | szp(al));
}
inline void flags_das(CpuState& s, uint8_t old_al, uint8_t al, bool cf, bool af) {
    uint8_t adj = uint8_t(old_al - al);
    bool of = ((old_al ^ adj) & (old_al ^ al)) & 0x80;
    set_arith_flags(s, fl::ARITH,
                    (cf ? fl::CF : 0) | (af ? fl::AF : 0) | (of ? fl::OF : 0) | szp(al));
}

// AAA/AAS: CF = AF = `adjust`. OF SF ZF PF are undefined: the 286 sets SF ZF PF from AL after
// the +6/-6 step and before the high nibble is cleared (`al`), and OF when that step changed the
// sign of AL from + to - (AAA) or from - to + (AAS).
inline void flags_aaa(CpuState& s, uint8_t old_al, uint8_t al, bool adjust, bool subtract) {
    bool of = subtract ? (old_al & ~al & 0x80) : (~old_al & al & 0x80);
    set_arith_flags(s, fl::ARITH, (adjust ? fl::CF | fl::AF : 0) | (of ? fl::OF : 0) | szp(al));
}

// AAM: SF ZF PF of AL; OF AF CF are undefined and the 286 clears them.
inline void flags_aam(CpuState& s, uint8_t al) { set_arith_flags(s, fl::ARITH, szp(al)); }

// AAD: SF ZF PF of AL. OF AF CF are undefined: the 286 sets CF and AF as for the 8-bit ADD
// AL + (AH * imm8), and OF equal to that CF.
inline void flags_aad(CpuState& s, uint8_t al, uint8_t addend, uint8_t r) {
    bool cf = r < al;
    uint32_t af = (al ^ addend ^ r) & 0x10 ? fl::AF : 0;
    set_arith_flags(s, fl::ARITH, (cf ? fl::CF | fl::OF : 0) | af | szp(r));
}

// ---- single flags ---------------------------------------------------------------------------
inline void set_cf(CpuState& s, bool v) { set_arith_flags(s, fl::CF, v ? fl::CF : 0); }
inline void set_zf(CpuState& s, bool v) { set_arith_flags(s, fl::ZF, v ? fl::ZF : 0); }

// BSF/BSR with a non-zero source: ZF = 0. CF OF SF AF PF are undefined; like Bochs we clear CF OF
// SF AF and set PF from the index found (SF of an index is 0 anyway).
template <class T> inline void flags_bitscan(CpuState& s, T index) {
    set_arith_flags(s, fl::ARITH, szp(index) & ~fl::ZF);
}

// SAHF: SF ZF AF PF CF from AH (SDM vol. 2 SAHF). LAHF reads them with read_eflags().
inline void load_flags_from_ah(CpuState& s, uint8_t ah) {
    set_arith_flags(s, fl::ARITH & ~fl::OF, ah);
}

} // namespace rr86
