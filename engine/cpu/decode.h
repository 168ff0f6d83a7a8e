// Instruction decoding: Zydis turns bytes into a decoded instruction; bind() resolves its
// operands into an Insn and picks the semantic function (semantics.cpp).
#pragma once

#include "engine/cpu/insn.h"

#include <Zydis/Zydis.h>

#include <cstddef>

namespace rr86 {

// How the code segment decodes: operand/address size defaults and which instructions exist.
enum class CodeMode : uint8_t { Real16, Prot16, Prot32, V86 };

enum class DecodeStatus : uint8_t {
    Ok,
    NeedMoreBytes, // the instruction runs past the bytes that could be fetched
    Invalid,       // #UD
    TooLong,       // over 15 bytes: #GP(0) (SDM vol. 2 §2.3.11)
};

// Operand kinds as the binders see them.
enum class OpKind : uint8_t { None, Reg, Mem, Imm, SReg, CReg, DReg, Far, Other };

// What a family binder looks at: the Zydis decode plus a summary of the visible operands.
struct BindCtx {
    const ZydisDecodedInstruction& zi;
    const ZydisDecodedOperand* ops; // visible operands first
    unsigned nops;                  // visible operand count
    CodeMode mode;
    Insn& insn; // operands already resolved; a binder may adjust fields

    ZydisMnemonic mnemonic() const { return zi.mnemonic; }
    unsigned opsize() const { return zi.operand_width; }   // 8, 16 or 32
    unsigned addrsize() const { return zi.address_width; } // 16 or 32
    OpKind kind(unsigned n) const;
    unsigned bits(unsigned n) const { return n < nops ? ops[n].size : 0; }
    ZydisRegister reg(unsigned n) const {
        return n < nops ? ops[n].reg.value : ZYDIS_REGISTER_NONE;
    }
};

// Implemented in semantics.cpp: the handler for this instruction, or nullptr (-> #UD).
Handler bind_semantics(const BindCtx& b);

class Decoder {
  public:
    Decoder();
    DecodeStatus decode(const uint8_t* bytes, size_t avail, CodeMode mode, Insn& out) const;

  private:
    ZydisDecoder real16_, prot16_, prot32_;
};

// Handler that raises #UD: used for byte sequences that decode but have no semantics.
void raise_invalid_opcode(Cpu& c, const Insn& i);

} // namespace rr86
