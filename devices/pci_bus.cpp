#include "devices/pci_bus.h"

namespace rr86 {

namespace {
// CONFIG_ADDRESS: enable (31), bus (23:16), device (15:11), function (10:8), register (7:2).
// Bits 30:24 and 1:0 are reserved and read as zero on the 82441FX.
constexpr uint32_t kAddressMask = 0x80fffffc;
constexpr uint32_t kEnable = 0x80000000;

// PCI command register bits a guest may set on these functions: I/O space, memory space, bus
// master, parity error response, SERR# enable, interrupt disable.
constexpr uint16_t kCommandWritable = 0x0547;
// Status bits that are write-one-to-clear (error reporting).
constexpr uint16_t kStatusW1c = 0xf900;
} // namespace

PciFunction::PciFunction() {
    // Device-specific registers (0x40-0xFF) are plain read/write storage unless a function says
    // otherwise, as in QEMU's generic PCI model; the standard header is read-only by default.
    for (unsigned i = pci_cfg::kDeviceSpecific; i < 256; ++i)
        wmask_[i] = 0xff;
}

uint32_t PciFunction::config_read(uint8_t offset, unsigned size) const {
    uint32_t v = 0;
    for (unsigned i = 0; i < size && offset + i < 256; ++i)
        v |= uint32_t(config_[offset + i]) << (8 * i);
    return v;
}

void PciFunction::config_write(uint8_t offset, unsigned size, uint32_t value) {
    for (unsigned i = 0; i < size && offset + i < 256; ++i) {
        unsigned at = offset + i;
        uint8_t b = uint8_t(value >> (8 * i));
        config_[at] = uint8_t((config_[at] & ~wmask_[at]) | (b & wmask_[at]));
        config_[at] &= uint8_t(~(b & w1c_[at]));
    }
    config_written(offset, size);
}

void PciFunction::define(uint8_t off, unsigned size, uint32_t value, uint32_t wmask) {
    for (unsigned i = 0; i < size && off + i < 256; ++i) {
        config_[off + i] = uint8_t(value >> (8 * i));
        wmask_[off + i] = uint8_t(wmask >> (8 * i));
    }
}

void PciFunction::set_identity(uint16_t vendor, uint16_t device, uint8_t revision,
                               uint32_t class_code, uint8_t header_type) {
    define(pci_cfg::kVendorId, 2, vendor, 0);
    define(pci_cfg::kDeviceId, 2, device, 0);
    define(pci_cfg::kCommand, 2, 0, kCommandWritable);
    define(pci_cfg::kStatus, 2, 0x0200, 0); // DEVSEL# timing: medium
    w1c_[pci_cfg::kStatus + 1] = uint8_t(kStatusW1c >> 8);
    define(pci_cfg::kRevision, 1, revision, 0);
    define(pci_cfg::kClassProg, 3, class_code, 0);
    define(pci_cfg::kCacheLine, 1, 0, 0xff);
    define(pci_cfg::kLatency, 1, 0, 0xff);
    define(pci_cfg::kHeaderType, 1, header_type, 0);
    define(pci_cfg::kSubsystemVendor, 2, 0x1af4, 0);
    define(pci_cfg::kSubsystemId, 2, 0x1100, 0);
    define(pci_cfg::kInterruptLine, 1, 0, 0xff);
}

void PciFunction::set_io_bar(unsigned bar, uint32_t size) {
    // Bit 0 = 1 marks I/O space; the low log2(size) address bits read back as zero, which is how
    // firmware sizes the BAR (write all ones, read the mask).
    define(uint8_t(pci_cfg::kBar0 + 4 * bar), 4, 1, ~(size - 1) & 0xfffffffc);
}

void PciFunction::set_mem_bar(unsigned bar, uint32_t size) {
    define(uint8_t(pci_cfg::kBar0 + 4 * bar), 4, 0, ~(size - 1) & 0xfffffff0);
}

void PciFunction::set_interrupt_pin(uint8_t pin) { define(pci_cfg::kInterruptPin, 1, pin, 0); }

PciBus::PciBus(DeviceContext& ctx) : io_(ctx.io) { io_.claim(kConfigAddress, 8, this); }

PciBus::~PciBus() {
    for (uint16_t p = kConfigAddress; p < kConfigAddress + 8; ++p)
        if (io_.owner(p) == this) io_.release(p, 1);
}

bool PciBus::add(unsigned device, unsigned function, PciFunction* fn) {
    if (device > 31 || function > 7 || !fn) return false;
    unsigned slot = device << 3 | function;
    if (slots_[slot]) return false;
    slots_[slot] = fn;
    return true;
}

void PciBus::remove(unsigned device, unsigned function) {
    if (device <= 31 && function <= 7) slots_[device << 3 | function] = nullptr;
}

PciFunction* PciBus::find(unsigned device, unsigned function) const {
    if (device > 31 || function > 7) return nullptr;
    return slots_[device << 3 | function];
}

PciFunction* PciBus::selected() const {
    if (!(address_ & kEnable)) return nullptr;
    if ((address_ >> 16) & 0xff) return nullptr; // only bus 0 exists: master abort
    return slots_[(address_ >> 8) & 0xff];
}

uint32_t PciBus::port_read(uint16_t port, unsigned size) {
    if (port == kConfigAddress && size == 4) return address_;
    unsigned off = port - kConfigData;
    if (port >= kConfigData && off + size <= 4) {
        if (!(address_ & kEnable)) return 0xffffffffu;
        PciFunction* fn = selected();
        return fn ? fn->config_read(uint8_t((address_ & 0xfc) + off), size) : 0xffffffffu;
    }
    uint32_t v = 0;
    for (unsigned i = 0; i < size; ++i)
        v |= uint32_t(read_byte(uint16_t(port + i))) << (8 * i);
    return v;
}

void PciBus::port_write(uint16_t port, unsigned size, uint32_t value) {
    if (port == kConfigAddress && size == 4) {
        address_ = value & kAddressMask;
        return;
    }
    unsigned off = port - kConfigData;
    if (port >= kConfigData && off + size <= 4) {
        if (PciFunction* fn = selected())
            fn->config_write(uint8_t((address_ & 0xfc) + off), size, value);
        return;
    }
    for (unsigned i = 0; i < size; ++i)
        write_byte(uint16_t(port + i), uint8_t(value >> (8 * i)));
}

// Byte-wise path for accesses that are not CONFIG_ADDRESS doublewords and do not fit in
// CONFIG_DATA: each byte goes where a byte cycle to that port would go.
uint8_t PciBus::read_byte(uint16_t port) {
    if (port == kResetControl) return cf9_ ? cf9_->port_read8(port) : 0xff;
    if (port >= kConfigData && port < kConfigData + 4) return uint8_t(port_read(port, 1));
    return 0xff;
}

void PciBus::write_byte(uint16_t port, uint8_t value) {
    if (port == kResetControl) {
        if (cf9_) cf9_->port_write8(port, value);
    } else if (port >= kConfigData && port < kConfigData + 4) {
        port_write(port, 1, value);
    }
}

} // namespace rr86
