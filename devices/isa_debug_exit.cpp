#include "devices/isa_debug_exit.h"

#include <fmt/format.h>

namespace rr86 {

IsaDebugExit::IsaDebugExit(DeviceContext& ctx, uint16_t iobase, uint16_t iosize)
    : io_(ctx.io), platform_(ctx.platform), iobase_(iobase), iosize_(iosize) {
    io_.claim(iobase_, iosize_, this);
}

IsaDebugExit::~IsaDebugExit() {
    for (unsigned i = 0; i < iosize_ && iobase_ + i < 0x10000; ++i)
        if (io_.owner(uint16_t(iobase_ + i)) == this) io_.release(uint16_t(iobase_ + i), 1);
}

std::optional<std::string> IsaDebugExit::check_config(uint32_t iobase, uint32_t iosize) {
    if (iosize == 0) return std::string("isa-debug-exit: iosize must not be 0");
    if (uint64_t(iobase) + iosize > 0x10000)
        return fmt::format("isa-debug-exit: iobase {:#x} + iosize {:#x} is beyond port 0xffff",
                           iobase, iosize);
    return std::nullopt;
}

void IsaDebugExit::port_write(uint16_t, unsigned, uint32_t value) {
    // The status is computed in 32 bits as QEMU does; the host truncates it to 8 bits.
    platform_.request_exit(int((value << 1) | 1));
}

} // namespace rr86
