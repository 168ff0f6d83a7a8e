// PcBoard: QEMU's `pc` machine as rr86 builds it — i440FX host bridge, PIIX3 south bridge with its
// IDE and power-management functions, the ISA devices, fw_cfg — wired to one Machine.
//
// Memory map (32-bit): RAM from 0; the BIOS image at the top of 4 GiB with its last 128 KiB also
// at 0xE0000-0xFFFFF (the i440FX PAM registers switch 0xC0000-0xFFFFF between that alias and
// shadow RAM); everything else unassigned (reads all ones, writes dropped).
#pragma once

#include "engine/machine.h"

#include <functional>
#include <memory>
#include <string>

namespace rr86 {

struct BoardSinks {
    std::function<void(uint8_t)> serial;   // COM1 transmit
    std::function<void(uint8_t)> debugcon; // port 0x402
};

class PcBoard : public Board {
  public:
    // Creates and wires every device from `cfg`, loading the firmware and disk images. On a
    // host-side problem (missing BIOS, unreadable image) returns null and sets `error`.
    static std::unique_ptr<PcBoard> create(Machine& m, const MachineConfig& cfg, BoardSinks sinks,
                                           std::string& error);
    ~PcBoard() override;

    void reset() override;
    void on_start() override;
    void serial_input(const std::string& bytes) override;
    std::optional<std::string> monitor_command(const std::string& cmd, const std::string& args,
                                               RunState state) override;

    struct Parts;

  private:
    explicit PcBoard(Machine& m);
    std::optional<std::string> attach_drive(const DriveConfig& d, int channel, int unit,
                                            int bootindex);
    std::optional<std::string> attach_configured_drives(const MachineConfig& cfg);
    std::optional<std::string> place_ide_device(const IdeDeviceConfig& dev, const DriveConfig& d);
    void refresh_boot_data();

    Machine& m_;
    std::unique_ptr<Parts> parts_;
};

} // namespace rr86
