#include "engine/machine_config.h"

#include <algorithm>
#include <charconv>
#include <fmt/core.h>
#include <set>

namespace rr86 {

namespace {

using Error = std::optional<std::string>;

std::optional<uint64_t> parse_number(const std::string& s) {
    if (s.empty()) return std::nullopt;
    uint64_t v = 0;
    const char* begin = s.data();
    int base = 10;
    if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        begin += 2;
        base = 16;
    }
    auto [end, ec] = std::from_chars(begin, s.data() + s.size(), v, base);
    if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
    return v;
}

std::optional<bool> parse_bool(const std::string& s) {
    if (s == "on" || s == "yes" || s == "true" || s == "1") return true;
    if (s == "off" || s == "no" || s == "false" || s == "0") return false;
    return std::nullopt;
}

// "-m 128", "-m 128M", "-m 1G", "-m size=256M": MiB by default, as QEMU.
Error parse_ram(MachineConfig& cfg, std::string v) {
    if (v.rfind("size=", 0) == 0) v = v.substr(5);
    uint64_t unit = 1ull << 20;
    if (!v.empty()) {
        char suffix = char(toupper(v.back()));
        if (suffix == 'K' || suffix == 'M' || suffix == 'G') {
            unit = suffix == 'K' ? 1ull << 10 : suffix == 'M' ? 1ull << 20 : 1ull << 30;
            v.pop_back();
        }
    }
    auto n = parse_number(v);
    if (!n || *n == 0) return fmt::format("invalid RAM size '{}'", v);
    uint64_t bytes = *n * unit;
    // Below the PCI hole; the 32-bit map (e820) of `pc` with RAM up to 3 GiB.
    if (bytes < (2ull << 20) || bytes > (3ull << 30))
        return fmt::format("RAM size {} MiB out of range (2 MiB to 3072 MiB)", bytes >> 20);
    cfg.ram_bytes = bytes & ~uint64_t(0xfff);
    return {};
}

} // namespace

std::optional<std::string> parse_drive_spec(const std::string& v, DriveConfig& d) {
    d = DriveConfig{};
    for (auto& [k, val] : split_keyvals(v)) {
        if (k == "file") d.file = val;
        else if (k == "format") {
            if (val != "raw") return fmt::format("-drive: unsupported format '{}' (only raw)", val);
        } else if (k == "if") {
            if (val != "ide" && val != "none")
                return fmt::format("-drive: unsupported interface '{}' (ide or none)", val);
            d.interface = val;
        } else if (k == "index") {
            auto n = parse_number(val);
            if (!n || *n > 3) return fmt::format("-drive: invalid index '{}' (0 to 3)", val);
            d.index = int(*n);
        } else if (k == "media") {
            if (val != "disk") return fmt::format("-drive: unsupported media '{}' (disk)", val);
        } else if (k == "readonly") {
            auto b = parse_bool(val);
            if (!b) return fmt::format("-drive: invalid readonly value '{}'", val);
            d.readonly = *b;
        } else if (k == "id") {
            d.id = val;
        } else {
            return fmt::format("-drive: unknown parameter '{}'", k.empty() ? val : k);
        }
    }
    if (d.file.empty()) return std::string("-drive: missing file=");
    if (d.interface == "none" && d.id.empty()) return std::string("-drive: if=none needs id=");
    return {};
}

std::optional<std::string> parse_ide_device_spec(const std::string& v, IdeDeviceConfig& dev) {
    auto kv = split_keyvals(v);
    dev = IdeDeviceConfig{};
    for (size_t i = 1; i < kv.size(); ++i) {
        auto& [k, val] = kv[i];
        if (k == "drive") dev.drive = val;
        else if (k == "bus") {
            if (val != "ide.0" && val != "ide.1")
                return fmt::format("-device ide-hd: invalid bus '{}' (ide.0 or ide.1)", val);
            dev.bus = val.back() - '0';
        } else if (k == "unit") {
            auto n = parse_number(val);
            if (!n || *n > 1) return fmt::format("-device ide-hd: invalid unit '{}' (0 or 1)", val);
            dev.unit = int(*n);
        } else if (k == "bootindex") {
            auto n = parse_number(val);
            if (!n || *n > 1000) return fmt::format("-device ide-hd: invalid bootindex '{}'", val);
            dev.bootindex = int(*n);
        } else if (k == "id") {
            dev.id = val;
        } else {
            return fmt::format("-device ide-hd: unknown parameter '{}'", k);
        }
    }
    if (dev.drive.empty()) return std::string("-device ide-hd: missing drive=");
    return {};
}

