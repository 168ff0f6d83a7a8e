// POST code port 80h: firmware writes its progress codes here (a "POST card" on real boards).
// The last code is kept for the monitor and each one goes to a host sink. Reads return FFh, as on
// the reference machine, where nothing answers at 80h.
#pragma once

#include "devices/device.h"

#include <functional>

namespace rr86 {

class PostPort : public Device, public PortHandler {
  public:
    explicit PostPort(DeviceContext& ctx, uint16_t port = 0x80);
    ~PostPort() override;

    std::string name() const override { return "post_port"; }
    void reset() override {} // the last code stays visible across a reset, like a POST card

    uint8_t port_read8(uint16_t) override { return 0xff; }
    void port_write8(uint16_t port, uint8_t value) override;

    uint8_t last_code() const { return last_; }
    uint64_t codes_written() const { return count_; }
    std::function<void(uint8_t)> on_code; // host sink, called for every write

  private:
    IoPorts& io_;
    uint16_t port_;
    uint8_t last_ = 0;
    uint64_t count_ = 0;
};

} // namespace rr86
