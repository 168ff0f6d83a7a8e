// TEMPORARY placeholder until the protected-mode family lands: delivery through the IDT.
#include "engine/cpu/exceptions.h"
#include "engine/cpu/intrinsics.h"

namespace rr86 {

bool deliver_protected(Cpu& c, uint8_t vector, uint32_t error, EventKind kind) {
    return raise_gp(c, 0);
}

} // namespace rr86
