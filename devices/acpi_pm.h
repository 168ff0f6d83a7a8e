// ACPI power-management I/O block of a PIIX4-PM-like function (what QEMU's `pc` puts at 00:01.3,
// 8086:7113): PM1a event status/enable, PM1a control and the ACPI PM timer at PMBASE+8.
//
// Why this and not SeaBIOS's PIT path: SeaBIOS times every udelay/msleep/timeout with one of three
// sources. With a PIIX4 PM function present it programs PMBASE (config 40h) and PMIOSE (config
// 80h bit 0) and then reads the 3.579545 MHz PM timer with one `inl` per poll (src/hw/timer.c
// pmtimer_setup/timer_read). Without it, it calibrates the TSC against PIT channel 2 by spinning
// on port 61h bit 5 and from then on trusts RDTSC, which ties every delay to the CPU model's TSC
// rate and to how many instructions the calibration loop happened to run. The PM timer is one
// multiply of the virtual clock: exact, cheap, independent of instruction mix, and the same
// source Linux and OVMF use on this machine. So the board presents this function and SeaBIOS never
// calibrates.
//
// Register layout: ACPI 1.0b §4.7.3 (PM1 status/enable/control, PM_TMR 24-bit), Intel 82371AB
// (PIIX4) datasheet §11 (PMBA at function 3 config 40h, bits 15:6; PMREGMISC 80h bit 0 = PMIOSE).
// The PCI configuration side belongs to the PCI bus model, which calls set_pm_base() and
// set_enabled(); this class claims and releases its ports accordingly.
//
// SCI is ISA IRQ 9 (hard-wired on QEMU's pc, which SeaBIOS mirrors in config 3Ch). SLP_EN with
// SLP_TYP 0 is the S5 soft-off of QEMU's DSDT and asks the platform to shut down; other sleep
// types are ignored (no S3/S4 support).
#pragma once

#include "devices/device.h"

#include <cstdint>

namespace rr86 {

class AcpiPm : public Device, public PortHandler {
  public:
    static constexpr uint64_t kTimerHz = 3579545;
    static constexpr unsigned kSciIrq = 9;
    static constexpr uint16_t kBlockSize = 64;

    // PM1 status / enable bits (ACPI 1.0b table 4-11/4-12).
    static constexpr uint16_t kTmrSts = 0x0001, kBmSts = 0x0010, kGblSts = 0x0020,
                              kPwrBtnSts = 0x0100, kRtcSts = 0x0400, kWakSts = 0x8000;
    static constexpr uint16_t kSciEn = 0x0001, kSlpEn = 0x2000;

    explicit AcpiPm(DeviceContext& ctx);
    ~AcpiPm() override;

    std::string name() const override { return "acpi_pm"; }
    // Power-on state: I/O decoding off, base 0, all status/enable/control bits clear.
    void reset() override;

    // From the PCI model: PMBA (config 40h; bits 15:6 are used) and PMIOSE (config 80h bit 0).
    void set_pm_base(uint16_t base);
    void set_enabled(bool enabled);
    uint16_t pm_base() const { return base_; }
    bool enabled() const { return enabled_; }

    // Host event (monitor `system_powerdown`): the power button sets PWRBTN_STS.
    void press_power_button();

    uint32_t port_read(uint16_t port, unsigned size) override;
    void port_write(uint16_t port, unsigned size, uint32_t value) override;

    // The 24-bit PM timer value at virtual time `ns`.
    static uint32_t timer_at(uint64_t ns);
    uint16_t status();
    uint16_t enable_bits() const { return en_; }
    uint16_t control() const { return cnt_; }
    bool sci_level() const { return sci_; }

  private:
    void claim_ports();
    void release_ports();
    uint8_t read_byte(unsigned offset, uint32_t timer);
    void write_reg(unsigned reg, uint16_t value, uint16_t byte_mask);
    void sync_timer_status();
    void update_sci();
    void rearm();

    IoPorts& io_;
    VirtualClock& clock_;
    InterruptLines& irq_;
    Platform& platform_;
    Timer& timer_;

    uint16_t base_ = 0;
    bool enabled_ = false;
    bool claimed_ = false;
    uint16_t sts_ = 0, en_ = 0, cnt_ = 0;
    uint64_t msb_epoch_ = 0; // timer ticks >> 23 when TMR_STS was last brought up to date
    bool sci_ = false;
};

} // namespace rr86
