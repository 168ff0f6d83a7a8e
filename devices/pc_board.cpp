#include "devices/pc_board.h"

#include "devices/acpi_pm.h"
#include "devices/cmos_rtc.h"
#include "devices/debugcon.h"
#include "devices/disk_image.h"
#include "devices/fw_cfg.h"
#include "devices/i440fx.h"
#include "devices/i8042.h"
#include "devices/ide.h"
#include "devices/isa_debug_exit.h"
#include "devices/pci_bus.h"
#include "devices/pic8259.h"
#include "devices/piix3.h"
#include "devices/pit8254.h"
#include "devices/port92.h"
#include "devices/post_port.h"
#include "devices/uart16550.h"

#include <fmt/core.h>
#include <fstream>
#include <map>

namespace rr86 {

namespace {

// The PIC pair is both a device and the board's interrupt lines; devices built before it (none
// today, but the order must not matter) reach it through this forwarder.
class IrqRouter : public InterruptLines {
  public:
    InterruptLines* target = nullptr;
    void set_irq(unsigned line, bool level) override {
        if (target) target->set_irq(line, level);
    }
};

std::optional<std::string> load_bios(const std::string& path, bool given, std::vector<uint8_t>& out) {
    std::ifstream f(path, std::ios::binary);
    if (!f) {
        if (!given)
            return fmt::format("cannot read the default firmware '{}': install Debian's 'seabios' "
                               "package or give -bios PATH",
                               path);
        return fmt::format("-bios: cannot read '{}'", path);
    }
    out.assign(std::istreambuf_iterator<char>(f), {});
    if (f.bad()) return fmt::format("-bios: cannot read '{}'", path);
    // The image sits right below 4 GiB; QEMU's pc requires whole 64 KiB units, up to 16 MiB.
    if (out.empty() || out.size() % 65536 != 0 || out.size() > (16u << 20))
        return fmt::format("-bios: '{}' is {} bytes; a BIOS image is a multiple of 64 KiB, at most "
                           "16 MiB",
                           path, out.size());
    return {};
}

// The position (channel, unit) of an IDE slot number 0..3.
std::pair<unsigned, unsigned> slot_position(int slot) { return {unsigned(slot) / 2, unsigned(slot) % 2}; }

} // namespace

struct PcBoard::Parts {
    IrqRouter irq;
    DeviceContext ctx;
    std::vector<uint8_t> bios;
    std::unique_ptr<Pic8259Pair> pic;
    std::unique_ptr<Pit8254> pit;
    std::unique_ptr<CmosRtc> rtc;
    std::unique_ptr<I8042> kbc;
    std::unique_ptr<Port92> port92;
    std::unique_ptr<PostPort> post;
    std::unique_ptr<DebugCon> debugcon;
    std::unique_ptr<IsaDebugExit> debug_exit;
    std::unique_ptr<AcpiPm> pm;
    std::unique_ptr<PciBus> pci;
    std::unique_ptr<I440fx> host_bridge;
    std::unique_ptr<Piix3> south_bridge;
    std::unique_ptr<Uart16550> com1;
    std::unique_ptr<IdeController> ide;
    std::unique_ptr<FwCfg> fw_cfg;
    std::vector<Device*> devices; // reset order
    std::map<std::string, DriveConfig> pending_drives;     // drive_add'ed, not yet attached
    std::map<std::string, std::pair<int, int>> ide_by_id; // device id -> channel, unit

