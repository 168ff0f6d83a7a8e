// IdeController: the two legacy ATA channels of the PIIX3 IDE function, with IdeDrive hard disks.
//
// Channel 0: 0x1F0-0x1F7 + 0x3F6, IRQ 14; channel 1: 0x170-0x177 + 0x376, IRQ 15; master and slave
// on each. Commands follow ATA/ATAPI-6 (T13/1410D) for a PIO-only fixed disk:
//   READ/WRITE SECTORS (20h/21h, 30h/31h), READ/WRITE MULTIPLE (C4h/C5h), SET MULTIPLE MODE (C6h),
//   READ/WRITE SECTORS EXT (24h/34h), READ/WRITE MULTIPLE EXT (29h/39h), READ VERIFY (40h/41h/42h),
//   IDENTIFY DEVICE (ECh), SET FEATURES (EFh), INITIALIZE DEVICE PARAMETERS (91h), EXECUTE DEVICE
//   DIAGNOSTIC (90h), SEEK, RECALIBRATE, FLUSH CACHE (EXT), CHECK POWER MODE, the idle/standby
//   commands. Everything else, IDENTIFY PACKET DEVICE and the DMA commands included, is aborted
//   (status ERR, error ABRT).
// Commands complete at once (BSY is never seen); the disk is read with pread at the moment the
// command (or the next DRQ block) needs the data. LBA and CHS addressing (CHS through the geometry
// set by INITIALIZE DEVICE PARAMETERS, default the IDENTIFY words 1/3/6). 16- and 32-bit data
// port accesses (the PIIX splits a doubleword into two words); byte accesses to the data port read
// 0xFF. A write command to a read-only image is aborted before its data phase.
//
// Absent devices (ATA-6 §9.16 / §5.2.9): on a channel with one drive, register writes reach both
// device positions; with the absent one selected, Status and Alternate Status read 00h, the other
// registers read back what was written, and commands are ignored. A channel without drives floats:
// every register reads FFh. Device control: nIEN masks INTRQ, SRST resets both devices and leaves
// the signature (sector count 01h, LBA 000001h, error 01h).
#pragma once

