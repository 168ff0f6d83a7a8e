#include "engine/cpu/decode.h"

#include "engine/cpu/intrinsics.h"

namespace rr86 {

namespace {

// Byte offset of a general register inside CpuState::gpr (state.h rule 5).
uint8_t gpr_offset(ZydisRegister r) {
    if (r >= ZYDIS_REGISTER_AL && r <= ZYDIS_REGISTER_BL)
        return uint8_t((r - ZYDIS_REGISTER_AL) * 4);
    if (r >= ZYDIS_REGISTER_AH && r <= ZYDIS_REGISTER_BH)
        return uint8_t((r - ZYDIS_REGISTER_AH) * 4 + 1);
    if (r >= ZYDIS_REGISTER_AX && r <= ZYDIS_REGISTER_DI)
        return uint8_t((r - ZYDIS_REGISTER_AX) * 4);
    if (r >= ZYDIS_REGISTER_EAX && r <= ZYDIS_REGISTER_EDI)
        return uint8_t((r - ZYDIS_REGISTER_EAX) * 4);
    return kNoReg;
}

uint8_t gpr_index(ZydisRegister r) {
    if (r >= ZYDIS_REGISTER_AX && r <= ZYDIS_REGISTER_DI) return uint8_t(r - ZYDIS_REGISTER_AX);
    if (r >= ZYDIS_REGISTER_EAX && r <= ZYDIS_REGISTER_EDI) return uint8_t(r - ZYDIS_REGISTER_EAX);
    return kNoReg;
}

// Register operand -> the number stored in Insn::r[] for its kind.
uint8_t register_number(ZydisRegister r) {
    if (r >= ZYDIS_REGISTER_ES && r <= ZYDIS_REGISTER_GS) return uint8_t(r - ZYDIS_REGISTER_ES);
    if (r >= ZYDIS_REGISTER_CR0 && r <= ZYDIS_REGISTER_CR15) return uint8_t(r - ZYDIS_REGISTER_CR0);
    if (r >= ZYDIS_REGISTER_DR0 && r <= ZYDIS_REGISTER_DR15) return uint8_t(r - ZYDIS_REGISTER_DR0);
    return gpr_offset(r);
}

void resolve_memory(const ZydisDecodedOperand& op, Insn& in) {
    in.base = gpr_index(op.mem.base);
    in.index = gpr_index(op.mem.index);
    in.scale = op.mem.scale <= 1 ? 0 : uint8_t(__builtin_ctz(op.mem.scale));
    in.disp = int32_t(op.mem.disp.value);
    in.seg = op.mem.segment >= ZYDIS_REGISTER_ES && op.mem.segment <= ZYDIS_REGISTER_GS
                 ? uint8_t(op.mem.segment - ZYDIS_REGISTER_ES)
                 : uint8_t(DS);
}

// Fills the operand fields of `in` from the visible operands.
void resolve_operands(const ZydisDecodedInstruction& zi, const ZydisDecodedOperand* ops, Insn& in) {
    unsigned nreg = 0, nimm = 0;
    bool have_mem = false;
    for (unsigned n = 0; n < zi.operand_count_visible; ++n) {
        const ZydisDecodedOperand& op = ops[n];
        switch (op.type) {
        case ZYDIS_OPERAND_TYPE_REGISTER:
            if (nreg < 2) in.r[nreg++] = register_number(op.reg.value);
            break;
        case ZYDIS_OPERAND_TYPE_MEMORY:
            // String instructions have two memory operands; the DS:(E)SI one carries the
            // overridable segment, ES:(E)DI is fixed.
            if (!have_mem || op.mem.base == ZYDIS_REGISTER_SI || op.mem.base == ZYDIS_REGISTER_ESI)
                resolve_memory(op, in);
            // Zydis reads a last 3Eh prefix on an indirect CALL/JMP as CET's NOTRACK and drops
            // it as a segment override; CPUs without CET (and this one) treat it as DS:.
            if (zi.attributes & ZYDIS_ATTRIB_HAS_NOTRACK) in.seg = DS;
            have_mem = true;
            break;
        case ZYDIS_OPERAND_TYPE_IMMEDIATE:
            if (nimm++ == 0)
                in.imm = uint32_t(op.imm.value.s);
            else
                in.imm2 = uint16_t(op.imm.value.u);
            break;
        case ZYDIS_OPERAND_TYPE_POINTER:
            in.imm = op.ptr.offset;
            in.imm2 = op.ptr.segment;
            break;
        default: break;
        }
    }
}

bool ends_block(const ZydisDecodedInstruction& zi, const ZydisDecodedOperand* ops) {
    switch (zi.meta.category) {
    case ZYDIS_CATEGORY_COND_BR:
    case ZYDIS_CATEGORY_UNCOND_BR:
    case ZYDIS_CATEGORY_CALL:
    case ZYDIS_CATEGORY_RET:
    case ZYDIS_CATEGORY_INTERRUPT:
    case ZYDIS_CATEGORY_SYSCALL:
    case ZYDIS_CATEGORY_SYSRET:
    case ZYDIS_CATEGORY_SYSTEM: return true;
    default: break;
    }
    switch (zi.mnemonic) {
    case ZYDIS_MNEMONIC_POPF:
    case ZYDIS_MNEMONIC_POPFD:
    case ZYDIS_MNEMONIC_STI:
    case ZYDIS_MNEMONIC_LSS: return true;
    case ZYDIS_MNEMONIC_MOV:
    case ZYDIS_MNEMONIC_POP:
        // MOV SS / POP SS inhibit interrupts for one instruction (SDM vol. 3 §6.8.3).
        return zi.operand_count_visible > 0 && ops[0].type == ZYDIS_OPERAND_TYPE_REGISTER &&
               ops[0].reg.value == ZYDIS_REGISTER_SS;
    default: return false;
    }
}

} // namespace

OpKind BindCtx::kind(unsigned n) const {
    if (n >= nops) return OpKind::None;
    const ZydisDecodedOperand& op = ops[n];
    switch (op.type) {
    case ZYDIS_OPERAND_TYPE_REGISTER: {
        ZydisRegister r = op.reg.value;
        if (r >= ZYDIS_REGISTER_ES && r <= ZYDIS_REGISTER_GS) return OpKind::SReg;
        if (r >= ZYDIS_REGISTER_CR0 && r <= ZYDIS_REGISTER_CR15) return OpKind::CReg;
        if (r >= ZYDIS_REGISTER_DR0 && r <= ZYDIS_REGISTER_DR15) return OpKind::DReg;
        return gpr_offset(r) != kNoReg ? OpKind::Reg : OpKind::Other;
    }
    case ZYDIS_OPERAND_TYPE_MEMORY:
        return op.mem.type == ZYDIS_MEMOP_TYPE_MEM || op.mem.type == ZYDIS_MEMOP_TYPE_AGEN
                   ? OpKind::Mem
                   : OpKind::Other;
    case ZYDIS_OPERAND_TYPE_IMMEDIATE: return OpKind::Imm;
    case ZYDIS_OPERAND_TYPE_POINTER: return OpKind::Far;
    default: return OpKind::None;
    }
}

Decoder::Decoder() {
    ZydisDecoderInit(&real16_, ZYDIS_MACHINE_MODE_REAL_16, ZYDIS_STACK_WIDTH_16);
    ZydisDecoderInit(&prot16_, ZYDIS_MACHINE_MODE_LEGACY_16, ZYDIS_STACK_WIDTH_16);
    ZydisDecoderInit(&prot32_, ZYDIS_MACHINE_MODE_LEGACY_32, ZYDIS_STACK_WIDTH_32);
}

DecodeStatus Decoder::decode(const uint8_t* bytes, size_t avail, CodeMode mode, Insn& out) const {
    const ZydisDecoder* dec = mode == CodeMode::Prot32   ? &prot32_
                              : mode == CodeMode::Prot16 ? &prot16_
                                                         : &real16_;
    ZydisDecodedInstruction zi;
    ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
    ZyanStatus st = ZydisDecoderDecodeFull(dec, bytes, avail, &zi, ops);
    out = Insn{};
    out.r[0] = out.r[1] = kNoReg;
    out.base = out.index = kNoReg;
    out.seg = DS;
    if (st == ZYDIS_STATUS_NO_MORE_DATA)
        return avail >= 15 ? DecodeStatus::TooLong : DecodeStatus::NeedMoreBytes;
    if (st == ZYDIS_STATUS_INSTRUCTION_TOO_LONG) return DecodeStatus::TooLong;
    if (!ZYAN_SUCCESS(st)) {
        out.fn = raise_invalid_opcode;
        out.len = 1;
        return DecodeStatus::Invalid;
    }
    out.len = zi.length;
    if (zi.address_width == 32) out.attr |= insn_attr::ADDR32;
    if (zi.operand_width == 32) out.attr |= insn_attr::OP32;
    if (zi.attributes & (ZYDIS_ATTRIB_HAS_REP | ZYDIS_ATTRIB_HAS_REPE)) out.attr |= insn_attr::REP;
    if (zi.attributes & ZYDIS_ATTRIB_HAS_REPNE) out.attr |= insn_attr::REPNE;
    // A repeated string instruction retires many icounts at once: as the last of its block, it
    // never pushes instructions after it past the run's budget (semantics/string.inc).
    if (out.attr & (insn_attr::REP | insn_attr::REPNE)) out.attr |= insn_attr::ENDS_BLOCK;
    if (zi.attributes & ZYDIS_ATTRIB_HAS_LOCK) out.attr |= insn_attr::LOCK;
    if (ends_block(zi, ops)) out.attr |= insn_attr::ENDS_BLOCK;
    resolve_operands(zi, ops, out);
    BindCtx ctx{zi, ops, zi.operand_count_visible, mode, out};
    out.fn = bind_semantics(ctx);
    if (!out.fn) {
        out.fn = raise_invalid_opcode;
        return DecodeStatus::Invalid;
    }
    return DecodeStatus::Ok;
}

void raise_invalid_opcode(Cpu& c, const Insn&) { raise_ud(c); }

} // namespace rr86