namespace {

Error parse_debug_exit(MachineConfig& cfg, const std::vector<std::pair<std::string, std::string>>& kv) {
    uint16_t base = 0x501, size = 2; // QEMU's defaults for isa-debug-exit
    for (size_t i = 1; i < kv.size(); ++i) {
        auto& [k, val] = kv[i];
        auto n = parse_number(val);
        if (k == "iobase" && n && *n <= 0xffff) base = uint16_t(*n);
        else if (k == "iosize" && n && (*n == 1 || *n == 2 || *n == 4)) size = uint16_t(*n);
        else return fmt::format("-device isa-debug-exit: invalid parameter '{}={}'", k, val);
    }
    cfg.debug_exit_iobase = base;
    cfg.debug_exit_iosize = size;
    return {};
}

Error parse_device(MachineConfig& cfg, const std::string& v) {
    auto kv = split_keyvals(v);
    std::string driver = kv.empty() ? "" : kv[0].second;
    if (!kv.empty() && !kv[0].first.empty()) driver = "";
    if (driver == "ide-hd") {
        IdeDeviceConfig dev;
        if (auto err = parse_ide_device_spec(v, dev)) return err;
        cfg.ide_devices.push_back(dev);
        return {};
    }
    if (driver == "isa-debug-exit") return parse_debug_exit(cfg, kv);
    return fmt::format("-device: unsupported device '{}' (ide-hd, isa-debug-exit)", driver);
}

// Only the syntax is checked here; the name rules and loading the file belong to the fw_cfg
// device (make_fw_cfg_blob), which the board calls when it builds the machine.
Error parse_fw_cfg(MachineConfig& cfg, const std::string& v) {
    FwCfgBlobConfig b;
    bool has_file = false, has_string = false;
    for (auto& [k, val] : split_keyvals(v)) {
        if (k == "name") b.name = val;
        else if (k == "file") b.file = val, has_file = true;
        else if (k == "string") b.string = val, has_string = true;
        else return fmt::format("-fw_cfg: unknown parameter '{}'", k.empty() ? val : k);
    }
    if (b.name.empty()) return std::string("-fw_cfg: missing name=");
    if (has_file == has_string) return std::string("-fw_cfg: give exactly one of file= and string=");
    b.from_string = has_string;
    cfg.fw_cfg_blobs.push_back(b);
    return {};
}

Error parse_char_target(CharTarget& t, const std::string& v, const char* option) {
    auto kv = split_keyvals(v);
    std::string head = kv.empty() ? "" : kv[0].second;
    if (head == "stdio") t = {CharTarget::Stdio};
    else if (head == "null" || head == "none") t = {CharTarget::Null};
    else if (head.rfind("file:", 0) == 0 && head.size() > 5) t = {CharTarget::File, head.substr(5)};
    else if (head.rfind("unix:", 0) == 0 && head.size() > 5) t = {CharTarget::Unix, head.substr(5)};
    else return fmt::format("{}: unsupported target '{}' (stdio, null, file:PATH, unix:PATH)",
                            option, head);
    for (size_t i = 1; i < kv.size(); ++i) {
        auto& [k, val] = kv[i];
        auto b = parse_bool(val);
        if (t.kind == CharTarget::Unix && k == "server" && b) t.server = *b;
        else if (t.kind == CharTarget::Unix && k == "wait" && b) t.wait = *b;
        else return fmt::format("{}: invalid parameter '{}={}'", option, k, val);
    }
    return {};
}

Error parse_machine(MachineConfig& cfg, const std::string& v) {
    for (auto& [k, val] : split_keyvals(v)) {
        if (k.empty() || k == "type") {
            if (val != "pc") return fmt::format("-machine: unsupported machine '{}' (pc)", val);
        } else if (k == "reset-delivery") {
            if (val == "sync") cfg.reset_delivery = ResetDelivery::Sync;
            else if (val == "async") cfg.reset_delivery = ResetDelivery::Async;
            else return fmt::format("-machine: reset-delivery must be sync or async, not '{}'", val);
        } else if (k == "fw-cfg-refresh") {
            if (val == "on-run") cfg.fw_cfg_refresh = FwCfgRefresh::OnRun;
            else if (val == "reset-only") cfg.fw_cfg_refresh = FwCfgRefresh::ResetOnly;
            else return fmt::format("-machine: fw-cfg-refresh must be on-run or reset-only, not '{}'",
                                    val);
        } else if (k != "accel") {
            return fmt::format("-machine: unknown parameter '{}'", k);
        }
    }
    return {};
}

Error parse_icount(MachineConfig& cfg, const std::string& v) {
    for (auto& [k, val] : split_keyvals(v)) {
        std::string x = k.empty() ? val : (k == "shift" ? val : "");
        if (k != "" && k != "shift") return fmt::format("-icount: unknown parameter '{}'", k);
        auto n = parse_number(x);
        if (!n || *n > 10) return fmt::format("-icount: shift must be 0 to 10, not '{}'", x);
        cfg.icount_shift = unsigned(*n);
    }
    return {};
}

// -rtc base=YYYY-MM-DD[THH:MM:SS] (UTC): the RTC start date is part of the configuration.
Error parse_rtc(MachineConfig& cfg, const std::string& v) {
    for (auto& [k, val] : split_keyvals(v)) {
        if (k != "base") return fmt::format("-rtc: unknown parameter '{}'", k.empty() ? val : k);
        int y, mo, d, h = 0, mi = 0, s = 0;
        int n = sscanf(val.c_str(), "%d-%d-%dT%d:%d:%d", &y, &mo, &d, &h, &mi, &s);
        if ((n != 3 && n != 6) || y < 1970 || y > 2099 || mo < 1 || mo > 12 || d < 1 || d > 31 ||
            h > 23 || mi > 59 || s > 59)
            return fmt::format("-rtc: invalid base '{}' (YYYY-MM-DDTHH:MM:SS)", val);
        // Days from civil date (proleptic Gregorian), H. Hinnant's algorithm.
        int yy = y - (mo <= 2);
        int era = yy / 400, yoe = yy - era * 400;
        int doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
        int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        int64_t days = int64_t(era) * 146097 + doe - 719468;
        cfg.rtc_base = days * 86400 + h * 3600 + mi * 60 + s;
    }
    return {};
}

} // namespace

