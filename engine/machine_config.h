// MachineConfig: everything that shapes the machine, parsed from QEMU-spelled options.
//
// The option list itself (not this struct) is what a trace header stores: replay re-parses it,
// so one parser defines the machine for run, record and replay alike.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace rr86 {

enum class ResetDelivery : uint8_t { Sync, Async };     // DESIGN.md "Event delivery models"
enum class FwCfgRefresh : uint8_t { OnRun, ResetOnly }; // seed 000: refresh on prelaunch->running

struct DriveConfig {
    std::string id;
    std::string file;
    std::string interface = "ide"; // "ide" (auto-attached) or "none" (attached by -device)
    int index = -1;                // if=ide: 0..3 = ide0-master, ide0-slave, ide1-master, ide1-slave
    bool readonly = false;
};

struct IdeDeviceConfig {
    std::string id;    // for device_del
    std::string drive; // DriveConfig::id
    int bus = -1;      // 0 or 1 (ide.0 / ide.1)
    int unit = -1;     // 0 master, 1 slave
    int bootindex = -1;
};

struct FwCfgBlobConfig {
    std::string name;
    std::string file;   // exactly one of file and string is set
    std::string string;
    bool from_string = false;
};

struct CharTarget {
    enum Kind : uint8_t { Null, Stdio, File, Unix } kind = Null;
    std::string path;
    bool server = false, wait = true;
};

struct MachineConfig {
    uint64_t ram_bytes = 128ull << 20;
    std::string bios_path = "/usr/share/seabios/bios.bin";
    bool bios_given = false;
    std::vector<DriveConfig> drives;
    std::vector<IdeDeviceConfig> ide_devices;
    std::vector<FwCfgBlobConfig> fw_cfg_blobs;
    bool start_paused = false; // -S: prelaunch
    bool no_reboot = false;
    bool nographic = false; // -nographic: the firmware is told there is no display (fw_cfg)
    CharTarget serial{CharTarget::Stdio};
    CharTarget debugcon{CharTarget::Null};
    CharTarget monitor{CharTarget::Null};
    std::optional<uint16_t> debug_exit_iobase; // -device isa-debug-exit
    uint16_t debug_exit_iosize = 4;
    ResetDelivery reset_delivery = ResetDelivery::Sync;
    FwCfgRefresh fw_cfg_refresh = FwCfgRefresh::OnRun;
    unsigned icount_shift = 3;                 // 2^shift ns of virtual time per instruction
    int64_t rtc_base = 1767225600;             // 2026-01-01T00:00:00Z, seconds since the epoch
    std::vector<std::string> warnings;         // non-fatal remarks (e.g. fw_cfg name outside opt/)
};

// Parses one option and its value (QEMU spelling without the dash: "m", "drive", ...), updating
// `cfg`. Returns an error message naming the problem, or nothing on success.
std::optional<std::string> apply_option(MachineConfig& cfg, const std::string& name,
                                        const std::string& value);
// Options that take no value ("S", "no-reboot", "nographic").
std::optional<std::string> apply_flag(MachineConfig& cfg, const std::string& name);
bool option_takes_value(const std::string& name);
bool is_machine_option(const std::string& name);

// The value of one -drive / -device ide-hd option (also the monitor's drive_add / device_add).
std::optional<std::string> parse_drive_spec(const std::string& spec, DriveConfig& out);
std::optional<std::string> parse_ide_device_spec(const std::string& spec, IdeDeviceConfig& out);

// Checks the whole configuration (drive references, duplicate ids/units). Call after parsing.
std::optional<std::string> validate(const MachineConfig& cfg);

// "a=b,c=d" with QEMU's ",," escape for a literal comma; a leading bare value is returned under
// the key "" (e.g. "-machine pc,...").
std::vector<std::pair<std::string, std::string>> split_keyvals(const std::string& s);

} // namespace rr86