    Parts(Machine& m) : ctx{m.mem(), m.io(), m.clock(), irq, m} {}
};

PcBoard::PcBoard(Machine& m) : m_(m) {}
PcBoard::~PcBoard() = default;

std::unique_ptr<PcBoard> PcBoard::create(Machine& m, const MachineConfig& cfg, BoardSinks sinks,
                                         std::string& error) {
    std::unique_ptr<PcBoard> board(new PcBoard(m));
    board->parts_ = std::make_unique<Parts>(m);
    Parts& p = *board->parts_;
    if (auto err = load_bios(cfg.bios_path, cfg.bios_given, p.bios)) {
        error = *err;
        return nullptr;
    }
    m.mem().map_memory((1ull << 32) - p.bios.size(), p.bios.size(), p.bios.data(), nullptr, "bios");

    p.pic = std::make_unique<Pic8259Pair>(p.ctx);
    p.irq.target = p.pic.get();
    Cpu& cpu = m.cpu();
    p.pic->on_intr = [&cpu](bool level) { cpu.intr = level; };
    cpu.intr_ack = [](void* pic) { return static_cast<Pic8259Pair*>(pic)->acknowledge(); };
    cpu.intr_ctx = p.pic.get();

    p.pit = std::make_unique<Pit8254>(p.ctx);
    p.rtc = std::make_unique<CmosRtc>(p.ctx, cfg.rtc_base);
    p.rtc->set_memory_layout(cfg.ram_bytes, 0);
    p.kbc = std::make_unique<I8042>(p.ctx);
    p.port92 = std::make_unique<Port92>(p.ctx);
    p.post = std::make_unique<PostPort>(p.ctx);
    p.debugcon = std::make_unique<DebugCon>(p.ctx);
    p.debugcon->sink = sinks.debugcon;
    if (cfg.debug_exit_iobase) {
        if (auto err = IsaDebugExit::check_config(*cfg.debug_exit_iobase, cfg.debug_exit_iosize)) {
            error = *err;
            return nullptr;
        }
        p.debug_exit = std::make_unique<IsaDebugExit>(p.ctx, *cfg.debug_exit_iobase,
                                                      cfg.debug_exit_iosize);
    }
    p.pm = std::make_unique<AcpiPm>(p.ctx);
    p.pci = std::make_unique<PciBus>(p.ctx);
    p.host_bridge = std::make_unique<I440fx>(p.ctx, *p.pci, p.bios.data(), p.bios.size());
    p.south_bridge = std::make_unique<Piix3>(p.ctx, *p.pci);
    Pic8259Pair* pic = p.pic.get();
    AcpiPm* pm = p.pm.get();
    p.south_bridge->on_elcr = [pic](uint16_t mask) { pic->set_level_triggered(mask); };
    p.south_bridge->on_pm_io = [pm](uint16_t base, bool enabled) {
        pm->set_pm_base(base);
        pm->set_enabled(enabled);
    };
    p.com1 = std::make_unique<Uart16550>(p.ctx);
    p.com1->set_sink(sinks.serial);
    p.ide = std::make_unique<IdeController>(p.ctx);

    FwCfgConfig fc;
    fc.ram_size = cfg.ram_bytes;
    fc.nographic = cfg.nographic;
    p.fw_cfg = std::make_unique<FwCfg>(p.ctx, fc);
    for (const auto& b : cfg.fw_cfg_blobs) {
        FwCfgBlobResult r = make_fw_cfg_blob(b.name, b.from_string ? nullptr : &b.file,
                                             b.from_string ? &b.string : nullptr);
        if (!r.ok()) {
            error = r.error;
            return nullptr;
        }
        if (!r.warning.empty()) fmt::print(stderr, "rr86: warning: {}\n", r.warning);
        if (std::string err = p.fw_cfg->add_blob(r.blob); !err.empty()) {
            error = "-fw_cfg: " + err;
            return nullptr;
        }
    }
    if (auto err = board->attach_configured_drives(cfg)) {
        error = *err;
        return nullptr;
    }

    p.devices = {p.pic.get(),  p.pit.get(),         p.rtc.get(),          p.kbc.get(),
                 p.port92.get(), p.post.get(),      p.debugcon.get(),     p.pm.get(),
                 p.pci.get(),  p.host_bridge.get(), p.south_bridge.get(), p.com1.get(),
                 p.ide.get(),  p.fw_cfg.get()};
    if (p.debug_exit) p.devices.push_back(p.debug_exit.get());
    board->reset(); // creation is a reset (QEMU resets the machine before it starts)
    return board;
}

std::optional<std::string> PcBoard::attach_drive(const DriveConfig& d, int channel, int unit,
                                                 int bootindex) {
    DiskImage::OpenResult img = DiskImage::open(d.file, d.readonly);
    if (!img.image) return "-drive: " + img.error;
    IdeDriveOptions opt;
    opt.bootindex = bootindex;
    auto drive = std::make_unique<IdeDrive>(std::move(img.image), opt);
    if (std::string err = parts_->ide->attach(unsigned(channel), unsigned(unit), std::move(drive));
        !err.empty())
        return err;
    return {};
}

// -drive if=ide fill slots 0..3 in order (or their index=); -device ide-hd places if=none drives.
std::optional<std::string> PcBoard::attach_configured_drives(const MachineConfig& cfg) {
    int next = 0;
    bool used[4] = {};
    for (const auto& d : cfg.drives) {
        if (d.interface != "ide") continue;
        int slot = d.index;
        if (slot < 0) {
            while (next < 4 && used[next]) ++next;
            slot = next;
        }
        if (slot > 3 || used[slot]) return std::string("-drive: no free IDE position");
        used[slot] = true;
        auto [ch, unit] = slot_position(slot);
        if (auto err = attach_drive(d, int(ch), int(unit), -1)) return err;
    }
    for (const auto& dev : cfg.ide_devices) {
        const DriveConfig* d = nullptr;
        for (const auto& x : cfg.drives)
            if (x.id == dev.drive) d = &x;
        if (auto err = place_ide_device(dev, *d)) return err;
    }
    return {};
}

std::optional<std::string> PcBoard::place_ide_device(const IdeDeviceConfig& dev,
                                                     const DriveConfig& d) {
    int ch = dev.bus, unit = dev.unit;
    if (ch < 0 || unit < 0) {
        // First free position on the given bus (or any bus), as QEMU's IDE bus does.
        for (int slot = 0; slot < 4; ++slot) {
            auto [c, u] = slot_position(slot);
            if ((dev.bus < 0 || int(c) == dev.bus) && (dev.unit < 0 || int(u) == dev.unit) &&
                !parts_->ide->drive(c, u)) {
                ch = int(c), unit = int(u);
                break;
            }
        }
        if (ch < 0 || unit < 0) return fmt::format("-device ide-hd: no free IDE position for '{}'",
                                                   dev.drive);
    }
    if (auto err = attach_drive(d, ch, unit, dev.bootindex)) return err;
    if (!dev.id.empty()) parts_->ide_by_id[dev.id] = {ch, unit};
    return {};
}

void PcBoard::refresh_boot_data() { parts_->fw_cfg->rebuild_boot_data(parts_->ide->boot_devices()); }

void PcBoard::reset() {
    for (Device* d : parts_->devices) d->reset();
    refresh_boot_data(); // QEMU's fw_cfg_machine_reset: always on reset
}

void PcBoard::on_start() {
    // Seed 000: disks hot-added in prelaunch must be in bootorder before the firmware runs.
    if (m_.config().fw_cfg_refresh == FwCfgRefresh::OnRun) refresh_boot_data();
}

void PcBoard::serial_input(const std::string& bytes) {
    parts_->com1->receive(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
}

std::optional<std::string> PcBoard::monitor_command(const std::string& cmd, const std::string& args,
                                                    RunState state) {
    Parts& p = *parts_;
    if (cmd == "drive_add") {
        // drive_add <pci-addr|0> <options>: the address is ignored for if=none drives.
        size_t sp = args.find(' ');
        std::string spec = sp == std::string::npos ? "" : args.substr(sp + 1);
        DriveConfig d;
        if (auto err = parse_drive_spec(spec, d)) return "Error: " + *err + "\n";
        if (d.interface != "none") return std::string("Error: drive_add supports if=none only\n");
        if (p.pending_drives.count(d.id)) return fmt::format("Error: drive '{}' exists\n", d.id);
        DiskImage::OpenResult img = DiskImage::open(d.file, d.readonly);
        if (!img.image) return "Error: " + img.error + "\n";
        p.pending_drives[d.id] = d;
        return std::string("OK\n");
    }
    if (cmd == "device_add") {
        IdeDeviceConfig dev;
        auto kv = split_keyvals(args);
        if (kv.empty() || !kv[0].first.empty() || kv[0].second != "ide-hd")
            return std::string("Error: device_add supports ide-hd only\n");
        if (auto err = parse_ide_device_spec(args, dev)) return "Error: " + *err + "\n";
        if (state != RunState::Prelaunch)
            return std::string("Error: IDE does not support hot-plug: add disks in the prelaunch "
                               "state (-S)\n");
        auto it = p.pending_drives.find(dev.drive);
        if (it == p.pending_drives.end())
            return fmt::format("Error: no drive '{}' (drive_add it first)\n", dev.drive);
        if (!dev.id.empty() && p.ide_by_id.count(dev.id))
            return fmt::format("Error: duplicate device id '{}'\n", dev.id);
        if (auto err = place_ide_device(dev, it->second)) return "Error: " + *err + "\n";
        p.pending_drives.erase(it);
        return std::string("");
    }
    if (cmd == "device_del") {
        auto it = p.ide_by_id.find(args);
        if (it == p.ide_by_id.end()) return fmt::format("Error: no device with id '{}'\n", args);
        if (state != RunState::Prelaunch)
            return std::string("Error: IDE does not support hot-unplug while the guest runs\n");
        p.ide->detach(unsigned(it->second.first), unsigned(it->second.second));
        p.ide_by_id.erase(it);
        return std::string("");
    }
    return std::nullopt;
}

} // namespace rr86
