// Insn: one decoded instruction, operands resolved once at decode time (decode.cpp).
//
// A semantic function receives the CPU and its Insn. Operands are read through the tiny operand
// types in operands.h, which look only at the fields below:
//  - register operands: r[0], r[1] are byte offsets into CpuState::gpr (8-bit high registers are
//    offset +1), or a segment/control/debug register number for those operand kinds;
//  - the (single) explicit memory operand: seg, base, index, scale, disp, and the address size;
//  - immediates: imm (sign-extended to 32 bits as x86 extends it), imm2 (far pointer selector,
//    ENTER's nesting level); relative branches keep the displacement in imm.
#pragma once

#include <cstdint>

namespace rr86 {

struct Cpu;
struct Insn;
using Handler = void (*)(Cpu&, const Insn&);

constexpr uint8_t kNoReg = 0xff;

namespace insn_attr {
constexpr uint8_t ADDR32 = 1u << 0; // 32-bit addressing (else 16-bit)
constexpr uint8_t OP32 = 1u << 1;   // 32-bit operand size (else 16-bit)
constexpr uint8_t REP = 1u << 2;    // F3 (REP/REPE)
constexpr uint8_t REPNE = 1u << 3;  // F2
constexpr uint8_t LOCK = 1u << 4;
constexpr uint8_t ENDS_BLOCK = 1u << 5; // control transfer or state change: the block ends here
} // namespace insn_attr

struct Insn {
    Handler fn;
    int32_t disp;
    uint32_t imm;
    uint16_t imm2;
    uint8_t len;
    uint8_t attr;
    uint8_t r[2];
    uint8_t seg;   // segment of the memory operand (overrides applied)
    uint8_t base;  // gpr index or kNoReg
    uint8_t index; // gpr index or kNoReg
    uint8_t scale; // shift count 0..3
    uint8_t pad[2];
};
static_assert(sizeof(Insn) == 32);

} // namespace rr86
