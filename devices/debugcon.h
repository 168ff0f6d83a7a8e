// QEMU's ISA debug console ("-debugcon", default port 402h for SeaBIOS; E9h is the Bochs port):
// every byte written goes to a host sink; a read returns the readback value E9h, which is how
// firmware detects that the console is present.
#pragma once

#include "devices/device.h"

#include <functional>

namespace rr86 {

class DebugCon : public Device, public PortHandler {
  public:
    static constexpr uint8_t kReadback = 0xe9;

    explicit DebugCon(DeviceContext& ctx, uint16_t iobase = 0x402);
    ~DebugCon() override;

    std::string name() const override { return "debugcon"; }
    void reset() override {}

    // One byte port: a wider access only delivers its low byte (the byte at iobase).
    uint8_t port_read8(uint16_t port) override { return port == iobase_ ? kReadback : 0xff; }
    void port_write8(uint16_t port, uint8_t value) override;

    uint16_t iobase() const { return iobase_; }
    std::function<void(uint8_t)> sink; // host output (file, stdout); unset = discard

  private:
    IoPorts& io_;
    uint16_t iobase_;
};

} // namespace rr86
