// Piix3: the 82371SB PIIX3 south bridge functions of QEMU's `pc` machine.
//
// - 00:01.0 PCI-to-ISA bridge (8086:7000, multi-function): PIRQ[A-D] routing registers 0x60-0x63
//   (bit 7 = routing disabled, bits 3:0 = ISA IRQ), the other ISA bridge registers as storage with
//   their datasheet power-on values.
// - ELCR at 0x4D0/0x4D1 (82371SB §4.7.8): edge/level selection for IRQ 0-15, forwarded to the 8259
//   pair through on_elcr. IRQ 0, 1, 2, 8 and 13 are always edge-triggered (bits read as 0).
// - Reset control register at 0xCF9 (82371SB §4.7.10), reached through PciBus: bit 1 chooses hard
//   or soft reset, writing bit 2 = 1 asks the platform for a reset (ResetSource::Cf9). SeaBIOS
//   reboots with 0x02 then 0x06 (seed 002): only the second write requests the reset.
// - 00:01.1 PIIX3 IDE (8086:7010, legacy mode, prog-if 0x80): IDETIM/SIDETIM as storage and the
//   bus-master BAR4 (16 bytes of I/O) so firmware can size and assign it; the ATA channels
//   themselves are IdeController (always decoded at the legacy ports, as in QEMU).
// - 00:01.3 PIIX4-style power management (8086:7113): PMBASE (0x40, 64 bytes of I/O, bit 0 reads
//   1) and PMREGMISC (0x80, bit 0 = PM I/O space enable) are forwarded through on_pm_io to the ACPI
//   PM timer device. DEVACTB bit 25 (APMC_EN) reads 1 from reset, which is how QEMU without SMM
//   tells SeaBIOS that SMM is already initialised (src/fw/smm.c would otherwise wait forever for
//   an SMI handler to answer on port 0xB3).
#pragma once

#include "devices/device.h"
#include "devices/pci_bus.h"

#include <functional>

namespace rr86 {

class Piix3 : public Device, public PortHandler {
  public:
    static constexpr uint16_t kElcr1 = 0x4d0, kElcr2 = 0x4d1;
    static constexpr uint8_t kPirqRoute = 0x60;
    static constexpr uint8_t kPmBase = 0x40, kPmRegMisc = 0x80, kDevActB = 0x58;

    Piix3(DeviceContext& ctx, PciBus& bus);
    ~Piix3() override;

    std::string name() const override { return "piix3"; }
    void reset() override;

    // ELCR changes: bit n set = IRQ n level-triggered (for Pic8259::set_level_triggered).
    std::function<void(uint16_t mask)> on_elcr;
    // PM I/O space changes: `base` is PMBASE & 0xFFC0, `enabled` is PMREGMISC bit 0.
    std::function<void(uint16_t base, bool enabled)> on_pm_io;

    // ISA IRQ that PIRQ A-D (0-3) is routed to, or -1 when disabled or not a valid IRQ.
    int pirq_route(unsigned pirq) const;
    uint16_t elcr() const { return uint16_t(elcr_[0] | elcr_[1] << 8); }
    uint8_t reset_control() const { return rc_; }

    PciFunction& isa() { return isa_; }
    PciFunction& ide() { return ide_; }
    PciFunction& pm() { return pm_; }

    uint8_t port_read8(uint16_t port) override;
    void port_write8(uint16_t port, uint8_t value) override;

  private:
    class IsaBridge : public PciFunction {
      public:
        IsaBridge();
    };
    class IdeFunction : public PciFunction {
      public:
        IdeFunction();
    };
    class PmFunction : public PciFunction {
      public:
        explicit PmFunction(Piix3& owner);

      protected:
        void config_written(uint8_t off, unsigned size) override;

      private:
        Piix3& owner_;
    };

    void pm_io_changed(bool force);

    IoPorts& io_;
    Platform& platform_;
    PciBus& bus_;
    IsaBridge isa_;
    IdeFunction ide_;
    PmFunction pm_;
    uint8_t elcr_[2] = {0, 0};
    uint8_t rc_ = 0;
    uint16_t pm_base_ = 0;
    bool pm_enabled_ = false;
};

} // namespace rr86
