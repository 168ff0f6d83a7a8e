#include "devices/debugcon.h"

namespace rr86 {

DebugCon::DebugCon(DeviceContext& ctx, uint16_t iobase) : io_(ctx.io), iobase_(iobase) {
    io_.claim(iobase_, 1, this);
}

DebugCon::~DebugCon() {
    if (io_.owner(iobase_) == this) io_.release(iobase_, 1);
}

void DebugCon::port_write8(uint16_t port, uint8_t value) {
    if (port == iobase_ && sink) sink(value);
}

} // namespace rr86
