// The instruction semantics: the one place that includes every family in semantics/.
//
// Rules for semantic functions (they are compiled natively for the interpreter and, later, to
// LLVM bitcode for the JIT):
//  - plain C++ over Cpu/CpuState and the intrinsics (intrinsics.h, operands.h): no virtual calls,
//    no C++ exceptions, no globals, no host state;
//  - EIP already points at the next instruction when a semantic runs (relative branches add to
//    it); on a fault the interpreter puts EIP back on the faulting instruction;
//  - every access that can fault comes before any register or flag is written (Stack helps);
//  - a semantic that changes something a decoded block depends on (CR0, CS, paging, A20, IF for
//    a pending interrupt) sets c.end_block.
#include "engine/cpu/bind.h"
#include "engine/cpu/cpuid.h"
#include "engine/cpu/exceptions.h"
#include "engine/cpu/flags.h"
#include "engine/cpu/intrinsics.h"
#include "engine/cpu/msr.h"
#include "engine/cpu/operands.h"
#include "engine/cpu/segments.h"

namespace rr86 {

#include "engine/cpu/semantics/alu.inc"
#include "engine/cpu/semantics/arith.inc"
#include "engine/cpu/semantics/control.inc"
#include "engine/cpu/semantics/far.inc"
#include "engine/cpu/semantics/string.inc" // after control.inc: uses its helpers
#include "engine/cpu/semantics/system.inc"

Handler bind_semantics(const BindCtx& b) {
    using Binder = Handler (*)(const BindCtx&);
    static constexpr Binder kFamilies[] = {
        bind_arith, bind_control, bind_far, bind_string, bind_alu, bind_system,
    };
    for (Binder f : kFamilies)
        if (Handler h = f(b)) return h;
    return nullptr;
}

} // namespace rr86
