#include "devices/fw_cfg.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace rr86 {

namespace {
// Legacy selector keys (QEMU include/standard-headers/linux/qemu_fw_cfg.h).
constexpr uint16_t kSignature = 0x00, kId = 0x01, kUuid = 0x02, kRamSize = 0x03;
constexpr uint16_t kNographic = 0x04, kNbCpus = 0x05, kNuma = 0x0d, kBootMenu = 0x0e;
constexpr uint16_t kMaxCpus = 0x0f, kFileDir = 0x19;
constexpr uint16_t kIrq0Override = 0x8002, kE820Table = 0x8003;
// Bit 14 of a selector asked for write access (ignored since QEMU 2.4); bit 15 = arch-specific.
constexpr uint16_t kKeyMask = 0xbfff;
constexpr uint16_t kArchLocal = 0x8000;
constexpr uint16_t kFileLimit = 0x4000; // generic keys end here

constexpr uint32_t kIdTraditional = 0x01, kIdDma = 0x02;
constexpr uint32_t kCtlError = 0x01, kCtlRead = 0x02, kCtlSkip = 0x04, kCtlSelect = 0x08;
constexpr uint32_t kCtlWrite = 0x10;
constexpr char kDmaSignature[8] = {'Q', 'E', 'M', 'U', ' ', 'C', 'F', 'G'};
constexpr size_t kDirEntrySize = 64;

void put_le(std::vector<uint8_t>& v, uint64_t x, unsigned bytes) {
    for (unsigned i = 0; i < bytes; ++i)
        v.push_back(uint8_t(x >> (8 * i)));
}
void put_be(std::vector<uint8_t>& v, uint64_t x, unsigned bytes) {
    for (unsigned i = bytes; i-- > 0;)
        v.push_back(uint8_t(x >> (8 * i)));
}
std::vector<uint8_t> le(uint64_t x, unsigned bytes) {
    std::vector<uint8_t> v;
    put_le(v, x, bytes);
    return v;
}
uint32_t be32(const uint8_t* p) { return uint32_t(p[0]) << 24 | p[1] << 16 | p[2] << 8 | p[3]; }
uint32_t bswap32(uint32_t v) { return __builtin_bswap32(v); }

// Lines joined by '\n' with a terminating NUL, as QEMU's get_boot_devices_list builds them; no
// lines gives an empty file.
std::vector<uint8_t> nul_terminated_lines(const std::vector<std::string>& lines) {
    std::string s;
    for (const std::string& l : lines)
        s += (s.empty() ? "" : "\n") + l;
    std::vector<uint8_t> v(s.begin(), s.end());
    if (!lines.empty()) v.push_back(0);
    return v;
}

std::string read_host_file(const std::string& path, std::vector<uint8_t>& out) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return std::strerror(errno);
    struct stat st {};
    if (fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
        ::close(fd);
        return std::strerror(S_ISDIR(st.st_mode) ? EISDIR : errno);
    }
    uint8_t buf[65536];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            int e = errno;
            ::close(fd);
            return std::strerror(e);
        }
        if (n == 0) break;
        out.insert(out.end(), buf, buf + n);
    }
    ::close(fd);
    return {};
}
} // namespace

FwCfgBlobResult make_fw_cfg_blob(const std::string& name, const std::string* file,
                                 const std::string* string) {
    FwCfgBlobResult r;
    if (name.empty() || (file != nullptr) == (string != nullptr)) {
        r.error = "-fw_cfg: name, plus exactly one of file and string, are needed";
        return r;
    }
    if (name.size() > FwCfg::kMaxNameLength) {
        r.error = "-fw_cfg: name too long (max. " + std::to_string(FwCfg::kMaxNameLength) +
                  " chars): " + name;
        return r;
    }
    if (name.compare(0, 4, "opt/") != 0)
        r.warning = "-fw_cfg: externally provided fw_cfg item names should be prefixed with "
                    "\"opt/\" (" +
                    name + ")";
    r.blob.name = name;
    if (string) {
        r.blob.data.assign(string->begin(), string->end()); // no NUL terminator, as in QEMU
        return r;
    }
    if (file->empty()) {
        r.error = "-fw_cfg: empty file name for " + name;
        return r;
    }
    std::string err = read_host_file(*file, r.blob.data);
    if (!err.empty()) r.error = "-fw_cfg: can't load " + *file + ": " + err;
    return r;
}

