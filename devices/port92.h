// PS/2 "System Control Port A" at 92h (Intel 82371SB PIIX3 datasheet §4.7.1, Port 92h): bit 1
// gates A20, a 0->1 transition of bit 0 is a fast CPU reset. Reads show bit 1 as the platform's
// current A20 state (the i8042 output port drives the same line).
#pragma once

#include "devices/device.h"

namespace rr86 {

class Port92 : public Device, public PortHandler {
  public:
    explicit Port92(DeviceContext& ctx);
    ~Port92() override;

    std::string name() const override { return "port92"; }
    // Reset clears bit 0 so that the next 0->1 write resets again.
    void reset() override { value_ = 0; }

    uint8_t port_read8(uint16_t port) override;
    void port_write8(uint16_t port, uint8_t value) override;

  private:
    IoPorts& io_;
    Platform& platform_;
    uint8_t value_ = 0;
};

} // namespace rr86
