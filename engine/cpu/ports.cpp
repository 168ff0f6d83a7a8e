// IN/OUT permission checks and dispatch to the machine's I/O ports.
#include "engine/cpu/intrinsics.h"
#include "engine/memory/io_ports.h"

namespace rr86 {

namespace {

// Protected-mode I/O permission: CPL <= IOPL, or every bit of the port range clear in the TSS
// I/O permission bitmap (SDM vol. 1 §19.5.2). Virtual-8086 mode always consults the bitmap.
bool io_permitted(Cpu& c, uint16_t port, unsigned size) {
    if (!c.protected_mode()) return true;
    unsigned iopl = (c.s.eflags & fl::IOPL) >> 12;
    if (!c.v86_mode() && c.s.cpl <= iopl) return true;
    const Segment& tr = c.s.tr;
    unsigned type = tr.attr & 0xf;
    if ((type != 0x9 && type != 0xb) || tr.limit < 0x67) return raise_gp(c);
    uint32_t map_base;
    if (!read_system(c, tr.base + 0x66, 2, map_base)) return false;
    uint32_t byte = (map_base & 0xffff) + port / 8;
    if (byte + 1 > tr.limit) return raise_gp(c);
    uint32_t bits;
    if (!read_system(c, tr.base + byte, 2, bits)) return false;
    if ((bits >> (port % 8)) & ((1u << size) - 1)) return raise_gp(c);
    return true;
}

} // namespace

bool port_in(Cpu& c, uint16_t port, unsigned size, uint32_t& value) {
    if (!io_permitted(c, port, size)) return false;
    value = c.io->read(port, size);
    c.end_block = true;
    return true;
}

bool port_out(Cpu& c, uint16_t port, unsigned size, uint32_t value) {
    if (!io_permitted(c, port, size)) return false;
    c.io->write(port, size, value);
    c.end_block = true;
    return true;
}

} // namespace rr86
