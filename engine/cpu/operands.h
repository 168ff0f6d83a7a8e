// Operand types for semantic functions (remill style): tiny structs with static read/write that
// know where their value lives. A semantic is written once as a template over these, and the
// binder (decode time) picks the instantiation, so no operand-kind branch runs at execution.
//
//   Reg<T, N>  the N-th register operand of the instruction (Insn::r[N]), width T
//   Mem<T>     the memory operand: Insn::seg : effective address
//   Imm<T>     the immediate, truncated to T (already sign-extended by the decoder)
#pragma once

#include "engine/cpu/insn.h"
#include "engine/cpu/intrinsics.h"

#include <cstring>
#include <type_traits>

namespace rr86 {

// Effective address of the memory operand (SDM vol. 2 §2.1.5); 16-bit addressing wraps at 64 KiB.
inline uint32_t effective_address(const Cpu& c, const Insn& i) {
    uint32_t a = uint32_t(i.disp);
    if (i.base != kNoReg) a += c.s.gpr[i.base];
    if (i.index != kNoReg) a += c.s.gpr[i.index] << i.scale;
    return (i.attr & insn_attr::ADDR32) ? a : (a & 0xffff);
}

template <class T, unsigned N> struct Reg {
    using type = T;
    static constexpr bool is_mem = false;
    static bool read(Cpu& c, const Insn& i, T& v) {
        std::memcpy(&v, reinterpret_cast<const char*>(c.s.gpr) + i.r[N], sizeof(T));
        return true;
    }
    static bool write(Cpu& c, const Insn& i, T v) {
        std::memcpy(reinterpret_cast<char*>(c.s.gpr) + i.r[N], &v, sizeof(T));
        return true;
    }
};

template <class T> struct Mem {
    using type = T;
    static constexpr bool is_mem = true;
    static bool read(Cpu& c, const Insn& i, T& v) {
        return read_mem(c, i.seg, effective_address(c, i), v);
    }
    static bool write(Cpu& c, const Insn& i, T v) {
        return write_mem(c, i.seg, effective_address(c, i), v);
    }
};

template <class T> struct Imm {
    using type = T;
    static constexpr bool is_mem = false;
    static bool read(Cpu&, const Insn& i, T& v) {
        v = T(i.imm);
        return true;
    }
};

// Direct register access by architectural number, for implicit operands (AL/AX/EAX, CX, ...).
template <class T> inline T get_reg(const CpuState& s, unsigned n) { return T(s.gpr[n]); }
template <class T> inline void set_reg(CpuState& s, unsigned n, T v) {
    if constexpr (sizeof(T) == 4)
        s.gpr[n] = v;
    else
        std::memcpy(&s.gpr[n], &v, sizeof(T));
}

// The stack as an instruction sees it: a local copy of (E)SP that pushes and pops move, committed
// only when every access succeeded, so a fault midway leaves ESP untouched (SDM vol. 3 §6.12).
struct Stack {
    Cpu& c;
    uint32_t sp;
    bool wide; // SS.B: 32-bit stack pointer

    explicit Stack(Cpu& cpu) : c(cpu), sp(cpu.s.gpr[ESP]), wide(cpu.stack32()) {}

    uint32_t offset() const { return wide ? sp : (sp & 0xffff); }
    void move(int32_t delta) {
        sp = wide ? sp + uint32_t(delta) : ((sp & 0xffff0000u) | ((sp + uint32_t(delta)) & 0xffff));
    }
    template <class T> bool push(T v) {
        move(-int32_t(sizeof(T)));
        return write_mem<T>(c, SS, offset(), v);
    }
    template <class T> bool pop(T& v) {
        if (!read_mem<T>(c, SS, offset(), v)) return false;
        move(int32_t(sizeof(T)));
        return true;
    }
    void commit() { c.s.gpr[ESP] = sp; }
};

// Near branch target: the operand size truncates EIP (SDM vol. 2, JMP: "upper two bytes of EIP
// are cleared" for a 16-bit operand size).
inline uint32_t branch_target(const Insn& i, uint32_t target) {
    return (i.attr & insn_attr::OP32) ? target : (target & 0xffff);
}

} // namespace rr86
