#include "devices/port92.h"

namespace rr86 {

Port92::Port92(DeviceContext& ctx) : io_(ctx.io), platform_(ctx.platform) {
    io_.claim(0x92, 1, this);
}

Port92::~Port92() {
    if (io_.owner(0x92) == this) io_.release(0x92, 1);
}

uint8_t Port92::port_read8(uint16_t port) {
    if (port != 0x92) return 0xff; // the upper bytes of a wider access
    return uint8_t((value_ & ~0x02) | (platform_.a20() ? 0x02 : 0));
}

void Port92::port_write8(uint16_t port, uint8_t value) {
    if (port != 0x92) return;
    bool a20 = value & 0x02;
    bool reset_edge = (value & 0x01) && !(value_ & 0x01);
    value_ = value;
    if (a20 != platform_.a20()) platform_.set_a20(a20);
    if (reset_edge) platform_.request_reset(ResetSource::Port92);
}

} // namespace rr86