FwCfg::FwCfg(DeviceContext& ctx, const FwCfgConfig& cfg) : io_(ctx.io), mem_(ctx.mem) {
    set_item(kSignature, {'Q', 'E', 'M', 'U'});
    set_item(kId, le(kIdTraditional | kIdDma, 4));
    set_item(kUuid, std::vector<uint8_t>(16, 0));
    set_item(kRamSize, le(cfg.ram_size, 8));
    set_item(kNographic, le(cfg.nographic, 2));
    set_item(kNbCpus, le(cfg.cpus, 2));
    set_item(kNuma, std::vector<uint8_t>(8 * (1 + size_t(cfg.cpus)), 0)); // no NUMA nodes
    set_item(kBootMenu, le(cfg.boot_menu, 2));
    set_item(kMaxCpus, le(cfg.cpus, 2));
    set_item(kIrq0Override, le(1, 4));
    set_item(kE820Table, le(0, 4)); // no reservations (etc/e820 carries the map)

    std::vector<uint8_t> e820;
    std::vector<E820Entry> entries = cfg.e820;
    if (entries.empty()) entries.push_back({0, cfg.ram_size, 1});
    for (const E820Entry& e : entries) {
        put_le(e820, e.base, 8);
        put_le(e820, e.length, 8);
        put_le(e820, e.type, 4);
    }
    files_["etc/e820"] = std::move(e820);
    files_["etc/boot-fail-wait"] = le(uint32_t(cfg.boot_fail_wait_ms), 4);
    files_["bootorder"] = {};
    files_["bios-geometry"] = {};
    rebuild_directory();

    io_.claim(kSelectorPort, 2, this);
    io_.claim(kDmaPort, 8, this);
}

FwCfg::~FwCfg() {
    if (io_.owner(kSelectorPort) == this) io_.release(kSelectorPort, 2);
    if (io_.owner(kDmaPort) == this) io_.release(kDmaPort, 8);
}

void FwCfg::reset() {
    select(kSignature);
    dma_addr_ = 0;
}

void FwCfg::set_item(uint16_t key, std::vector<uint8_t> data) { items_[key] = std::move(data); }

std::string FwCfg::add_file(const std::string& name, std::vector<uint8_t> data) {
    if (name.empty()) return "fw_cfg: empty file name";
    if (name.size() > kMaxNameLength)
        return "fw_cfg: file name too long (max. " + std::to_string(kMaxNameLength) +
               " chars): " + name;
    if (name.find('\0') != std::string::npos) return "fw_cfg: file name contains a NUL byte";
    if (files_.count(name)) return "duplicate fw_cfg file name: " + name;
    if (files_.size() >= size_t(kFileLimit - kFileFirst)) return "fw_cfg: too many files";
    files_[name] = std::move(data);
    rebuild_directory();
    return {};
}

// Keys follow the name order (QEMU's non-legacy machines sort the directory by name and number
// the files from FW_CFG_FILE_FIRST in that order).
void FwCfg::rebuild_directory() {
    file_keys_.clear();
    directory_.clear();
    put_be(directory_, files_.size(), 4);
    uint16_t key = kFileFirst;
    for (const auto& [name, data] : files_) {
        file_keys_.emplace_back(key, &data);
        put_be(directory_, data.size(), 4);
        put_be(directory_, key, 2);
        put_be(directory_, 0, 2);
        std::vector<uint8_t> n(kDirEntrySize - 8, 0);
        std::copy(name.begin(), name.end(), n.begin());
        directory_.insert(directory_.end(), n.begin(), n.end());
        ++key;
    }
}

void FwCfg::rebuild_boot_data(const std::vector<BootDevice>& devices) {
    std::vector<BootDevice> order;
    for (const BootDevice& d : devices)
        if (d.bootindex >= 0) order.push_back(d);
    std::stable_sort(order.begin(), order.end(), [](const BootDevice& a, const BootDevice& b) {
        return a.bootindex < b.bootindex;
    });
    std::vector<std::string> paths, geometry;
    for (const BootDevice& d : order)
        paths.push_back(d.path);
    for (const BootDevice& d : devices) {
        if (d.lcyls || d.lheads || d.lsecs)
            geometry.push_back(d.path + " " + std::to_string(d.lcyls) + " " +
                               std::to_string(d.lheads) + " " + std::to_string(d.lsecs));
    }
    files_["bootorder"] = nul_terminated_lines(paths);
    files_["bios-geometry"] = nul_terminated_lines(geometry);
    rebuild_directory();
}

