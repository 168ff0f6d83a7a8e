// PciBus: PCI configuration mechanism #1 on a single bus (bus 0), as the i440FX host bridge decodes
// it (PCI Local Bus Specification 2.1 §3.7.4.1; Intel 82441FX datasheet §3.1 CONFADD/CONFDATA).
//
// 0xCF8 is the 32-bit CONFIG_ADDRESS register: only a doubleword access reaches it. Byte and word
// accesses inside 0xCF8-0xCFB are ordinary I/O cycles; the only device there on a PC is the PIIX3
// reset control register at 0xCF9, so byte accesses to 0xCF9 are routed to the handler the board
// gives us (set_cf9_handler). 0xCFC-0xCFF is CONFIG_DATA: byte, word and doubleword accesses at any
// offset address the matching bytes of the selected configuration doubleword.
//
// Each PCI function is a PciFunction: 256 bytes of configuration space, a write mask (bits the
// guest may change), a write-one-to-clear mask, and a power-on image restored by reset_config().
// Functions that are not registered read as all ones (master abort) and ignore writes.
#pragma once

#include "devices/device.h"

#include <array>
#include <cstdint>
#include <string>

namespace rr86 {

// PCI configuration header offsets (type 0 header) used across the chipset functions.
namespace pci_cfg {
constexpr uint8_t kVendorId = 0x00, kDeviceId = 0x02, kCommand = 0x04, kStatus = 0x06;
constexpr uint8_t kRevision = 0x08, kClassProg = 0x09, kCacheLine = 0x0c, kLatency = 0x0d;
constexpr uint8_t kHeaderType = 0x0e, kBar0 = 0x10, kSubsystemVendor = 0x2c, kSubsystemId = 0x2e;
constexpr uint8_t kRomAddress = 0x30, kInterruptLine = 0x3c, kInterruptPin = 0x3d;
constexpr uint8_t kDeviceSpecific = 0x40;
} // namespace pci_cfg

class PciFunction {
  public:
    virtual ~PciFunction() = default;

    // `offset` is the byte offset in configuration space; an access never crosses a doubleword
    // (the bus guarantees it). Sizes 1, 2, 4; little-endian as on the PCI bus.
    uint32_t config_read(uint8_t offset, unsigned size) const;
    void config_write(uint8_t offset, unsigned size, uint32_t value);

    // Restores the power-on image (PCI reset, RST#).
    void reset_config() { config_ = power_on_; }

    uint8_t cfg8(uint8_t off) const { return config_[off]; }
    uint16_t cfg16(uint8_t off) const { return uint16_t(config_[off] | config_[off + 1] << 8); }
    uint32_t cfg32(uint8_t off) const {
        return uint32_t(cfg16(off)) | uint32_t(cfg16(off + 2)) << 16;
    }

  protected:
    PciFunction();
    // Header identity. `class_code` is base<<16 | sub<<8 | prog-if. Sets the header defaults
    // every QEMU `pc` function shares (subsystem 1af4:1100, which SeaBIOS uses to recognise QEMU).
    void set_identity(uint16_t vendor, uint16_t device, uint8_t revision, uint32_t class_code,
                      uint8_t header_type);
    // Base address registers: size is a power of two (I/O >= 4, memory >= 16 bytes).
    void set_io_bar(unsigned bar, uint32_t size);
    void set_mem_bar(unsigned bar, uint32_t size);
    void set_interrupt_pin(uint8_t pin); // 1 = INTA#, 0 = none
    // Sets power-on value and guest-writable bits of `size` bytes at `off`.
    void define(uint8_t off, unsigned size, uint32_t value, uint32_t wmask);
    void set_cfg8(uint8_t off, uint8_t v) { config_[off] = v; }
    // Captures the current contents as the power-on image (call at the end of the constructor).
    void save_power_on_state() { power_on_ = config_; }
    // Called after the guest wrote `size` bytes at `off` (masks already applied).
    virtual void config_written(uint8_t off, unsigned size) {}

  private:
    std::array<uint8_t, 256> config_{};
    std::array<uint8_t, 256> wmask_{};
    std::array<uint8_t, 256> w1c_{};
    std::array<uint8_t, 256> power_on_{};
};

class PciBus : public Device, public PortHandler {
  public:
    static constexpr uint16_t kConfigAddress = 0xcf8;
    static constexpr uint16_t kConfigData = 0xcfc;
    static constexpr uint16_t kResetControl = 0xcf9;

    explicit PciBus(DeviceContext& ctx);
    ~PciBus() override;

    std::string name() const override { return "pci"; }
    void reset() override { address_ = 0; }

    // Registers `fn` as bus 0, `device` (0-31), `function` (0-7). False if the slot is taken or
    // out of range. The function stays owned by the caller.
    bool add(unsigned device, unsigned function, PciFunction* fn);
    void remove(unsigned device, unsigned function);
    PciFunction* find(unsigned device, unsigned function) const;

    // Where byte accesses to 0xCF9 go (the PIIX3 reset control register).
    void set_cf9_handler(PortHandler* h) { cf9_ = h; }

    uint32_t address() const { return address_; }

    uint32_t port_read(uint16_t port, unsigned size) override;
    void port_write(uint16_t port, unsigned size, uint32_t value) override;

  private:
    PciFunction* selected() const;
    uint8_t read_byte(uint16_t port);
    void write_byte(uint16_t port, uint8_t value);

    IoPorts& io_;
    uint32_t address_ = 0;
    PortHandler* cf9_ = nullptr;
    std::array<PciFunction*, 256> slots_{}; // device << 3 | function
};

} // namespace rr86
