// IoPorts: the x86 I/O address space (64 Ki byte ports).
//
// A device claims a range of ports; an access of size 1, 2 or 4 goes to the device owning the
// first port, which sees the size and decides (most ISA devices answer byte accesses only and
// treat a word access as two byte accesses: PortHandler's defaults do that split).
// Unclaimed ports read as all ones and ignore writes, as on an ISA bus with pull-ups.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

namespace rr86 {

class PortHandler {
  public:
    virtual ~PortHandler() = default;
    // Size-aware entry points; the default splits wider accesses into byte accesses.
    virtual uint32_t port_read(uint16_t port, unsigned size);
    virtual void port_write(uint16_t port, unsigned size, uint32_t value);
    // Byte accessors that simple devices implement.
    virtual uint8_t port_read8(uint16_t port) { return 0xff; }
    virtual void port_write8(uint16_t port, uint8_t value) {}
};

// Observes every port access after it happened (record/replay, tracing, debugger watchpoints).
struct PortAccess {
    uint16_t port;
    uint8_t size;
    bool write;
    uint32_t value;
};

class IoPorts {
  public:
    IoPorts();
    void claim(uint16_t first, unsigned count, PortHandler* handler);
    void release(uint16_t first, unsigned count);
    PortHandler* owner(uint16_t port) const { return owners_[port]; }

    uint32_t read(uint16_t port, unsigned size);
    void write(uint16_t port, unsigned size, uint32_t value);

    std::function<void(const PortAccess&)> observer;

  private:
    std::vector<PortHandler*> owners_;
};

} // namespace rr86
