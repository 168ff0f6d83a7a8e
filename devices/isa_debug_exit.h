// QEMU's `isa-debug-exit` device: a write of value v (of any width) to its I/O range asks the
// machine to exit with status (v << 1) | 1, so a test guest can report pass/fail and never be
// mistaken for a clean exit 0. Reads return 0.
#pragma once

#include "devices/device.h"

#include <optional>
#include <string>

namespace rr86 {

class IsaDebugExit : public Device, public PortHandler {
  public:
    explicit IsaDebugExit(DeviceContext& ctx, uint16_t iobase = 0xf4, uint16_t iosize = 4);
    ~IsaDebugExit() override;

    // Host-side check of `-device isa-debug-exit,iobase=,iosize=` before construction.
    static std::optional<std::string> check_config(uint32_t iobase, uint32_t iosize);

    std::string name() const override { return "isa-debug-exit"; }
    void reset() override {}

    uint32_t port_read(uint16_t, unsigned) override { return 0; }
    void port_write(uint16_t port, unsigned size, uint32_t value) override;

    uint16_t iobase() const { return iobase_; }
    uint16_t iosize() const { return iosize_; }

  private:
    IoPorts& io_;
    Platform& platform_;
    uint16_t iobase_, iosize_;
};

} // namespace rr86
