// FwCfg: QEMU's firmware configuration device, I/O port flavour (QEMU docs/specs/fw_cfg.rst).
//
// Ports: 0x510 selector (16-bit write; a byte read there reads data, as QEMU's combined region
// does), 0x511 data (8-bit reads; writes ignored since QEMU 2.4), 0x514-0x51B the DMA address
// register: two 32-bit big-endian halves, high at 0x514, low at 0x518; writing the low half starts
// the transfer; reading gives "QEMU CFG". DMA control bits: error 0x01, read 0x02, skip 0x04,
// select 0x08 (key in bits 31:16), write 0x10.
//
// Items: signature "QEMU" (0x00), ID 0x03 = traditional + DMA (0x01), the legacy keys SeaBIOS reads
// on `pc` (src/fw/paravirt.c: UUID 0x02, RAM size 0x03, nographic 0x04, CPU count 0x05, NUMA 0x0d,
// boot menu 0x0e, max CPUs 0x0f, IRQ0 override 0x8002, E820 reservations 0x8003), the file
// directory (0x19: big-endian count, then 64-byte entries sorted by name, keys from 0x20 upward in
// that order) and the files: etc/e820, bootorder, bios-geometry, etc/boot-fail-wait and user blobs.
//
// Guest-side bad input has defined results: an unknown key reads zeros (port and DMA), reads past
// the end of an item return 0, port writes are ignored, DMA writes always fail (every item is
// read-only) with the error bit, and a DMA descriptor or data range not entirely inside guest RAM
// sets the error bit (when the descriptor itself is readable) and transfers nothing.
#pragma once

#include "devices/device.h"

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace rr86 {

// A bootable device as fw_cfg describes it: its OpenFirmware path, its bootindex (negative: not in
// "bootorder"), and optionally the BIOS geometry hint (all zero: none) for "bios-geometry".
struct BootDevice {
    std::string path;
    int32_t bootindex = -1;
    uint32_t lcyls = 0, lheads = 0, lsecs = 0;
};

struct E820Entry {
    uint64_t base, length;
    uint32_t type; // 1 = RAM, 2 = reserved
};

struct FwCfgConfig {
    uint64_t ram_size = 128ull << 20;
    std::vector<E820Entry> e820; // empty: one RAM entry [0, ram_size)
    uint16_t cpus = 1;
    bool nographic = false;
    bool boot_menu = false;
    int32_t boot_fail_wait_ms = -1; // -1: never retry (QEMU's default reboot-timeout)
};

// A user item from `-fw_cfg`, with its contents loaded.
struct FwCfgBlob {
    std::string name;
    std::vector<uint8_t> data;
};

struct FwCfgBlobResult {
    FwCfgBlob blob;
    std::string error;   // non-empty: the option is rejected
    std::string warning; // non-empty: accepted, but worth telling the user
    bool ok() const { return error.empty(); }
};

// The blob of `-fw_cfg name=NAME,file=PATH` or `-fw_cfg name=NAME,string=TEXT`, from the parameters
// the option parser (engine/machine_config.cpp) split: checks the name (QEMU's rules) and that
// exactly one of file and string is given, and loads the file.
FwCfgBlobResult make_fw_cfg_blob(const std::string& name, const std::string* file,
                                 const std::string* string);

class FwCfg : public Device, public PortHandler {
  public:
    static constexpr uint16_t kSelectorPort = 0x510, kDataPort = 0x511, kDmaPort = 0x514;
    static constexpr uint16_t kFileFirst = 0x20;
    static constexpr size_t kMaxNameLength = 55; // FW_CFG_MAX_FILE_PATH (56) minus the NUL

    FwCfg(DeviceContext& ctx, const FwCfgConfig& config);
    ~FwCfg() override;

    std::string name() const override { return "fw_cfg"; }
    void reset() override; // selects the signature, clears the DMA address

    // Adds a named file. Errors: empty or too long name, duplicate, directory full.
    std::string add_file(const std::string& name, std::vector<uint8_t> data);
    std::string add_blob(const FwCfgBlob& blob) { return add_file(blob.name, blob.data); }
    // Regenerates "bootorder" and "bios-geometry" from the current devices (seed 000: on reset
    // and on prelaunch -> running).
    void rebuild_boot_data(const std::vector<BootDevice>& devices);

    // Contents of a file, or null (tests, debuggers).
    const std::vector<uint8_t>* file(const std::string& name) const;
    uint16_t file_key(const std::string& name) const; // 0 if absent

    uint32_t port_read(uint16_t port, unsigned size) override;
    void port_write(uint16_t port, unsigned size, uint32_t value) override;

  private:
    void set_item(uint16_t key, std::vector<uint8_t> data);
    void rebuild_directory();
    const std::vector<uint8_t>* item(uint16_t key) const;
    void select(uint16_t key);
    uint8_t read_data();
    void dma_transfer(uint64_t addr);
    bool dma_run(uint32_t control, uint32_t length, uint64_t address);
    void write_control(uint64_t addr, uint32_t control);

    IoPorts& io_;
    PhysMap& mem_;
    std::map<uint16_t, std::vector<uint8_t>> items_;    // legacy keys
    std::map<std::string, std::vector<uint8_t>> files_; // by name: directory order
    std::vector<std::pair<uint16_t, const std::vector<uint8_t>*>> file_keys_;
    std::vector<uint8_t> directory_;
    uint16_t cur_key_ = 0;
    uint32_t cur_offset_ = 0;
    uint64_t dma_addr_ = 0;
};

} // namespace rr86
