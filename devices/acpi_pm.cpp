#include "devices/acpi_pm.h"

namespace rr86 {

namespace {
constexpr uint64_t kNsPerSec = 1000000000ull;
// Register offsets inside the PM block that this function decodes.
constexpr unsigned kPm1Sts = 0, kPm1En = 2, kPm1Cnt = 4, kPmTmr = 8;
constexpr unsigned kDecoded[] = {0, 1, 2, 3, 4, 5, 8, 9, 10, 11};
// TMR_STS is set whenever bit 23 of the 24-bit counter changes (ACPI 1.0b §4.7.2.1).
constexpr unsigned kMsbShift = 23;
constexpr uint16_t kSciSources =
    AcpiPm::kTmrSts | AcpiPm::kGblSts | AcpiPm::kPwrBtnSts | AcpiPm::kRtcSts;

uint64_t ticks_at(uint64_t ns) {
    return uint64_t((unsigned __int128)ns * AcpiPm::kTimerHz / kNsPerSec);
}

uint64_t ns_of_tick(uint64_t tick) {
    return uint64_t(((unsigned __int128)tick * kNsPerSec + AcpiPm::kTimerHz - 1) /
                    AcpiPm::kTimerHz);
}
} // namespace

AcpiPm::AcpiPm(DeviceContext& ctx)
    : io_(ctx.io), clock_(ctx.clock), irq_(ctx.irq), platform_(ctx.platform),
      timer_(ctx.clock.create_timer([this] {
          sync_timer_status();
          update_sci();
          rearm();
      })) {
    msb_epoch_ = ticks_at(clock_.now_ns()) >> kMsbShift;
}

AcpiPm::~AcpiPm() {
    timer_.disarm();
    release_ports();
}

uint32_t AcpiPm::timer_at(uint64_t ns) { return uint32_t(ticks_at(ns) & 0xffffff); }

void AcpiPm::reset() {
    release_ports();
    enabled_ = false;
    base_ = 0;
    sts_ = en_ = cnt_ = 0;
    // The timer itself free-runs from power-on; only its status tracking restarts.
    msb_epoch_ = ticks_at(clock_.now_ns()) >> kMsbShift;
    update_sci();
    rearm();
}

// ---------------------------------------------------------------- decoding

void AcpiPm::set_pm_base(uint16_t base) {
    base &= 0xffc0; // PMBA bits 15:6: a 64-byte block
    if (base == base_) return;
    release_ports();
    base_ = base;
    claim_ports();
}

void AcpiPm::set_enabled(bool enabled) {
    if (enabled == enabled_) return;
    release_ports();
    enabled_ = enabled;
    claim_ports();
}

void AcpiPm::claim_ports() {
    if (!enabled_ || claimed_) return;
    // A block programmed over another device's ports leaves those ports to that device.
    for (unsigned off : kDecoded) {
        uint16_t port = uint16_t(base_ + off);
        if (io_.owner(port) == nullptr) io_.claim(port, 1, this);
    }
    claimed_ = true;
}

void AcpiPm::release_ports() {
    if (!claimed_) return;
    for (unsigned off : kDecoded) {
        uint16_t port = uint16_t(base_ + off);
        if (io_.owner(port) == this) io_.release(port, 1);
    }
    claimed_ = false;
}

// ---------------------------------------------------------------- registers

uint16_t AcpiPm::status() {
    sync_timer_status();
    return sts_;
}

void AcpiPm::sync_timer_status() {
    uint64_t epoch = ticks_at(clock_.now_ns()) >> kMsbShift;
    if (epoch != msb_epoch_) {
        sts_ |= kTmrSts;
        msb_epoch_ = epoch;
    }
}

uint8_t AcpiPm::read_byte(unsigned offset, uint32_t timer) {
    switch (offset) {
    case kPm1Sts: return uint8_t(sts_);
    case kPm1Sts + 1: return uint8_t(sts_ >> 8);
    case kPm1En: return uint8_t(en_);
    case kPm1En + 1: return uint8_t(en_ >> 8);
    case kPm1Cnt: return uint8_t(cnt_);
    case kPm1Cnt + 1: return uint8_t(cnt_ >> 8); // SLP_EN is write-only and reads 0
    case kPmTmr:
    case kPmTmr + 1:
    case kPmTmr + 2:
    case kPmTmr + 3: return uint8_t(timer >> (8 * (offset - kPmTmr))); // bits 31:24 read 0
    default: return 0xff;
    }
}

uint32_t AcpiPm::port_read(uint16_t port, unsigned size) {
    unsigned offset = uint16_t(port - base_);
    sync_timer_status();
    uint32_t timer = timer_at(clock_.now_ns()); // one sample for the whole access
    uint32_t value = 0;
    for (unsigned i = 0; i < size; ++i)
        value |= uint32_t(read_byte(offset + i, timer)) << (8 * i);
    return value;
}

void AcpiPm::port_write(uint16_t port, unsigned size, uint32_t value) {
    unsigned offset = uint16_t(port - base_);
    // Gather the bytes per 16-bit register, then apply each register write once.
    uint16_t reg_value[3] = {0, 0, 0}, reg_mask[3] = {0, 0, 0};
    for (unsigned i = 0; i < size; ++i) {
        unsigned o = offset + i;
        if (o >= kPmTmr - 2) continue; // 6-7 are not decoded, the timer is read-only
        unsigned shift = 8 * (o & 1);
        reg_value[o / 2] |= uint16_t(((value >> (8 * i)) & 0xff) << shift);
        reg_mask[o / 2] |= uint16_t(0xff << shift);
    }
    for (unsigned r = 0; r < 3; ++r)
        if (reg_mask[r]) write_reg(r * 2, reg_value[r], reg_mask[r]);
}

void AcpiPm::write_reg(unsigned reg, uint16_t value, uint16_t mask) {
    sync_timer_status();
    value &= mask;
    switch (reg) {
    case kPm1Sts: sts_ &= uint16_t(~value); break; // write 1 to clear
    case kPm1En: en_ = uint16_t((en_ & ~mask) | value); break;
    default: {
        cnt_ = uint16_t((cnt_ & ~mask) | (value & ~kSlpEn));
        // SLP_EN starts the transition to the state in SLP_TYP; type 0 is S5 (soft off).
        if ((value & kSlpEn) && ((cnt_ >> 10) & 7) == 0) platform_.request_shutdown();
        break;
    }
    }
    update_sci();
    rearm();
}

void AcpiPm::press_power_button() {
    sync_timer_status();
    sts_ |= kPwrBtnSts;
    update_sci();
    rearm();
}

// ---------------------------------------------------------------- SCI

void AcpiPm::update_sci() {
    bool level = (sts_ & en_ & kSciSources) != 0;
    if (level == sci_) return;
    sci_ = level;
    irq_.set_irq(kSciIrq, level);
}

void AcpiPm::rearm() {
    // Only a pending timer-overflow interrupt needs a deadline; the status bit itself is
    // brought up to date whenever the guest looks.
    if ((en_ & kTmrSts) && !(sts_ & kTmrSts))
        timer_.arm(ns_of_tick((msb_epoch_ + 1) << kMsbShift));
    else
        timer_.disarm();
}

} // namespace rr86
