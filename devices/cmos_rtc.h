// Motorola MC146818A real-time clock with 128 bytes of CMOS RAM, behind the PC's index/data
// ports 70h/71h; bit 7 of the index is the PIIX3's NMI mask (82371SB datasheet §4.8, "RTC Index
// register: NMI enable").
//
// Reference: MC146818A datasheet (time/calendar/alarm bytes, registers A-D, the update cycle and
// UIP timing, periodic rates for the 32.768 kHz time base, interrupt flags and IRQF, RESET), and
// the CMOS layout the QEMU `pc` machine gives SeaBIOS (memory sizes, boot order, equipment byte;
// SeaBIOS src/hw/rtc.h names the offsets).
//
// Time is never read from the host: the clock shows `start_epoch` (a configuration value, seconds
// since 1970-01-01 UTC) at virtual time 0 and advances with the virtual clock. Updates happen on a
// one-second grid anchored at the divider chain's start; flags (PF, AF, UF) are derived from the
// grid when the guest looks, and a VirtualClock timer raises IRQ 8 only for enabled sources.
#pragma once

#include "devices/device.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rr86 {

class CmosRtc : public Device, public PortHandler {
  public:
    static constexpr unsigned kIrq = 8;

    CmosRtc(DeviceContext& ctx, int64_t start_epoch);
    ~CmosRtc() override;

    std::string name() const override { return "cmos_rtc"; }
    // System reset: the RTC's RESET pin (datasheet "RESET"): interrupt enables and flags cleared;
    // time and CMOS RAM survive (battery-backed).
    void reset() override;

    uint8_t port_read8(uint16_t port) override;
    void port_write8(uint16_t port, uint8_t value) override;

    // --- Board configuration (before the guest runs) ---
    // The memory-size bytes SeaBIOS reads on QEMU: 15h/16h base KiB (640), 17h/18h = 30h/31h
    // KiB above 1 MiB (cap FFFFh), 34h/35h 64 KiB units above 16 MiB (cap FFFFh), 5Bh-5Dh 64 KiB
    // units above 4 GiB.
    void set_memory_layout(uint64_t below_4g_bytes, uint64_t above_4g_bytes);
    // QEMU `-boot order=` letters (a/b floppy, c disk, d CD, n network; up to three) into 3Dh and
    // 38h the way SeaBIOS's boot_init() decodes them. Returns an error message on bad input.
    std::optional<std::string> set_boot_order(std::string_view order, bool floppy_signature_check);
    // Plain CMOS RAM bytes (0Eh-7Fh) for anything else the board wants to publish.
    void set_byte(uint8_t index, uint8_t value);
    uint8_t byte(uint8_t index) const { return ram_[index & 0x7f]; }

    // --- Observers ---
    bool nmi_masked() const { return nmi_masked_; }
    uint8_t index() const { return index_; }
    // The clock's current value in seconds since 1970-01-01 (what the time bytes encode).
    int64_t clock_seconds() const;
    bool irq_level() const { return irq_level_; }

  private:
    struct Fields {
        int64_t year;
        int month, day, hour, minute, second;
    };

    int64_t now_ns() const;
    bool divider_running() const;
    bool clock_running() const;
    int64_t seconds_at(int64_t ns) const;
    Fields fields_at(int64_t secs) const;
    uint8_t read_register(uint8_t index);
    void write_register(uint8_t index, uint8_t value);
    uint8_t time_byte(uint8_t index) const;
    void write_time_byte(uint8_t index, uint8_t value);
    void set_clock(int64_t secs);
    void write_a(uint8_t value);
    void write_b(uint8_t value);

    uint8_t encode(int v) const;
    int decode(uint8_t b) const;
    uint8_t encode_hour(int h) const;
    int decode_hour(uint8_t b) const;
    static bool alarm_field(uint8_t alarm, uint8_t now);
    // First clock value > `after` whose time of day matches the alarm bytes, if any.
    std::optional<int64_t> next_alarm(int64_t after) const;

    // Flags and interrupts.
    void sync_flags();
    void update_irq();
    void rearm();
    int64_t periodic_period_num() const; // period = num / 32768 s, 0 = off
    int64_t next_periodic_ns(int64_t ns) const;
    int64_t periodic_count(int64_t ns) const; // boundaries in (origin, ns]
    int64_t next_update_ns(int64_t ns) const;

    IoPorts& io_;
    VirtualClock& clock_;
    InterruptLines& irq_;
    Timer& timer_;

    uint8_t ram_[128] = {};
    uint8_t index_ = 0;
    bool nmi_masked_ = true;
    uint8_t reg_a_ = 0x26, reg_b_ = 0x02, reg_c_ = 0;

    // Divider chain start: updates at origin + k s (k >= 1), periodic ticks at origin + k * P.
    int64_t origin_ns_ = 0;
    int64_t secs_at_origin_ = 0; // clock value in [origin, origin + 1 s) while running
    int64_t frozen_secs_ = 0;    // clock value while stopped (SET or divider held)
    int dow_offset_ = 0;         // guest-written day of week relative to the true one
    int64_t flags_synced_ns_ = 0;
    bool irq_level_ = false;
};

} // namespace rr86