const std::vector<uint8_t>* FwCfg::file(const std::string& name) const {
    auto it = files_.find(name);
    return it == files_.end() ? nullptr : &it->second;
}

uint16_t FwCfg::file_key(const std::string& name) const {
    for (const auto& [key, data] : file_keys_)
        if (data == file(name)) return key;
    return 0;
}

const std::vector<uint8_t>* FwCfg::item(uint16_t key) const {
    key &= kKeyMask;
    if (key == kFileDir) return &directory_;
    if (!(key & kArchLocal) && key >= kFileFirst) {
        size_t i = key - kFileFirst;
        return i < file_keys_.size() ? file_keys_[i].second : nullptr;
    }
    auto it = items_.find(key);
    return it == items_.end() ? nullptr : &it->second;
}

void FwCfg::select(uint16_t key) {
    cur_key_ = key;
    cur_offset_ = 0;
}

uint8_t FwCfg::read_data() {
    const std::vector<uint8_t>* it = item(cur_key_);
    if (!it || cur_offset_ >= it->size()) return 0;
    return (*it)[cur_offset_++];
}

uint32_t FwCfg::port_read(uint16_t port, unsigned size) {
    uint32_t v = 0;
    for (unsigned i = 0; i < size; ++i) {
        uint16_t p = uint16_t(port + i);
        uint8_t b = 0xff;
        if (p == kSelectorPort || p == kDataPort)
            b = read_data(); // both bytes of the combined region read data
        else if (p >= kDmaPort && p < kDmaPort + 8)
            b = uint8_t(kDmaSignature[p - kDmaPort]);
        v |= uint32_t(b) << (8 * i);
    }
    return v;
}

void FwCfg::port_write(uint16_t port, unsigned size, uint32_t value) {
    if ((port == kSelectorPort || port == kDataPort) && size == 2) {
        select(uint16_t(value));
    } else if (port == kDmaPort && size == 4) {
        dma_addr_ = uint64_t(bswap32(value)) << 32; // big-endian register
    } else if (port == kDmaPort + 4 && size == 4) {
        dma_addr_ |= bswap32(value);
        dma_transfer(dma_addr_);
    }
    // Data writes have been ignored since QEMU 2.4; other widths are not decoded.
}

void FwCfg::write_control(uint64_t addr, uint32_t control) {
    uint8_t b[4] = {uint8_t(control >> 24), uint8_t(control >> 16), uint8_t(control >> 8),
                    uint8_t(control)};
    mem_.write_ram(addr, b, 4); // silently nothing if the descriptor is not in RAM
}

void FwCfg::dma_transfer(uint64_t addr) {
    dma_addr_ = 0; // the register reads back 0 after an operation
    uint8_t d[16];
    if (!mem_.read_ram(addr, d, sizeof d)) return; // no readable descriptor: nothing to report to
    uint32_t control = be32(d), length = be32(d + 4);
    uint64_t address = uint64_t(be32(d + 8)) << 32 | be32(d + 12);
    write_control(addr, dma_run(control, length, address) ? 0 : kCtlError);
}

// Returns false for an error. A read targets guest RAM only, and only when the whole range lies
// in RAM: otherwise nothing is copied and the offset does not move.
bool FwCfg::dma_run(uint32_t control, uint32_t length, uint64_t address) {
    if (control & kCtlSelect) select(uint16_t(control >> 16));
    const std::vector<uint8_t>* it = item(cur_key_);
    size_t avail = it && cur_offset_ < it->size() ? it->size() - cur_offset_ : 0;
    size_t n = std::min<size_t>(avail, length);
    if (control & kCtlRead) {
        if (length == 0) return true;
        uint64_t ram = mem_.ram_size();
        if (address >= ram || length > ram - address) return false;
        if (n) mem_.write_ram(address, it->data() + cur_offset_, n);
        static const uint8_t zeros[4096] = {};
        for (uint64_t done = n; done < length;) { // past the end of the item: zeros
            uint64_t chunk = std::min<uint64_t>(sizeof zeros, length - done);
            mem_.write_ram(address + done, zeros, chunk);
            done += chunk;
        }
        cur_offset_ += uint32_t(n);
        return true;
    }
    if (control & kCtlWrite) return length == 0; // every item is read-only to the guest
    if (control & kCtlSkip) cur_offset_ += uint32_t(n);
    return true;
}

} // namespace rr86