#include "devices/device.h"
#include "devices/disk_image.h"
#include "devices/fw_cfg.h"

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace rr86 {

struct Chs {
    uint32_t cylinders = 0, heads = 0, sectors = 0;
};

struct IdeDriveOptions {
    std::string model;    // IDENTIFY words 27-46 (40 chars); default "RR86 HARDDISK"
    std::string serial;   // words 10-19 (20 chars); default "RR86" + 5 digits of the position
    std::string firmware; // words 23-26 (8 chars); default "0.1.0"
    int32_t bootindex = -1;
    std::optional<Chs> chs;  // physical geometry; default guessed from the size as QEMU does
    std::optional<Chs> lchs; // BIOS translation hint for fw_cfg "bios-geometry"; default none
};

class IdeDrive {
  public:
    explicit IdeDrive(std::unique_ptr<DiskImage> image, IdeDriveOptions options = {});

    DiskImage& image() { return *image_; }
    const DiskImage& image() const { return *image_; }
    const IdeDriveOptions& options() const { return options_; }
    int32_t bootindex() const { return options_.bootindex; }
    void set_bootindex(int32_t index) { options_.bootindex = index; }
    // Default CHS geometry (IDENTIFY words 1, 3, 6).
    Chs geometry() const { return geometry_; }

  private:
    std::unique_ptr<DiskImage> image_;
    IdeDriveOptions options_;
    Chs geometry_;
};

class IdeController : public Device, public PortHandler {
  public:
    static constexpr uint16_t kCmdBase[2] = {0x1f0, 0x170};
    static constexpr uint16_t kCtlPort[2] = {0x3f6, 0x376};
    static constexpr unsigned kIrq[2] = {14, 15};

    explicit IdeController(DeviceContext& ctx);
    ~IdeController() override;

    std::string name() const override { return "ide"; }
    void reset() override; // hardware reset of both channels

    // channel 0/1, unit 0 (master) / 1 (slave). Returns an error message, empty on success.
    std::string attach(unsigned channel, unsigned unit, std::unique_ptr<IdeDrive> drive);
    std::unique_ptr<IdeDrive> detach(unsigned channel, unsigned unit);
    IdeDrive* drive(unsigned channel, unsigned unit) const;

    // "/pci@i0cf8/ide@1,1/drive@C/disk@U", the path QEMU puts in "bootorder" and SeaBIOS matches
    // (src/boot.c bootprio_find_ata_device).
    static std::string firmware_path(unsigned channel, unsigned unit);
    // Every attached drive, in channel/unit order, for FwCfg::rebuild_boot_data.
    std::vector<BootDevice> boot_devices() const;

    bool irq_level(unsigned channel) const { return channel < 2 && channels_[channel].line; }

    uint32_t port_read(uint16_t port, unsigned size) override;
    void port_write(uint16_t port, unsigned size, uint32_t value) override;

  private:
    enum class Xfer : uint8_t { None, ReadDisk, WriteDisk, ReadBuffer };

    // One device position: the registers it latched and its transfer state. Present even when
    // no drive is attached (it then mirrors register writes, as device 0 answers for it).
    struct Unit {
        std::unique_ptr<IdeDrive> drive;
        uint8_t feature = 0, nsector = 0, sector = 0, lcyl = 0, hcyl = 0;
        uint8_t hob_feature = 0, hob_nsector = 0, hob_sector = 0, hob_lcyl = 0, hob_hcyl = 0;
        uint8_t select = 0xa0, status = 0, error = 0;
        Chs logical; // translation used for CHS addresses
        uint8_t mult_sectors = 16;
        Xfer xfer = Xfer::None;
        bool lba48 = false; // how to write the address back
        uint64_t next_lba = 0;
        uint32_t remaining = 0; // sectors left in the command
        uint32_t block = 1;     // sectors per DRQ block
        uint32_t pos = 0, end = 0;
        std::vector<uint8_t> buf;
    };
    struct Channel {
        std::array<Unit, 2> units;
        unsigned selected = 0;
        uint8_t devctl = 0;
        bool pending = false; // INTRQ
        bool line = false;
    };

    static uint8_t reg_of(uint16_t port, unsigned& channel, bool& control);
    bool empty(const Channel& c) const { return !c.units[0].drive && !c.units[1].drive; }
    uint8_t read_reg(unsigned ch, uint8_t reg);
    void write_reg(unsigned ch, uint8_t reg, uint8_t v);
    void write_devctl(unsigned ch, uint8_t v);
    uint16_t read_data16(unsigned ch);
    void write_data16(unsigned ch, uint16_t v);

    void set_pending(unsigned ch, bool pending);
    void update_line(unsigned ch);
    void reset_unit(Unit& u, unsigned ch, unsigned unit);
    void signature(Unit& u);
    void execute(unsigned ch, uint8_t cmd);
    bool execute_data(unsigned ch, Unit& u, uint8_t cmd);
    bool execute_misc(unsigned ch, Unit& u, uint8_t cmd);
    void complete(unsigned ch, Unit& u);
    void abort(unsigned ch, Unit& u, uint8_t error = 0x04);
    void identify(unsigned ch, Unit& u);
    void set_features(unsigned ch, Unit& u);
    void init_params(unsigned ch, Unit& u);
    void diagnose(unsigned ch);

    bool decode_address(const Unit& u, bool lba48, uint64_t& lba) const;
    uint32_t decode_count(const Unit& u, bool lba48) const;
    void write_back_address(Unit& u, uint64_t lba);
    void start_transfer(unsigned ch, Unit& u, bool write, bool lba48, uint32_t block);
    void load_read_block(unsigned ch, Unit& u);
    void finish_read_block(unsigned ch, Unit& u);
    void finish_write_block(unsigned ch, Unit& u);
    void verify(unsigned ch, Unit& u, bool lba48);

    IoPorts& io_;
    InterruptLines& irq_;
    std::array<Channel, 2> channels_;
};

} // namespace rr86
