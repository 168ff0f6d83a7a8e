#include "devices/piix3.h"

namespace rr86 {

namespace {
// IRQ 0, 1, 2 (master) and 8, 13 (slave) are hardwired edge-triggered (82371SB §4.7.8).
constexpr uint8_t kElcrMask[2] = {0xf8, 0xde};
constexpr uint8_t kRcSystemReset = 0x02; // SRST: hard reset when the CPU reset is requested
constexpr uint8_t kRcResetCpu = 0x04;    // RCPU
constexpr uint32_t kApmcEn = 1u << 25;   // DEVACTB: SMI on writes to the APM control port
} // namespace

Piix3::IsaBridge::IsaBridge() {
    set_identity(0x8086, 0x7000, 0x00, 0x060100, 0x80); // bit 7: multi-function device
    define(pci_cfg::kCommand, 2, 0x0007, 0x0000);       // I/O, memory, bus master hardwired on
    // Power-on values from the 82371SB datasheet register table (§2.2).
    define(0x4c, 1, 0x4d, 0xff);     // IORT: ISA I/O recovery timer
    define(0x4e, 2, 0x0003, 0xffff); // XBCS: X-bus chip select (RTC, keyboard, BIOS)
    for (uint8_t i = 0; i < 4; ++i)
        define(uint8_t(Piix3::kPirqRoute + i), 1, 0x80, 0x8f);
    define(0x69, 1, 0x02, 0xff);     // TOM: top of memory
    define(0x70, 1, 0x80, 0xff);     // MBIRQ0
    define(0x76, 2, 0x0c0c, 0xffff); // MBDMA0/1
    define(0x78, 2, 0x0002, 0xffff); // PCSC
    define(0xa0, 1, 0x08, 0xff);     // SMICNTL
    define(0xa8, 1, 0x0f, 0xff);     // FTMR: fast-off timer
    save_power_on_state();
}

Piix3::IdeFunction::IdeFunction() {
    // Legacy (compatibility) mode on both channels, bus-master capable: prog-if 0x80.
    set_identity(0x8086, 0x7010, 0x00, 0x010180, 0x00);
    set_io_bar(4, 16);               // BMIBA: bus-master IDE registers (not modelled: PIO only)
    define(0x40, 2, 0x0000, 0xffff); // IDETIM primary (bit 15: decode enable)
    define(0x42, 2, 0x0000, 0xffff); // IDETIM secondary
    define(0x44, 1, 0x00, 0xff);     // SIDETIM
    save_power_on_state();
}

Piix3::PmFunction::PmFunction(Piix3& owner) : owner_(owner) {
    set_identity(0x8086, 0x7113, 0x03, 0x068000, 0x00);
    set_interrupt_pin(1);
    define(Piix3::kPmBase, 4, 0x00000001, 0x0000ffc0); // 64 bytes, I/O space indicator
    define(Piix3::kDevActB, 4, kApmcEn, 0xffffffff);   // see header: no SMM
    define(Piix3::kPmRegMisc, 1, 0x00, 0x01);          // PMIOSE
    define(0x90, 4, 0x00000001, 0x0000fff0);           // SMBBA: SMBus base (storage)
    define(0xd2, 1, 0x00, 0x0f);                       // SMBHSTCFG (storage)
    save_power_on_state();
}

void Piix3::PmFunction::config_written(uint8_t off, unsigned size) {
    bool base = off < kPmBase + 4 && off + size > kPmBase;
    bool misc = off <= kPmRegMisc && off + size > kPmRegMisc;
    if (base || misc) owner_.pm_io_changed(false);
}

Piix3::Piix3(DeviceContext& ctx, PciBus& bus)
    : io_(ctx.io), platform_(ctx.platform), bus_(bus), pm_(*this) {
    bus_.add(1, 0, &isa_);
    bus_.add(1, 1, &ide_);
    bus_.add(1, 3, &pm_);
    bus_.set_cf9_handler(this);
    io_.claim(kElcr1, 2, this);
}

Piix3::~Piix3() {
    bus_.remove(1, 0);
    bus_.remove(1, 1);
    bus_.remove(1, 3);
    bus_.set_cf9_handler(nullptr);
    if (io_.owner(kElcr1) == this) io_.release(kElcr1, 2);
}

void Piix3::reset() {
    isa_.reset_config();
    ide_.reset_config();
    pm_.reset_config();
    elcr_[0] = elcr_[1] = 0;
    rc_ = 0;
    if (on_elcr) on_elcr(0);
    pm_io_changed(true);
}

int Piix3::pirq_route(unsigned pirq) const {
    if (pirq > 3) return -1;
    uint8_t v = isa_.cfg8(uint8_t(kPirqRoute + pirq));
    if (v & 0x80) return -1;
    unsigned irq = v & 0x0f;
    // Valid targets: IRQ 3-7, 9-12, 14, 15 (82371SB §2.2.9).
    bool valid = irq >= 3 && irq != 8 && irq != 13;
    return valid ? int(irq) : -1;
}

void Piix3::pm_io_changed(bool force) {
    uint16_t base = uint16_t(pm_.cfg32(kPmBase) & 0xffc0);
    bool enabled = pm_.cfg8(kPmRegMisc) & 1;
    if (!force && base == pm_base_ && enabled == pm_enabled_) return;
    pm_base_ = base;
    pm_enabled_ = enabled;
    if (on_pm_io) on_pm_io(base, enabled);
}

uint8_t Piix3::port_read8(uint16_t port) {
    switch (port) {
    case kElcr1: return elcr_[0];
    case kElcr2: return elcr_[1];
    case PciBus::kResetControl: return rc_;
    default: return 0xff;
    }
}

void Piix3::port_write8(uint16_t port, uint8_t value) {
    if (port == kElcr1 || port == kElcr2) {
        unsigned i = port - kElcr1;
        elcr_[i] = value & kElcrMask[i];
        if (on_elcr) on_elcr(elcr());
    } else if (port == PciBus::kResetControl) {
        // The request is carried out by the machine loop (DESIGN.md §5), not here.
        rc_ = value & kRcSystemReset;
        if (value & kRcResetCpu) platform_.request_reset(ResetSource::Cf9);
    }
}

} // namespace rr86
