#include "devices/ide.h"

#include <algorithm>

namespace rr86 {

namespace {
// Status register bits (ATA-6 §7.15).
constexpr uint8_t kBsy = 0x80, kDrdy = 0x40, kDsc = 0x10, kDrq = 0x08, kErr = 0x01;
constexpr uint8_t kReady = kDrdy | kDsc; // DSC: legacy "seek complete", set as QEMU does
// Error register bits.
constexpr uint8_t kAbrt = 0x04, kIdnf = 0x10, kUnc = 0x40;
// Device control register bits.
constexpr uint8_t kHob = 0x80, kSrst = 0x04, kNien = 0x02;
// Device register: LBA addressing, device 1 select.
constexpr uint8_t kLbaBit = 0x40, kDevBit = 0x10, kDevAlwaysOn = 0xa0;

constexpr unsigned kRegData = 0, kRegFeature = 1, kRegNsector = 2, kRegSector = 3;
constexpr unsigned kRegLcyl = 4, kRegHcyl = 5, kRegSelect = 6, kRegCommand = 7;
constexpr unsigned kRegControl = 8, kNoReg = 0xff;

constexpr uint32_t kSector = DiskImage::kSectorSize;
constexpr uint32_t kMaxMultiple = 16;
constexpr uint64_t kLba28Max = 0x0fffffff;

// Commands that succeed without doing anything here: SEEK; FLUSH CACHE (EXT), since every write
// already reached the image; the standby, idle and sleep commands (the disk never spins down).
constexpr uint8_t kNoActionCommands[] = {0x70, 0xe7, 0xea, 0xe0, 0xe1, 0xe2, 0xe3,
                                         0xe6, 0x94, 0x95, 0x96, 0x97, 0x99};

// ATA strings: two characters per word, the first in the high byte; padded with spaces.
void put_string(std::vector<uint8_t>& b, unsigned word, unsigned words, const std::string& s) {
    for (unsigned i = 0; i < words * 2; ++i) {
        char c = i < s.size() ? s[i] : ' ';
        b[2 * word + (i ^ 1)] = uint8_t(c);
    }
}

void put16(std::vector<uint8_t>& b, unsigned word, uint16_t v) {
    b[2 * word] = uint8_t(v);
    b[2 * word + 1] = uint8_t(v >> 8);
}

void put32(std::vector<uint8_t>& b, unsigned word, uint32_t v) {
    put16(b, word, uint16_t(v));
    put16(b, word + 1, uint16_t(v >> 16));
}

// QEMU's guess_chs_for_size: 16 heads, 63 sectors, 2-16383 cylinders.
Chs guess_geometry(uint64_t sectors) {
    uint64_t cyls = sectors / (16 * 63);
    return {uint32_t(std::clamp<uint64_t>(cyls, 2, 16383)), 16, 63};
}

// "RR8600001" for the primary master, ... "RR8600004" for the secondary slave.
std::string default_serial(unsigned index) {
    std::string n = std::to_string(index + 1);
    return "RR86" + std::string(5 - n.size(), '0') + n;
}

bool valid_chs(const Chs& g) {
    return g.cylinders >= 1 && g.cylinders <= 65535 && g.heads >= 1 && g.heads <= 16 &&
           g.sectors >= 1 && g.sectors <= 255;
}
// INT 13h limits for the BIOS translation hint (1024 cylinders, 255 heads, 63 sectors).
bool valid_bios_chs(const Chs& g) {
    return g.cylinders >= 1 && g.cylinders <= 1024 && g.heads >= 1 && g.heads <= 255 &&
           g.sectors >= 1 && g.sectors <= 63;
}
} // namespace

IdeDrive::IdeDrive(std::unique_ptr<DiskImage> image, IdeDriveOptions options)
    : image_(std::move(image)), options_(std::move(options)) {
    geometry_ = options_.chs ? *options_.chs : guess_geometry(image_ ? image_->sectors() : 0);
}

IdeController::IdeController(DeviceContext& ctx) : io_(ctx.io), irq_(ctx.irq) {
    for (unsigned ch = 0; ch < 2; ++ch) {
        io_.claim(kCmdBase[ch], 8, this);
        io_.claim(kCtlPort[ch], 1, this);
    }
    reset();
}

IdeController::~IdeController() {
    for (unsigned ch = 0; ch < 2; ++ch) {
        if (io_.owner(kCmdBase[ch]) == this) io_.release(kCmdBase[ch], 8);
        if (io_.owner(kCtlPort[ch]) == this) io_.release(kCtlPort[ch], 1);
    }
}

void IdeController::reset() {
    for (unsigned ch = 0; ch < 2; ++ch) {
        Channel& c = channels_[ch];
        c.devctl = 0;
        c.selected = 0;
        for (unsigned u = 0; u < 2; ++u)
            reset_unit(c.units[u], ch, u);
        set_pending(ch, false);
    }
}

void IdeController::signature(Unit& u) {
    // ATA-6 §9.12: the signature of a non-PACKET device after reset or diagnostics.
    u.nsector = 1, u.sector = 1, u.lcyl = 0, u.hcyl = 0;
    u.hob_nsector = u.hob_sector = u.hob_lcyl = u.hob_hcyl = 0;
    u.select = kDevAlwaysOn;
}

void IdeController::reset_unit(Unit& u, unsigned ch, unsigned unit) {
    u.xfer = Xfer::None;
    u.feature = u.hob_feature = 0;
    u.logical = u.drive ? u.drive->geometry() : Chs{};
    u.mult_sectors = kMaxMultiple;
    signature(u);
    u.status = u.drive ? kReady : 0;
    u.error = u.drive ? 0x01 : 0;
}

std::string IdeController::attach(unsigned channel, unsigned unit, std::unique_ptr<IdeDrive> d) {
    if (channel > 1 || unit > 1)
        return "ide: no such position (bus " + std::to_string(channel) + ", unit " +
               std::to_string(unit) + ")";
    if (!d) return "ide: no drive given";
    std::string where = "ide." + std::to_string(channel) + " unit " + std::to_string(unit);
    if (channels_[channel].units[unit].drive) return where + " is already in use";
    if (d->image().sectors() == 0) return "ide: disk image '" + d->image().path() + "' is empty";
    if (!valid_chs(d->geometry())) return "ide: invalid CHS geometry for " + where;
    const auto& l = d->options().lchs;
    if (l && !valid_bios_chs(*l)) return "ide: invalid BIOS geometry (lchs) for " + where;
    Unit& u = channels_[channel].units[unit];
    u.drive = std::move(d);
    reset_unit(u, channel, unit);
    return {};
}

std::unique_ptr<IdeDrive> IdeController::detach(unsigned channel, unsigned unit) {
    if (channel > 1 || unit > 1) return nullptr;
    Unit& u = channels_[channel].units[unit];
    std::unique_ptr<IdeDrive> d = std::move(u.drive);
    reset_unit(u, channel, unit);
    return d;
}

IdeDrive* IdeController::drive(unsigned channel, unsigned unit) const {
    if (channel > 1 || unit > 1) return nullptr;
    return channels_[channel].units[unit].drive.get();
}

std::string IdeController::firmware_path(unsigned channel, unsigned unit) {
    static const char* hex = "0123456789abcdef";
    return std::string("/pci@i0cf8/ide@1,1/drive@") + hex[channel & 15] + "/disk@" + hex[unit & 15];
}

std::vector<BootDevice> IdeController::boot_devices() const {
    std::vector<BootDevice> out;
    for (unsigned ch = 0; ch < 2; ++ch) {
        for (unsigned u = 0; u < 2; ++u) {
            const IdeDrive* d = channels_[ch].units[u].drive.get();
            if (!d) continue;
            BootDevice b{firmware_path(ch, u), d->bootindex()};
            if (const auto& l = d->options().lchs) {
                b.lcyls = l->cylinders, b.lheads = l->heads, b.lsecs = l->sectors;
            }
            out.push_back(std::move(b));
        }
    }
    return out;
}

// ---- interrupt line ----

void IdeController::set_pending(unsigned ch, bool pending) {
    channels_[ch].pending = pending;
    update_line(ch);
}

// INTRQ is driven while an interrupt is pending and nIEN is clear (ATA-6 §7.9.6).
void IdeController::update_line(unsigned ch) {
    Channel& c = channels_[ch];
    bool level = c.pending && !(c.devctl & kNien);
    if (level == c.line) return;
    c.line = level;
    irq_.set_irq(kIrq[ch], level);
}

// ---- port decoding ----

uint8_t IdeController::reg_of(uint16_t port, unsigned& channel, bool& control) {
    for (unsigned ch = 0; ch < 2; ++ch) {
        channel = ch;
        control = port == kCtlPort[ch];
        if (control) return kRegControl;
        if (port >= kCmdBase[ch] && port < kCmdBase[ch] + 8) return uint8_t(port - kCmdBase[ch]);
    }
    return kNoReg;
}

uint32_t IdeController::port_read(uint16_t port, unsigned size) {
    unsigned ch;
    bool control;
    uint8_t reg = reg_of(port, ch, control);
    if (reg == kRegData && size >= 2) {
        uint32_t v = read_data16(ch);
        if (size == 4) v |= uint32_t(read_data16(ch)) << 16;
        return v;
    }
    // Other registers are 8 bits wide: a wider access is a sequence of byte accesses.
    uint32_t v = 0;
    for (unsigned i = 0; i < size; ++i) {
        uint8_t r = reg_of(uint16_t(port + i), ch, control);
        uint8_t b = (r == kNoReg || r == kRegData) ? 0xff : read_reg(ch, r);
        v |= uint32_t(b) << (8 * i);
    }
    return v;
}

void IdeController::port_write(uint16_t port, unsigned size, uint32_t value) {
    unsigned ch;
    bool control;
    uint8_t reg = reg_of(port, ch, control);
    if (reg == kRegData && size >= 2) {
        write_data16(ch, uint16_t(value));
        if (size == 4) write_data16(ch, uint16_t(value >> 16));
        return;
    }
    for (unsigned i = 0; i < size; ++i) {
        uint8_t r = reg_of(uint16_t(port + i), ch, control);
        if (r == kRegControl)
            write_devctl(ch, uint8_t(value >> (8 * i)));
        else if (r != kNoReg && r != kRegData)
            write_reg(ch, r, uint8_t(value >> (8 * i)));
    }
}

// ---- registers ----

uint8_t IdeController::read_reg(unsigned ch, uint8_t reg) {
    Channel& c = channels_[ch];
    if (empty(c)) return 0xff; // nothing drives the bus
    Unit& u = c.units[c.selected];
    bool hob = c.devctl & kHob;
    switch (reg) {
    case kRegFeature: return u.error;
    case kRegNsector: return hob ? u.hob_nsector : u.nsector;
    case kRegSector: return hob ? u.hob_sector : u.sector;
    case kRegLcyl: return hob ? u.hob_lcyl : u.lcyl;
    case kRegHcyl: return hob ? u.hob_hcyl : u.hcyl;
    case kRegSelect: return u.select;
    case kRegCommand: // Status: reading it acknowledges the interrupt
        set_pending(ch, false);
        return u.drive ? u.status : 0;
    case kRegControl: return u.drive ? u.status : 0; // Alternate Status
    default: return 0xff;
    }
}

void IdeController::write_reg(unsigned ch, uint8_t reg, uint8_t v) {
    Channel& c = channels_[ch];
    c.devctl &= uint8_t(~kHob); // a command block write clears HOB (ATA-6 §7.9.6)
    if (reg == kRegCommand) {
        execute(ch, v);
        return;
    }
    // Both devices latch command block writes; the previous value is kept for LBA48 (HOB).
    for (Unit& u : c.units) {
        auto latch = [v](uint8_t& cur, uint8_t& prev) { prev = cur, cur = v; };
        switch (reg) {
        case kRegFeature: latch(u.feature, u.hob_feature); break;
        case kRegNsector: latch(u.nsector, u.hob_nsector); break;
        case kRegSector: latch(u.sector, u.hob_sector); break;
        case kRegLcyl: latch(u.lcyl, u.hob_lcyl); break;
        case kRegHcyl: latch(u.hcyl, u.hob_hcyl); break;
        case kRegSelect: u.select = v | kDevAlwaysOn; break;
        default: break;
        }
    }
    if (reg == kRegSelect) c.selected = (v & kDevBit) ? 1 : 0;
}

void IdeController::write_devctl(unsigned ch, uint8_t v) {
    Channel& c = channels_[ch];
    uint8_t old = c.devctl;
    c.devctl = v & (kHob | kSrst | kNien);
    if (!(old & kSrst) && (v & kSrst)) {
        // SRST asserted: both devices are busy until it is released.
        for (Unit& u : c.units) {
            u.xfer = Xfer::None;
            if (u.drive) u.status = kBsy;
        }
        c.pending = false;
    } else if ((old & kSrst) && !(v & kSrst)) {
        // Reset complete: signature, diagnostics passed, device 0 selected. Settings made by
        // SET MULTIPLE and INITIALIZE DEVICE PARAMETERS survive a soft reset.
        for (Unit& u : c.units) {
            signature(u);
            u.status = u.drive ? kReady : 0;
            u.error = u.drive ? 0x01 : 0;
        }
        c.selected = 0;
    }
    update_line(ch);
}

// ---- data port ----

uint16_t IdeController::read_data16(unsigned ch) {
    Channel& c = channels_[ch];
    Unit& u = c.units[c.selected];
    if (empty(c) || !u.drive) return 0xffff;
    if (u.xfer != Xfer::ReadDisk && u.xfer != Xfer::ReadBuffer) return 0;
    uint16_t v = uint16_t(u.buf[u.pos] | u.buf[u.pos + 1] << 8);
    u.pos += 2;
    if (u.pos >= u.end) {
        if (u.xfer == Xfer::ReadDisk) {
            finish_read_block(ch, u);
        } else {
            u.xfer = Xfer::None;
            u.status = kReady;
        }
    }
    return v;
}

void IdeController::write_data16(unsigned ch, uint16_t v) {
    Channel& c = channels_[ch];
    Unit& u = c.units[c.selected];
    if (!u.drive || u.xfer != Xfer::WriteDisk) return;
    u.buf[u.pos] = uint8_t(v);
    u.buf[u.pos + 1] = uint8_t(v >> 8);
    u.pos += 2;
    if (u.pos >= u.end) finish_write_block(ch, u);
}

// ---- commands ----

void IdeController::execute(unsigned ch, uint8_t cmd) {
    Channel& c = channels_[ch];
    Unit& u = c.units[c.selected];
    if (!u.drive || (c.devctl & kSrst)) return; // absent or in reset: nobody executes it
    set_pending(ch, false);
    u.xfer = Xfer::None;
    if (cmd == 0x90) {
        diagnose(ch);
        return;
    }
    if (!execute_data(ch, u, cmd) && !execute_misc(ch, u, cmd)) abort(ch, u);
}

bool IdeController::execute_data(unsigned ch, Unit& u, uint8_t cmd) {
    uint32_t mult = u.mult_sectors;
    bool multiple = cmd == 0xc4 || cmd == 0xc5 || cmd == 0x29 || cmd == 0x39;
    if (multiple && mult == 0) { // multiple mode not enabled
        abort(ch, u);
        return true;
    }
    switch (cmd) {
    case 0x20:
    case 0x21: start_transfer(ch, u, false, false, 1); break;    // READ SECTORS
    case 0x24: start_transfer(ch, u, false, true, 1); break;     // READ SECTORS EXT
    case 0xc4: start_transfer(ch, u, false, false, mult); break; // READ MULTIPLE
    case 0x29: start_transfer(ch, u, false, true, mult); break;  // READ MULTIPLE EXT
    case 0x30:
    case 0x31: start_transfer(ch, u, true, false, 1); break;    // WRITE SECTORS
    case 0x34: start_transfer(ch, u, true, true, 1); break;     // WRITE SECTORS EXT
    case 0xc5: start_transfer(ch, u, true, false, mult); break; // WRITE MULTIPLE
    case 0x39: start_transfer(ch, u, true, true, mult); break;  // WRITE MULTIPLE EXT
    case 0x40:
    case 0x41: verify(ch, u, false); break; // READ VERIFY
    case 0x42: verify(ch, u, true); break;  // READ VERIFY EXT
    case 0xec: identify(ch, u); break;      // IDENTIFY DEVICE
    default: return false;
    }
    return true;
}

bool IdeController::execute_misc(unsigned ch, Unit& u, uint8_t cmd) {
    if ((cmd & 0xf0) == 0x10) { // RECALIBRATE (obsolete, 10h-1Fh)
        complete(ch, u);
        return true;
    }
    switch (cmd) {
    case 0xef: set_features(ch, u); break;
    case 0x91: init_params(ch, u); break;
    case 0xc6: { // SET MULTIPLE MODE: 0 disables, otherwise a power of two up to 16
        unsigned n = u.nsector;
        if (n > kMaxMultiple || (n & (n - 1)))
            abort(ch, u);
        else
            u.mult_sectors = uint8_t(n), complete(ch, u);
        break;
    }
    case 0xe5:
    case 0x98: // CHECK POWER MODE: FFh = active or idle
        u.nsector = 0xff;
        complete(ch, u);
        break;
    default:
        if (std::find(std::begin(kNoActionCommands), std::end(kNoActionCommands), cmd) ==
            std::end(kNoActionCommands))
            return false;
        complete(ch, u);
        break;
    }
    return true;
}

void IdeController::complete(unsigned ch, Unit& u) {
    u.xfer = Xfer::None;
    u.status = kReady;
    u.error = 0;
    set_pending(ch, true);
}

void IdeController::abort(unsigned ch, Unit& u, uint8_t error) {
    u.xfer = Xfer::None;
    u.status = kReady | kErr;
    u.error = error;
    set_pending(ch, true);
}

void IdeController::diagnose(unsigned ch) {
    Channel& c = channels_[ch];
    for (Unit& u : c.units) {
        u.xfer = Xfer::None;
        signature(u);
        u.status = u.drive ? kReady : 0;
        u.error = u.drive ? 0x01 : 0; // 01h: passed (device 1 passed or absent)
    }
    c.selected = 0;
    set_pending(ch, true);
}

void IdeController::set_features(unsigned ch, Unit& u) {
    switch (u.feature) {
    case 0x03: { // set transfer mode: only PIO modes (no DMA is advertised)
        uint8_t mode = u.nsector;
        if (mode <= 0x01 || (mode >= 0x08 && mode <= 0x0c))
            complete(ch, u);
        else
            abort(ch, u);
        break;
    }
    case 0x02:
    case 0x82: // write cache on/off
    case 0x55:
    case 0xaa: // read look-ahead off/on
    case 0x66:
    case 0xcc: // reverting to power-on defaults off/on
        complete(ch, u);
        break;
    default: abort(ch, u); break;
    }
}

// INITIALIZE DEVICE PARAMETERS: heads from the device register, sectors from the count.
void IdeController::init_params(unsigned ch, Unit& u) {
    uint32_t heads = (u.select & 0x0f) + 1u;
    uint32_t spt = u.nsector;
    if (spt == 0) {
        abort(ch, u);
        return;
    }
    uint64_t cyls = u.drive->image().sectors() / (heads * spt);
    u.logical = {uint32_t(std::min<uint64_t>(cyls, 65535)), heads, spt};
    complete(ch, u);
}

void IdeController::identify(unsigned ch, Unit& u) {
    const IdeDrive& d = *u.drive;
    const IdeDriveOptions& o = d.options();
    unsigned index = ch * 2 + unsigned(&u - &channels_[ch].units[0]);
    uint64_t total = d.image().sectors();
    Chs g = d.geometry(), l = u.logical;
    std::vector<uint8_t>& b = u.buf;
    b.assign(kSector, 0);

    put16(b, 0, 0x0040); // fixed device, ATA
    put16(b, 1, uint16_t(g.cylinders));
    put16(b, 3, uint16_t(g.heads));
    put16(b, 6, uint16_t(g.sectors));
    put_string(b, 10, 10, o.serial.empty() ? default_serial(index) : o.serial);
    put_string(b, 23, 4, o.firmware.empty() ? "0.1.0" : o.firmware);
    put_string(b, 27, 20, o.model.empty() ? "RR86 HARDDISK" : o.model);
    put16(b, 47, 0x8000 | kMaxMultiple); // READ/WRITE MULTIPLE up to 16 sectors
    put16(b, 48, 0x0001);                // 32-bit PIO data transfers
    put16(b, 49, (1 << 11) | (1 << 9));  // IORDY, LBA (no DMA)
    put16(b, 50, 0x4000);
    put16(b, 51, 0x0200); // PIO timing mode 2 (obsolete field)
    put16(b, 53, 0x0003); // words 54-58 and 64-70 valid
    put16(b, 54, uint16_t(l.cylinders));
    put16(b, 55, uint16_t(l.heads));
    put16(b, 56, uint16_t(l.sectors));
    put32(b, 57, uint32_t(std::min<uint64_t>(uint64_t(l.cylinders) * l.heads * l.sectors, total)));
    put16(b, 59, uint16_t(u.mult_sectors ? 0x0100 | u.mult_sectors : 0));
    put32(b, 60, uint32_t(std::min<uint64_t>(total, kLba28Max)));
    put16(b, 64, 0x0003); // PIO modes 3 and 4
    for (unsigned w = 65; w <= 68; ++w)
        put16(b, w, 120); // cycle times (ns)
    put16(b, 80, 0x007e); // ATA-1 to ATA/ATAPI-6
    put16(b, 82, 0x4000); // NOP
    put16(b, 83, 0x7400); // 48-bit addressing, FLUSH CACHE, FLUSH CACHE EXT
    put16(b, 84, 0x4000);
    put16(b, 85, 0x4000);
    put16(b, 86, 0x3400);
    put16(b, 87, 0x4000);
    // Word 93, hardware reset result: device number by jumper, diagnostics passed; device 0
    // reports whether it saw device 1 (DASP-/PDIAG-). SeaBIOS reads it to skip probing device 1.
    bool slave = &u == &channels_[ch].units[1];
    bool other = channels_[ch].units[slave ? 0 : 1].drive != nullptr;
    put16(b, 93, uint16_t(0x6000 | (slave ? 0x0b00 : (0x000b | (other ? 0x0030 : 0)))));
    put32(b, 100, uint32_t(total));
    put32(b, 102, uint32_t(total >> 32));
    // Word 255: integrity word, signature A5h and a checksum making the sector sum to zero.
    b[510] = 0xa5;
    uint8_t sum = 0;
    for (unsigned i = 0; i < 511; ++i)
        sum = uint8_t(sum + b[i]);
    b[511] = uint8_t(-sum);

    u.xfer = Xfer::ReadBuffer;
    u.pos = 0;
    u.end = kSector;
    u.status = kReady | kDrq;
    set_pending(ch, true);
}

// ---- sector transfers ----

bool IdeController::decode_address(const Unit& u, bool lba48, uint64_t& lba) const {
    if (lba48) {
        lba = uint64_t(u.hob_hcyl) << 40 | uint64_t(u.hob_lcyl) << 32 |
              uint64_t(u.hob_sector) << 24 | uint64_t(u.hcyl) << 16 | uint64_t(u.lcyl) << 8 |
              u.sector;
        return true;
    }
    if (u.select & kLbaBit) {
        lba = uint64_t(u.select & 0x0f) << 24 | uint64_t(u.hcyl) << 16 | uint64_t(u.lcyl) << 8 |
              u.sector;
        return true;
    }
    const Chs& g = u.logical;
    uint32_t cyl = uint32_t(u.hcyl) << 8 | u.lcyl, head = u.select & 0x0f, sec = u.sector;
    if (sec == 0 || sec > g.sectors || head >= g.heads || cyl >= g.cylinders) return false;
    lba = (uint64_t(cyl) * g.heads + head) * g.sectors + sec - 1;
    return true;
}

uint32_t IdeController::decode_count(const Unit& u, bool lba48) const {
    if (lba48) {
        uint32_t n = uint32_t(u.hob_nsector) << 8 | u.nsector;
        return n ? n : 65536;
    }
    return u.nsector ? u.nsector : 256;
}

// After each block the registers address the next sector and count what is left, as the
// registers of an interrupted multi-sector command would (and as QEMU leaves them).
void IdeController::write_back_address(Unit& u, uint64_t lba) {
    if (u.lba48) {
        u.sector = uint8_t(lba), u.lcyl = uint8_t(lba >> 8), u.hcyl = uint8_t(lba >> 16);
        u.hob_sector = uint8_t(lba >> 24), u.hob_lcyl = uint8_t(lba >> 32);
        u.hob_hcyl = uint8_t(lba >> 40);
        u.nsector = uint8_t(u.remaining), u.hob_nsector = uint8_t(u.remaining >> 8);
    } else if (u.select & kLbaBit) {
        u.sector = uint8_t(lba), u.lcyl = uint8_t(lba >> 8), u.hcyl = uint8_t(lba >> 16);
        u.select = uint8_t((u.select & 0xf0) | ((lba >> 24) & 0x0f));
        u.nsector = uint8_t(u.remaining);
    } else {
        const Chs& g = u.logical;
        uint64_t per_cyl = uint64_t(g.heads) * g.sectors;
        if (!per_cyl) return;
        uint64_t cyl = lba / per_cyl, rem = lba % per_cyl;
        u.lcyl = uint8_t(cyl), u.hcyl = uint8_t(cyl >> 8);
        u.select = uint8_t((u.select & 0xf0) | (rem / g.sectors));
        u.sector = uint8_t(rem % g.sectors + 1);
        u.nsector = uint8_t(u.remaining);
    }
}

void IdeController::start_transfer(unsigned ch, Unit& u, bool write, bool lba48, uint32_t block) {
    uint64_t lba;
    if (!decode_address(u, lba48, lba)) {
        abort(ch, u, kIdnf);
        return;
    }
    uint32_t count = decode_count(u, lba48);
    DiskImage& img = u.drive->image();
    if (write && img.read_only()) {
        abort(ch, u);
        return;
    }
    if (lba >= img.sectors() || count > img.sectors() - lba) {
        abort(ch, u, kIdnf);
        return;
    }
    u.lba48 = lba48;
    u.next_lba = lba;
    u.remaining = count;
    u.block = block;
    if (!write) {
        load_read_block(ch, u);
        return;
    }
    uint32_t n = std::min(u.remaining, u.block);
    u.buf.assign(size_t(n) * kSector, 0);
    u.pos = 0, u.end = n * kSector;
    u.xfer = Xfer::WriteDisk;
    u.status = kReady | kDrq; // PIO out: no interrupt before the first block
}

void IdeController::load_read_block(unsigned ch, Unit& u) {
    uint32_t n = std::min(u.remaining, u.block);
    u.buf.resize(size_t(n) * kSector);
    if (!u.drive->image().read(u.next_lba, n, u.buf.data())) {
        write_back_address(u, u.next_lba);
        abort(ch, u, kUnc);
        return;
    }
    u.pos = 0, u.end = n * kSector;
    u.xfer = Xfer::ReadDisk;
    u.status = kReady | kDrq;
    set_pending(ch, true); // PIO in: one interrupt per DRQ block
}

void IdeController::finish_read_block(unsigned ch, Unit& u) {
    uint32_t n = u.end / kSector;
    u.next_lba += n;
    u.remaining -= n;
    write_back_address(u, u.next_lba);
    if (u.remaining) {
        load_read_block(ch, u);
        return;
    }
    u.xfer = Xfer::None;
    u.status = kReady;
}

void IdeController::finish_write_block(unsigned ch, Unit& u) {
    uint32_t n = u.end / kSector;
    if (!u.drive->image().write(u.next_lba, n, u.buf.data())) {
        write_back_address(u, u.next_lba);
        abort(ch, u);
        return;
    }
    u.next_lba += n;
    u.remaining -= n;
    write_back_address(u, u.next_lba);
    if (!u.remaining) {
        complete(ch, u);
        return;
    }
    uint32_t next = std::min(u.remaining, u.block);
    u.buf.assign(size_t(next) * kSector, 0);
    u.pos = 0, u.end = next * kSector;
    u.status = kReady | kDrq;
    set_pending(ch, true);
}

void IdeController::verify(unsigned ch, Unit& u, bool lba48) {
    uint64_t lba;
    if (!decode_address(u, lba48, lba)) {
        abort(ch, u, kIdnf);
        return;
    }
    uint32_t count = decode_count(u, lba48);
    uint64_t sectors = u.drive->image().sectors();
    if (lba >= sectors || count > sectors - lba) {
        abort(ch, u, kIdnf);
        return;
    }
    u.lba48 = lba48;
    u.remaining = 0;
    write_back_address(u, lba + count);
    complete(ch, u);
}

} // namespace rr86