std::vector<std::pair<std::string, std::string>> split_keyvals(const std::string& s) {
    std::vector<std::string> parts(1);
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == ',' && i + 1 < s.size() && s[i + 1] == ',') {
            parts.back() += ',';
            ++i;
        } else if (s[i] == ',') {
            parts.emplace_back();
        } else {
            parts.back() += s[i];
        }
    }
    std::vector<std::pair<std::string, std::string>> out;
    for (auto& p : parts) {
        if (p.empty()) continue;
        auto eq = p.find('=');
        if (eq == std::string::npos) out.emplace_back("", p);
        else out.emplace_back(p.substr(0, eq), p.substr(eq + 1));
    }
    return out;
}

bool option_takes_value(const std::string& name) {
    static const std::set<std::string> kWithValue = {
        "bios", "m", "drive", "device", "fw_cfg", "serial", "debugcon", "monitor",
        "machine", "icount", "rtc", "display"};
    return kWithValue.count(name) > 0;
}

bool is_machine_option(const std::string& name) {
    return option_takes_value(name) || name == "S" || name == "no-reboot" || name == "nographic";
}

std::optional<std::string> apply_flag(MachineConfig& cfg, const std::string& name) {
    if (name == "S") cfg.start_paused = true;
    else if (name == "no-reboot") cfg.no_reboot = true;
    else if (name == "nographic") cfg.nographic = true;
    else return fmt::format("unknown option '-{}'", name);
    return {};
}

std::optional<std::string> apply_option(MachineConfig& cfg, const std::string& name,
                                        const std::string& value) {
    if (name == "bios") {
        if (value.empty()) return std::string("-bios: empty path");
        cfg.bios_path = value;
        cfg.bios_given = true;
        return {};
    }
    if (name == "m") return parse_ram(cfg, value);
    if (name == "drive") {
        DriveConfig d;
        if (auto err = parse_drive_spec(value, d)) return err;
        cfg.drives.push_back(d);
        return {};
    }
    if (name == "device") return parse_device(cfg, value);
    if (name == "fw_cfg") return parse_fw_cfg(cfg, value);
    if (name == "serial") return parse_char_target(cfg.serial, value, "-serial");
    if (name == "debugcon") return parse_char_target(cfg.debugcon, value, "-debugcon");
    if (name == "monitor") return parse_char_target(cfg.monitor, value, "-monitor");
    if (name == "machine") return parse_machine(cfg, value);
    if (name == "icount") return parse_icount(cfg, value);
    if (name == "rtc") return parse_rtc(cfg, value);
    if (name == "display") {
        if (value != "none") return fmt::format("-display: unsupported '{}' (none)", value);
        return {};
    }
    return fmt::format("unknown option '-{}'", name);
}

std::optional<std::string> validate(const MachineConfig& cfg) {
    std::set<std::string> ids;
    for (const auto& d : cfg.drives) {
        if (!d.id.empty() && !ids.insert(d.id).second)
            return fmt::format("-drive: duplicate id '{}'", d.id);
    }
    std::set<int> slots;
    int next_auto = 0;
    for (const auto& d : cfg.drives) {
        if (d.interface != "ide") continue;
        int slot = d.index >= 0 ? d.index : next_auto;
        while (d.index < 0 && slots.count(slot)) ++slot;
        if (slot > 3) return std::string("-drive: more than four IDE drives");
        if (!slots.insert(slot).second) return fmt::format("-drive: IDE index {} used twice", slot);
        if (d.index < 0) next_auto = slot + 1;
    }
    std::set<std::string> used;
    for (const auto& dev : cfg.ide_devices) {
        auto it = std::find_if(cfg.drives.begin(), cfg.drives.end(),
                               [&](const DriveConfig& d) { return d.id == dev.drive; });
        if (it == cfg.drives.end())
            return fmt::format("-device ide-hd: no drive with id '{}'", dev.drive);
        if (it->interface != "none")
            return fmt::format("-device ide-hd: drive '{}' is not if=none", dev.drive);
        if (!used.insert(dev.drive).second)
            return fmt::format("-device ide-hd: drive '{}' attached twice", dev.drive);
    }
    return {};
}

} // namespace rr86
