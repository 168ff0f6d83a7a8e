#include "devices/post_port.h"

namespace rr86 {

PostPort::PostPort(DeviceContext& ctx, uint16_t port) : io_(ctx.io), port_(port) {
    io_.claim(port_, 1, this);
}

PostPort::~PostPort() {
    if (io_.owner(port_) == this) io_.release(port_, 1);
}

void PostPort::port_write8(uint16_t port, uint8_t value) {
    if (port != port_) return; // only the byte at 80h of a wider write is a POST code
    last_ = value;
    ++count_;
    if (on_code) on_code(value);
}

} // namespace rr86
