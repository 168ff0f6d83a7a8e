// The trace header as C++ values: everything that makes two sessions the same machine
// (determinism contract, item 1). Mirrors `Header` in trace.capnp.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace rr86::trace {

enum class ResetDelivery : uint16_t { Sync, Async };
enum class FwCfgRefresh : uint16_t { OnRun, ResetOnly };
enum class ImageRole : uint16_t {
    Firmware,
    OptionRom,
    Disk,
    Cdrom,
    FwCfgBlob,
    Nvram,
    Kernel,
    Initrd,
    Other
};

struct MachineConfig {
    uint64_t ram_bytes = 0;
    std::string cpu_model;
    ResetDelivery reset_delivery = ResetDelivery::Sync;
    FwCfgRefresh fw_cfg_refresh = FwCfgRefresh::OnRun;
    int64_t rtc_start = 0; // seconds since 1970-01-01T00:00:00Z
    uint8_t icount_shift = 0;
    bool operator==(const MachineConfig&) const = default;
};

struct Option {
    std::string key;
    std::string value;
    bool operator==(const Option&) const = default;
};

struct ImageInfo {
    ImageRole role = ImageRole::Other;
    std::string name; // guest-visible: "bios", "ide0-hd0", "opt/GuestInfo"
    std::string path; // host path at record time, empty for inline blobs
    uint64_t size = 0;
    std::string digest; // XXH3-128 hex (Digest128::hex)
    bool operator==(const ImageInfo&) const = default;
};

struct Header {
    // Set by the writer from format.h; filled in from the file by the reader.
    uint32_t format_version = 0;
    uint32_t min_reader_version = 0;
    std::string rr86_version;
    std::vector<Option> options; // the whole configuration, in the order given
    MachineConfig machine;
    std::vector<ImageInfo> images;
    bool operator==(const Header&) const = default;
};

std::string role_name(ImageRole role);
std::string reset_delivery_name(ResetDelivery model); // "sync" | "async"
std::string fw_cfg_refresh_name(FwCfgRefresh model);  // "on-run" | "reset-only"
// "2024-01-01T00:00:00Z"
std::string format_utc(int64_t seconds_since_epoch);

} // namespace rr86::trace
