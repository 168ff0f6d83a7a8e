// The whole device interface. A device sees a bus (ports, physical memory), a virtual clock, its
// interrupt lines and the platform's request channel; it never knows whether the session is
// recorded or replayed (DESIGN.md). Everything here runs on the vCPU thread.
#pragma once

#include "engine/clock.h"
#include "engine/memory/io_ports.h"
#include "engine/memory/phys_map.h"

#include <cstdint>
#include <string>

namespace rr86 {

// ISA interrupt lines 0-15 as the south bridge routes them to the 8259 pair.
class InterruptLines {
  public:
    virtual ~InterruptLines() = default;
    virtual void set_irq(unsigned line, bool level) = 0;
    void pulse_irq(unsigned line) {
        set_irq(line, true);
        set_irq(line, false);
    }
};

// Why the guest asked for a reset (DESIGN.md §5: each source is logged).
enum class ResetSource : uint8_t { Cf9, Kbc, Port92, TripleFault, Monitor };

// Requests a device makes of the machine. They are carried out by the machine loop, not inside the
// device's port handler, so the delivery model (sync/async) is the machine's decision.
class Platform {
  public:
    virtual ~Platform() = default;
    virtual void request_reset(ResetSource source) = 0;
    virtual void request_shutdown() = 0;
    virtual void request_exit(int status) = 0; // isa-debug-exit: process exit status
    virtual void set_a20(bool enabled) = 0;    // port 0x92 bit 1, i8042 output port bit 1
    virtual bool a20() const = 0;
};

struct DeviceContext {
    PhysMap& mem;
    IoPorts& io;
    VirtualClock& clock;
    InterruptLines& irq;
    Platform& platform;
};

class Device {
  public:
    virtual ~Device() = default;
    virtual std::string name() const = 0;
    // System reset (power-on state of the device's registers).
    virtual void reset() = 0;
};

} // namespace rr86
