#include "devices/i440fx.h"

#include <algorithm>
#include <vector>

namespace rr86 {

namespace {
constexpr uint32_t kPamBase = 0xc0000;
constexpr uint32_t kPamEnd = 0x100000;
constexpr uint32_t kIsaBiosMax = 128 * 1024;
constexpr const char* kRegionName = "i440fx.pam";

// SMRAM register bits (82441FX §3.2.26).
constexpr uint8_t kDOpen = 0x40, kDCls = 0x20, kDLck = 0x10, kGSmrame = 0x08;
constexpr uint8_t kCBaseSeg = 0x02; // hardwired 010b: SMRAM at 0xA0000
} // namespace

I440fx::HostBridge::HostBridge(I440fx& o) : owner(o) {
    set_identity(0x8086, 0x1237, 0x02, 0x060000, 0x00);
    define(pci_cfg::kCommand, 2, 0x0006, 0x0006); // memory space and bus master always on
    define(I440fx::kPam0, 1, 0, 0x70);            // PAM0 bits 3:0 are reserved
    for (uint8_t r = 1; r < 7; ++r)
        define(uint8_t(I440fx::kPam0 + r), 1, 0, 0x77);
    for (uint8_t r = 0; r < 8; ++r)
        define(uint8_t(I440fx::kDrb0 + r), 1, 0x01, 0xff);
    define(I440fx::kSmram, 1, kCBaseSeg, 0xff); // checked in smram_written()
    save_power_on_state();
}

void I440fx::HostBridge::config_written(uint8_t off, unsigned size) {
    if (off <= kSmram && off + size > kSmram) owner.smram_written();
    if (off < kPam0 + 7 && off + size > kPam0) owner.apply_pam();
}

I440fx::I440fx(DeviceContext& ctx, PciBus& bus, const uint8_t* bios, size_t bios_size)
    : mem_(ctx.mem), bus_(bus), fn_(*this), bios_(bios), bios_size_(bios ? bios_size : 0) {
    bus_.add(0, 0, &fn_);
    apply_pam();
}

I440fx::~I440fx() {
    bus_.remove(0, 0);
    if (mapped_) mem_.unmap(kRegionName);
}

void I440fx::reset() {
    fn_.reset_config();
    smram_ = kCBaseSeg;
    apply_pam();
}

// Range 0 is 0xF0000-0xFFFFF (PAM0 high nibble); ranges 1-12 are the 16 KiB ranges from 0xC0000,
// low nibble of PAM1 first.
unsigned I440fx::range_index(uint32_t addr) {
    if (addr >= 0xf0000) return 0;
    return 1 + (addr - kPamBase) / 0x4000;
}

unsigned I440fx::mode_of(unsigned range) const {
    if (range == 0) return (fn_.cfg8(kPam0) >> 4) & 3;
    uint8_t reg = fn_.cfg8(uint8_t(kPam0 + 1 + (range - 1) / 2));
    return (reg >> (4 * ((range - 1) % 2))) & 3;
}

unsigned I440fx::pam_mode(uint32_t addr) const {
    if (addr < kPamBase || addr >= kPamEnd) return 0;
    return mode_of(range_index(addr));
}

// PCI side of a legacy page: the BIOS alias, which ends at 1 MiB, or nothing.
uint8_t* I440fx::rom_side(uint32_t addr) const {
    size_t alias = std::min<size_t>(bios_size_, kIsaBiosMax);
    uint32_t start = kPamEnd - uint32_t(alias);
    if (!alias || addr < start) return nullptr;
    // PhysMap takes non-const pointers; ROM regions are mapped with a null write pointer, so the
    // image is never written through this one.
    return const_cast<uint8_t*>(bios_ + (bios_size_ - alias) + (addr - start));
}

uint8_t* I440fx::ram_side(uint32_t addr) const {
    if (uint64_t(addr) + kPageSize > mem_.ram_size()) return nullptr;
    return mem_.ram() + addr;
}

// Rebuilds the overlays, one PhysMap region per run of pages whose read and write targets are
// contiguous, so the common all-shadowed case is a handful of regions.
void I440fx::apply_pam() {
    std::array<uint8_t, 7> pam{};
    for (unsigned r = 0; r < 7; ++r)
        pam[r] = fn_.cfg8(uint8_t(kPam0 + r));
    if (mapped_ && pam == applied_) return;
    if (mapped_) mem_.unmap(kRegionName);

    struct Run {
        uint32_t start, size;
        uint8_t *read, *write;
    };
    std::vector<Run> runs;
    for (uint32_t a = kPamBase; a < kPamEnd; a += kPageSize) {
        unsigned mode = mode_of(range_index(a));
        uint8_t* rd = (mode & 1) ? ram_side(a) : rom_side(a);
        uint8_t* wr = (mode & 2) ? ram_side(a) : nullptr;
        if (!runs.empty()) {
            Run& last = runs.back();
            auto follows = [&](uint8_t* prev, uint8_t* cur) {
                return prev ? cur == prev + last.size : cur == nullptr;
            };
            if (follows(last.read, rd) && follows(last.write, wr)) {
                last.size += kPageSize;
                continue;
            }
        }
        runs.push_back({a, kPageSize, rd, wr});
    }
    for (const Run& r : runs)
        mem_.map_memory(r.start, r.size, r.read, r.write, kRegionName);
    applied_ = pam;
    mapped_ = true;
}

// SMRAM is storage, but with the datasheet's fixed bits: C_BASE_SEG reads 010b, and once D_LCK is
// set D_OPEN is cleared and D_OPEN, D_LCK and G_SMRAME are read-only until reset.
void I440fx::smram_written() {
    uint8_t v = fn_.cfg8(kSmram);
    if (smram_ & kDLck) v = uint8_t((smram_ & ~kDCls) | (v & kDCls));
    if (v & kDLck) v &= uint8_t(~kDOpen);
    v = uint8_t((v & (kDOpen | kDCls | kDLck | kGSmrame)) | kCBaseSeg);
    smram_ = v;
    fn_.set_cfg8(kSmram, v);
}

} // namespace rr86
