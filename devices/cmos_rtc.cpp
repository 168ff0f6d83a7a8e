#include "devices/cmos_rtc.h"

#include <algorithm>

namespace rr86 {

namespace {
constexpr int64_t kSec = 1000000000;
// UIP rises 244 us (8 periods of 32.768 kHz) before each update (MC146818A "UIP", t_BUC).
constexpr int64_t kUipLeadNs = 244141;

enum : uint8_t {
    kSeconds = 0x00,
    kSecondsAlarm = 0x01,
    kMinutes = 0x02,
    kMinutesAlarm = 0x03,
    kHours = 0x04,
    kHoursAlarm = 0x05,
    kDayOfWeek = 0x06,
    kDayOfMonth = 0x07,
    kMonth = 0x08,
    kYear = 0x09,
    kRegA = 0x0a,
    kRegB = 0x0b,
    kRegC = 0x0c,
    kRegD = 0x0d,
    kCentury = 0x32
};

enum : uint8_t {
    kBSet = 0x80,
    kBPie = 0x40,
    kBAie = 0x20,
    kBUie = 0x10,
    kBSqwe = 0x08,
    kBBinary = 0x04,
    kB24h = 0x02
};

enum : uint8_t { kCIrqf = 0x80, kCPf = 0x40, kCAf = 0x20, kCUf = 0x10 };

// The registers that show the clock (time_byte / write_time_byte).
bool is_time_register(uint8_t index) {
    switch (index) {
    case kSeconds:
    case kMinutes:
    case kHours:
    case kDayOfWeek:
    case kDayOfMonth:
    case kMonth:
    case kYear:
    case kCentury: return true;
    default: return false;
    }
}

int64_t floor_div(int64_t a, int64_t b) {
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

int64_t floor_mod(int64_t a, int64_t b) { return a - floor_div(a, b) * b; }

// Proleptic Gregorian calendar <-> days since 1970-01-01, counting years from March so that the
// leap day is the last day of the (shifted) year.
int64_t days_from_date(int64_t year, int month, int day) {
    int64_t y = month <= 2 ? year - 1 : year;
    int64_t era = floor_div(y, 400);
    int64_t year_of_era = y - era * 400;
    int shifted_month = month > 2 ? month - 3 : month + 9; // March = 0
    int64_t day_of_year = (153 * shifted_month + 2) / 5 + day - 1;
    int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    return era * 146097 + day_of_era - 719468; // 719468 = days from 0000-03-01 to 1970-01-01
}

void date_from_days(int64_t days, int64_t& year, int& month, int& day) {
    days += 719468;
    int64_t era = floor_div(days, 146097);
    int64_t day_of_era = days - era * 146097;
    int64_t year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
    int64_t day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    int shifted_month = int((5 * day_of_year + 2) / 153);
    day = int(day_of_year - (153 * shifted_month + 2) / 5 + 1);
    month = shifted_month < 10 ? shifted_month + 3 : shifted_month - 9;
    year = year_of_era + era * 400 + (month <= 2 ? 1 : 0);
}
} // namespace

CmosRtc::CmosRtc(DeviceContext& ctx, int64_t start_epoch)
    : io_(ctx.io), clock_(ctx.clock), irq_(ctx.irq), timer_(ctx.clock.create_timer([this] {
          sync_flags();
          update_irq();
          rearm();
      })) {
    io_.claim(0x70, 2, this);
    // The clock shows `start_epoch` at virtual time 0 with its divider running since then.
    origin_ns_ = 0;
    secs_at_origin_ = start_epoch;
    frozen_secs_ = start_epoch;
    flags_synced_ns_ = now_ns();
    // What QEMU's pc board stores before SeaBIOS runs: no floppy, FPU and PS/2 mouse present,
    // one CPU, boot order "cad" with the floppy signature check on.
    ram_[0x10] = 0x00;
    ram_[0x14] = 0x06;
    ram_[0x5f] = 0x00;
    set_boot_order("cad", true);
}

CmosRtc::~CmosRtc() {
    timer_.disarm();
    for (uint16_t p : {0x70, 0x71})
        if (io_.owner(p) == this) io_.release(p, 1);
}

int64_t CmosRtc::now_ns() const { return int64_t(clock_.now_ns()); }

void CmosRtc::reset() {
    sync_flags();
    reg_b_ &= uint8_t(~(kBPie | kBAie | kBUie | kBSqwe));
    reg_c_ = 0;
    index_ = 0;
    nmi_masked_ = true;
    update_irq();
    rearm();
}

// ---------------------------------------------------------------- board configuration

void CmosRtc::set_memory_layout(uint64_t below_4g, uint64_t above_4g) {
    constexpr uint64_t KiB = 1024, MiB = 1024 * KiB;
    uint64_t base = std::min<uint64_t>(below_4g / KiB, 640);
    uint64_t ext = below_4g > MiB ? std::min<uint64_t>((below_4g - MiB) / KiB, 0xffff) : 0;
    uint64_t ext16 =
        below_4g > 16 * MiB ? std::min<uint64_t>((below_4g - 16 * MiB) / (64 * KiB), 0xffff) : 0;
    uint64_t high = above_4g / (64 * KiB);
    auto put16 = [this](uint8_t at, uint64_t v) {
        ram_[at] = uint8_t(v);
        ram_[at + 1] = uint8_t(v >> 8);
    };
    put16(0x15, base);
    put16(0x17, ext);
    put16(0x30, ext);
    put16(0x34, ext16);
    ram_[0x5b] = uint8_t(high);
    ram_[0x5c] = uint8_t(high >> 8);
    ram_[0x5d] = uint8_t(high >> 16);
}

std::optional<std::string> CmosRtc::set_boot_order(std::string_view order,
                                                   bool floppy_signature_check) {
    if (order.size() > 3) return "too many boot devices for pc: '" + std::string(order) + "'";
    uint8_t nibble[3] = {0, 0, 0};
    for (size_t i = 0; i < order.size(); ++i) {
        switch (order[i]) {
        case 'a':
        case 'b': nibble[i] = 1; break;
        case 'c': nibble[i] = 2; break;
        case 'd': nibble[i] = 3; break;
        case 'n': nibble[i] = 4; break;
        default: return std::string("invalid boot device for pc: '") + order[i] + "'";
        }
    }
    // SeaBIOS boot_init(): first two devices in 3Dh (low nibble first), the third in the high
    // nibble of 38h; 38h bit 0 set = skip the floppy boot signature check.
    ram_[0x3d] = uint8_t(nibble[1] << 4 | nibble[0]);
    ram_[0x38] = uint8_t(nibble[2] << 4 | (floppy_signature_check ? 0 : 1));
    return std::nullopt;
}

void CmosRtc::set_byte(uint8_t index, uint8_t value) {
    index &= 0x7f;
    if (index >= 0x0e && index != kCentury) ram_[index] = value;
}

// ---------------------------------------------------------------- ports

uint8_t CmosRtc::port_read8(uint16_t port) {
    if (port == 0x70) return 0xff; // the index register is write-only
    return read_register(index_);
}

void CmosRtc::port_write8(uint16_t port, uint8_t value) {
    if (port == 0x70) {
        index_ = value & 0x7f;
        nmi_masked_ = value & 0x80;
        return;
    }
    write_register(index_, value);
}

uint8_t CmosRtc::read_register(uint8_t index) {
    if (is_time_register(index)) return time_byte(index);
    switch (index) {
    case kRegA: {
        int64_t phase = floor_mod(now_ns() - origin_ns_, kSec);
        bool uip = clock_running() && phase >= kSec - kUipLeadNs;
        return uint8_t(reg_a_ | (uip ? 0x80 : 0));
    }
    case kRegB: return reg_b_;
    case kRegC: {
        // Reading C returns and clears every flag and releases IRQ (MC146818A "Register C").
        sync_flags();
        uint8_t value = uint8_t(reg_c_ | ((reg_c_ & reg_b_ & 0x70) ? kCIrqf : 0));
        reg_c_ = 0;
        update_irq();
        rearm();
        return value;
    }
    case kRegD: return 0x80; // VRT: the battery is fine
    default: return ram_[index];
    }
}

void CmosRtc::write_register(uint8_t index, uint8_t value) {
    if (is_time_register(index)) {
        sync_flags();
        write_time_byte(index, value);
        update_irq();
        rearm();
        return;
    }
    switch (index) {
    case kSecondsAlarm:
    case kMinutesAlarm:
    case kHoursAlarm:
        sync_flags();
        ram_[index] = value;
        rearm();
        return;
    case kRegA: write_a(value); return;
    case kRegB: write_b(value); return;
    case kRegC:
    case kRegD: return; // read-only
    default: ram_[index] = value; return;
    }
}

// ---------------------------------------------------------------- the clock

bool CmosRtc::divider_running() const {
    // DV2-0: 000/001/010 select a time base (all treated as 32.768 kHz in virtual time);
    // 11x holds the divider in reset, 011-101 are test modes: the clock does not advance.
    return ((reg_a_ >> 4) & 7) <= 2;
}

bool CmosRtc::clock_running() const { return divider_running() && !(reg_b_ & kBSet); }

int64_t CmosRtc::seconds_at(int64_t ns) const {
    if (!clock_running()) return frozen_secs_;
    return secs_at_origin_ + floor_div(ns - origin_ns_, kSec);
}

int64_t CmosRtc::clock_seconds() const { return seconds_at(now_ns()); }

CmosRtc::Fields CmosRtc::fields_at(int64_t secs) const {
    Fields f{};
    int64_t days = floor_div(secs, 86400);
    int64_t sod = secs - days * 86400;
    date_from_days(days, f.year, f.month, f.day);
    f.hour = int(sod / 3600);
    f.minute = int(sod / 60 % 60);
    f.second = int(sod % 60);
    return f;
}

void CmosRtc::set_clock(int64_t secs) {
    // Keep the update grid: only the displayed value changes.
    if (clock_running())
        secs_at_origin_ = secs - floor_div(now_ns() - origin_ns_, kSec);
    else
        frozen_secs_ = secs;
}

uint8_t CmosRtc::encode(int v) const {
    if (reg_b_ & kBBinary) return uint8_t(v);
    return uint8_t((v / 10 % 10) << 4 | (v % 10));
}

int CmosRtc::decode(uint8_t b) const {
    // Invalid BCD digits decode by weight (a defined value; the clock normalizes it).
    return (reg_b_ & kBBinary) ? b : (b >> 4) * 10 + (b & 15);
}

uint8_t CmosRtc::encode_hour(int h) const {
    if (reg_b_ & kB24h) return encode(h);
    int h12 = h % 12 == 0 ? 12 : h % 12;
    return uint8_t(encode(h12) | (h >= 12 ? 0x80 : 0)); // 12-hour mode: bit 7 = PM
}

int CmosRtc::decode_hour(uint8_t b) const {
    if (reg_b_ & kB24h) return decode(b);
    return decode(b & 0x7f) % 12 + ((b & 0x80) ? 12 : 0);
}

uint8_t CmosRtc::time_byte(uint8_t index) const {
    int64_t secs = clock_seconds();
    Fields f = fields_at(secs);
    switch (index) {
    case kSeconds: return encode(f.second);
    case kMinutes: return encode(f.minute);
    case kHours: return encode_hour(f.hour);
    case kDayOfWeek: {
        int dow = int(floor_mod(floor_div(secs, 86400) + 4, 7)); // 1970-01-01 was a Thursday
        return encode(int(floor_mod(dow + dow_offset_, 7)) + 1); // 1 = Sunday
    }
    case kDayOfMonth: return encode(f.day);
    case kMonth: return encode(f.month);
    case kYear: return encode(int(floor_mod(f.year, 100)));
    default: return encode(int(floor_div(f.year, 100))); // century (BIOS convention, 32h)
    }
}

void CmosRtc::write_time_byte(uint8_t index, uint8_t value) {
    int64_t secs = clock_seconds();
    Fields f = fields_at(secs);
    switch (index) {
    case kSeconds: f.second = decode(value); break;
    case kMinutes: f.minute = decode(value); break;
    case kHours: f.hour = decode_hour(value); break;
    case kDayOfMonth: f.day = decode(value); break;
    case kMonth: f.month = decode(value); break;
    case kYear: f.year = floor_div(f.year, 100) * 100 + decode(value); break;
    case kCentury: f.year = int64_t(decode(value)) * 100 + floor_mod(f.year, 100); break;
    default: {
        // The day of week is an independent counter on the part; keep the guest's offset.
        int dow = int(floor_mod(floor_div(secs, 86400) + 4, 7));
        dow_offset_ = int(floor_mod(decode(value) - 1 - dow, 7));
        return;
    }
    }
    // Out-of-range values (month 13, hour 25, day 0) carry into the neighbouring fields: defined,
    // reproducible, and what a guest that reads back sees.
    int64_t month0 = int64_t(f.month) - 1;
    int64_t year = f.year + floor_div(month0, 12);
    int64_t days = days_from_date(year, int(floor_mod(month0, 12)) + 1, 1) + f.day - 1;
    set_clock(days * 86400 + int64_t(f.hour) * 3600 + int64_t(f.minute) * 60 + f.second);
}

void CmosRtc::write_a(uint8_t value) {
    sync_flags();
    int64_t secs = clock_seconds();
    bool divider_was_running = divider_running();
    reg_a_ = value & 0x7f; // UIP is read-only
    if (!divider_was_running && divider_running()) {
        // Leaving divider reset: the first update comes half a second later (MC146818A DV bits).
        origin_ns_ = now_ns() - kSec / 2;
    }
    set_clock(secs);
    update_irq();
    rearm();
}

void CmosRtc::write_b(uint8_t value) {
    sync_flags();
    int64_t secs = clock_seconds();
    if (value & kBSet) value &= uint8_t(~kBUie); // SET clears UIE (MC146818A "UIE")
    reg_b_ = value;
    // SET stops updates without touching the divider: on release the clock resumes on its grid.
    set_clock(secs);
    update_irq();
    rearm();
}

// ---------------------------------------------------------------- alarm

bool CmosRtc::alarm_field(uint8_t alarm, uint8_t now) {
    return (alarm & 0xc0) == 0xc0 || alarm == now; // 11xxxxxx = "don't care"
}

std::optional<int64_t> CmosRtc::next_alarm(int64_t after) const {
    auto h_ok = [this](int h) { return alarm_field(ram_[kHoursAlarm], encode_hour(h)); };
    auto m_ok = [this](int m) { return alarm_field(ram_[kMinutesAlarm], encode(m)); };
    auto s_ok = [this](int s) { return alarm_field(ram_[kSecondsAlarm], encode(s)); };
    auto any = [](int count, auto ok) {
        for (int i = 0; i < count; ++i)
            if (ok(i)) return true;
        return false;
    };
    // A field no value can match (e.g. seconds alarm 60h) means the alarm never fires.
    if (!any(24, h_ok) || !any(60, m_ok) || !any(60, s_ok)) return std::nullopt;
    Fields f = fields_at(after);
    int64_t day_start = floor_div(after, 86400) * 86400;
    for (int day = 0; day < 2; ++day) {
        bool today = day == 0;
        for (int h = today ? f.hour : 0; h < 24; ++h) {
            if (!h_ok(h)) continue;
            bool this_hour = today && h == f.hour;
            for (int m = this_hour ? f.minute : 0; m < 60; ++m) {
                if (!m_ok(m)) continue;
                bool this_minute = this_hour && m == f.minute;
                for (int s = this_minute ? f.second + 1 : 0; s < 60; ++s)
                    if (s_ok(s)) return day_start + day * 86400 + h * 3600 + m * 60 + s;
            }
        }
    }
    return std::nullopt;
}

// ---------------------------------------------------------------- flags and IRQ 8

int64_t CmosRtc::periodic_period_num() const {
    // Rate select RS3-0 with the 32.768 kHz time base (MC146818A table 5): 1 and 2 alias 8 and 9.
    unsigned rs = reg_a_ & 15;
    if (rs == 0) return 0;
    unsigned exponent = rs <= 2 ? rs + 6 : rs - 1;
    return int64_t(1) << exponent; // period = 2^exponent / 32768 s
}

int64_t CmosRtc::periodic_count(int64_t ns) const {
    __int128 num = (__int128)(ns - origin_ns_) * 32768;
    __int128 den = (__int128)periodic_period_num() * kSec;
    __int128 q = num / den;
    if (num % den != 0 && num < 0) --q;
    return int64_t(q);
}

int64_t CmosRtc::next_periodic_ns(int64_t ns) const {
    __int128 k = periodic_count(ns) + 1;
    __int128 num = k * periodic_period_num() * kSec;
    return origin_ns_ + int64_t((num + 32767) / 32768);
}

int64_t CmosRtc::next_update_ns(int64_t ns) const {
    return origin_ns_ + (floor_div(ns - origin_ns_, kSec) + 1) * kSec;
}

void CmosRtc::sync_flags() {
    int64_t now = now_ns(), then = flags_synced_ns_;
    flags_synced_ns_ = now;
    if (now <= then) return;
    // Flags are set whether or not their interrupt is enabled (MC146818A "Register C").
    if (clock_running()) {
        if (floor_div(now - origin_ns_, kSec) > floor_div(then - origin_ns_, kSec)) reg_c_ |= kCUf;
        int64_t from = seconds_at(then), to = seconds_at(now);
        if (to > from) {
            std::optional<int64_t> hit = next_alarm(from);
            if (hit && *hit <= to) reg_c_ |= kCAf;
        }
    }
    if (divider_running() && periodic_period_num() && periodic_count(now) > periodic_count(then))
        reg_c_ |= kCPf;
}

void CmosRtc::update_irq() {
    // IRQF = PF.PIE + AF.AIE + UF.UIE; the inverted IRQ# pin is ISA IRQ 8.
    bool level = (reg_c_ & reg_b_ & 0x70) != 0;
    if (level == irq_level_) return;
    irq_level_ = level;
    irq_.set_irq(kIrq, level);
}

void CmosRtc::rearm() {
    timer_.disarm();
    if (irq_level_) return; // nothing can change until register C is read
    int64_t now = now_ns();
    int64_t next = INT64_MAX;
    if ((reg_b_ & kBPie) && divider_running() && periodic_period_num())
        next = std::min(next, next_periodic_ns(now));
    if ((reg_b_ & kBUie) && clock_running()) next = std::min(next, next_update_ns(now));
    if ((reg_b_ & kBAie) && clock_running()) {
        if (std::optional<int64_t> hit = next_alarm(seconds_at(now)))
            next = std::min(next, origin_ns_ + (*hit - secs_at_origin_) * kSec);
    }
    if (next != INT64_MAX) timer_.arm(uint64_t(next));
}

} // namespace rr86
