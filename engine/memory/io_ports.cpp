#include "engine/memory/io_ports.h"

namespace rr86 {

uint32_t PortHandler::port_read(uint16_t port, unsigned size) {
    uint32_t v = 0;
    for (unsigned i = 0; i < size; ++i) v |= uint32_t(port_read8(uint16_t(port + i))) << (8 * i);
    return v;
}

void PortHandler::port_write(uint16_t port, unsigned size, uint32_t value) {
    for (unsigned i = 0; i < size; ++i) port_write8(uint16_t(port + i), uint8_t(value >> (8 * i)));
}

IoPorts::IoPorts() : owners_(65536, nullptr) {}

void IoPorts::claim(uint16_t first, unsigned count, PortHandler* handler) {
    for (unsigned i = 0; i < count && first + i < 65536; ++i) owners_[first + i] = handler;
}

void IoPorts::release(uint16_t first, unsigned count) { claim(first, count, nullptr); }

uint32_t IoPorts::read(uint16_t port, unsigned size) {
    PortHandler* h = owners_[port];
    uint32_t mask = size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
    uint32_t v = h ? h->port_read(port, size) & mask : mask;
    if (observer) observer({port, uint8_t(size), false, v});
    return v;
}

void IoPorts::write(uint16_t port, unsigned size, uint32_t value) {
    uint32_t mask = size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
    if (PortHandler* h = owners_[port]) h->port_write(port, size, value & mask);
    if (observer) observer({port, uint8_t(size), true, value & mask});
}

} // namespace rr86
