// I440fx: the 82441FX PCI and Memory Controller (PMC) as PCI function 00:00.0, 8086:1237.
//
// Guest-visible behaviour modelled (Intel 82441FX datasheet, §3.2):
// - PAM0-PAM6 (config 0x59-0x5F) route the 0xC0000-0xFFFFF legacy ranges: for each range, RE
//   (bit 0 of the nibble) sends reads to DRAM, WE (bit 1) sends writes to DRAM; otherwise the cycle
//   goes to PCI. On the PCI side 0xE0000-0xFFFFF is the BIOS ROM alias (writes dropped) and
//   0xC0000-0xDFFFF is unassigned. So 0 = PCI only, 1 = read shadow RAM / writes dropped
//   (write-protected shadow), 2 = read ROM / write RAM, 3 = shadow RAM read/write.
//   SeaBIOS (src/fw/shadow.c) runs make_bios_writable (0x30/0x33: RAM r/w, copies itself from
//   the 0xFFFxxxxx alias) and later make_bios_readonly (0x10/0x11: reads from the shadow copy,
//   writes dropped); both work only with this RE/WE reading of the nibble.
// - SMRAM (0x72) is storage with the datasheet's fixed C_BASE_SEG (010b) and D_LCK behaviour;
//   SMM itself is not modelled (the PIIX4-PM function tells SeaBIOS SMM is already set up).
// - DRAM row boundaries (0x60-0x67) and the other device registers are storage.
//
// The PAM overlays are PhysMap regions named "i440fx.pam" mapped over whatever the board mapped
// below 1 MiB (RAM): the board maps RAM before constructing this device. Changing any PAM mode
// remaps them (and so bumps PhysMap::generation(); rewriting the same value does not).
#pragma once

#include "devices/device.h"
#include "devices/pci_bus.h"

#include <array>
#include <cstddef>
#include <cstdint>

namespace rr86 {

class I440fx : public Device {
  public:
    static constexpr uint8_t kPam0 = 0x59;
    static constexpr uint8_t kSmram = 0x72;
    static constexpr uint8_t kDrb0 = 0x60;

    // `bios`/`bios_size`: the firmware image (owned by the board, outliving this device); its last
    // 128 KiB (or all of it if smaller) is the PCI-side content ending at 0xFFFFF.
    I440fx(DeviceContext& ctx, PciBus& bus, const uint8_t* bios, size_t bios_size);
    ~I440fx() override;

    std::string name() const override { return "i440fx"; }
    void reset() override;

    PciFunction& pci() { return fn_; }
    // Mode (0-3) of the PAM range containing `addr` (0xC0000-0xFFFFF), for tests and debuggers.
    unsigned pam_mode(uint32_t addr) const;

  private:
    class HostBridge : public PciFunction {
      public:
        explicit HostBridge(I440fx& owner);
        using PciFunction::set_cfg8;
        I440fx& owner;

      protected:
        void config_written(uint8_t off, unsigned size) override;
    };

    struct Range {
        uint32_t start, size;
    };
    static unsigned range_index(uint32_t addr);
    unsigned mode_of(unsigned range) const;
    uint8_t* rom_side(uint32_t addr) const;
    uint8_t* ram_side(uint32_t addr) const;
    void apply_pam();
    void smram_written();

    PhysMap& mem_;
    PciBus& bus_;
    HostBridge fn_;
    const uint8_t* bios_;
    size_t bios_size_;
    std::array<uint8_t, 7> applied_{}; // PAM bytes the current overlays were built from
    bool mapped_ = false;
    uint8_t smram_ = 0x02;
};

} // namespace rr86
