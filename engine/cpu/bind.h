// Binding helpers: pick a semantic template instantiation from the decoded operand shapes.
// Each semantics family (semantics/*.inc) ends with a binder `Handler bind_<family>(const
// BindCtx&)` that returns nullptr for mnemonics it does not own.
#pragma once

#include "engine/cpu/decode.h"
#include "engine/cpu/operands.h"

namespace rr86 {

// Calls f.template operator()<T>() with T the unsigned type of `bits` (8, 16, 32).
template <class F> Handler select_width(unsigned bits, F f) {
    switch (bits) {
    case 8: return f.template operator()<uint8_t>();
    case 16: return f.template operator()<uint16_t>();
    case 32: return f.template operator()<uint32_t>();
    default: return nullptr;
    }
}

// Destination + source of the same width: r/m, r | r, r/m | r/m, imm.
template <class F> Handler select_dst_src(const BindCtx& b, F f) {
    OpKind d = b.kind(0), s = b.kind(1);
    return select_width(b.opsize(), [&]<class T>() -> Handler {
        if (d == OpKind::Reg && s == OpKind::Reg)
            return f.template operator()<Reg<T, 0>, Reg<T, 1>>();
        if (d == OpKind::Reg && s == OpKind::Mem) return f.template operator()<Reg<T, 0>, Mem<T>>();
        if (d == OpKind::Mem && s == OpKind::Reg) return f.template operator()<Mem<T>, Reg<T, 0>>();
        if (d == OpKind::Reg && s == OpKind::Imm) return f.template operator()<Reg<T, 0>, Imm<T>>();
        if (d == OpKind::Mem && s == OpKind::Imm) return f.template operator()<Mem<T>, Imm<T>>();
        return nullptr;
    });
}

// A single r/m operand of the instruction's operand width.
template <class F> Handler select_rm(const BindCtx& b, F f) {
    OpKind d = b.kind(0);
    return select_width(b.opsize(), [&]<class T>() -> Handler {
        if (d == OpKind::Reg) return f.template operator()<Reg<T, 0>>();
        if (d == OpKind::Mem) return f.template operator()<Mem<T>>();
        return nullptr;
    });
}

// r/m operand n of `bits` width as a source (Reg index given by how many registers precede it).
template <class T, class F> Handler select_src(const BindCtx& b, unsigned n, F f) {
    OpKind k = b.kind(n);
    unsigned regs_before = 0;
    for (unsigned j = 0; j < n; ++j)
        regs_before += b.kind(j) == OpKind::Reg;
    if (k == OpKind::Reg) {
        return regs_before == 0 ? f.template operator()<Reg<T, 0>>()
                                : f.template operator()<Reg<T, 1>>();
    }
    if (k == OpKind::Mem) return f.template operator()<Mem<T>>();
    if (k == OpKind::Imm) return f.template operator()<Imm<T>>();
    return nullptr;
}

} // namespace rr86
