#include "devices/pit8254.h"

#include <limits>

namespace rr86 {

namespace {
constexpr uint64_t kNsPerSec = 1000000000ull;
constexpr uint64_t kNever = std::numeric_limits<uint64_t>::max();
// A PC/AT refreshes DRAM every 18 input clocks (channel 1, ~15.08 us); port 61h bit 4 toggles
// on each refresh request. Firmware delay loops count these toggles.
constexpr uint64_t kRefreshTicks = 18;

uint32_t bcd_decode(uint16_t raw) {
    // Invalid digits (A-F) are weighted like valid ones: a defined, if odd, count.
    return (raw >> 12 & 15) * 1000u + (raw >> 8 & 15) * 100u + (raw >> 4 & 15) * 10u + (raw & 15);
}

uint16_t bcd_encode(uint32_t v) {
    v %= 10000;
    return uint16_t((v / 1000) << 12 | (v / 100 % 10) << 8 | (v / 10 % 10) << 4 | (v % 10));
}
} // namespace

Pit8254::Pit8254(DeviceContext& ctx)
    : io_(ctx.io), clock_(ctx.clock), irq_(ctx.irq),
      timer_(ctx.clock.create_timer([this] { on_timer(); })) {
    io_.claim(0x40, 4, this);
    io_.claim(0x61, 1, this);
    reset();
}

Pit8254::~Pit8254() {
    timer_.disarm();
    for (uint16_t p : {0x40, 0x41, 0x42, 0x43, 0x61})
        if (io_.owner(p) == this) io_.release(p, 1);
}

uint64_t Pit8254::ticks_at(uint64_t ns) {
    return uint64_t((unsigned __int128)ns * kInputHz / kNsPerSec);
}

uint64_t Pit8254::ns_of_tick(uint64_t tick) {
    return uint64_t(((unsigned __int128)tick * kNsPerSec + kInputHz - 1) / kInputHz);
}

uint64_t Pit8254::now_tick() const { return ticks_at(clock_.now_ns()); }

void Pit8254::reset() {
    // Power-on state as the reference machine presents it: every channel in mode 3 with count
    // 0 (65536), channels 0 and 1 counting (GATE tied high), channel 2 gated off by port 61h.
    uint64_t tick = now_tick();
    port61_ = 0;
    for (unsigned i = 0; i < 3; ++i) {
        Channel& c = ch_[i];
        c = Channel{};
        c.gate = i != 2;
        c.n = 0x10000;
        if (c.gate)
            start(c, tick);
        else
            c.run = Run::Waiting;
    }
    irq_level_ = false;
    irq_.set_irq(kIrq, false);
    reschedule_irq();
}

// ---------------------------------------------------------------- the counting element

uint32_t Pit8254::effective_count(const Channel& c, uint16_t raw) const {
    if (c.bcd) {
        uint32_t v = bcd_decode(raw);
        return v ? v : 10000;
    }
    return raw ? raw : 0x10000;
}

void Pit8254::start(Channel& c, uint64_t tick) {
    // The count register moves into the counting element on the CLK edge after the write.
    c.run = Run::Running;
    c.base = tick + 1;
    c.offset = 0;
    c.pending = false;
    unsigned m = c.eff_mode();
    c.frozen = (m == 0 || m == 4) && !c.gate;
    c.frozen_d = 0;
}

void Pit8254::settle(Channel& c, uint64_t tick) {
    if (c.pending && tick >= c.pending_at) {
        c.base = c.pending_at;
        c.n = c.pending_n;
        // A mode 3 reload at the falling edge starts in the low half.
        c.offset = c.eff_mode() == 3 && c.pending_low ? c.n - c.n / 2 : 0;
        c.pending = false;
    }
    if (c.null_count && c.run == Run::Running && !c.pending && tick >= c.base) c.null_count = false;
}

uint64_t Pit8254::elapsed(const Channel& c, uint64_t tick) const {
    uint64_t d = c.frozen ? c.frozen_d : (tick >= c.base ? tick - c.base : 0);
    return d + c.offset;
}

bool Pit8254::out_at(const Channel& c, uint64_t tick) const {
    if (c.run != Run::Running || tick < c.base) return c.pre_out;
    uint64_t d = elapsed(c, tick);
    uint64_t n = c.n;
    switch (c.eff_mode()) {
    case 0:
    case 1: return d >= n;                          // low until terminal count, then high
    case 2: return n == 1 || d % n != n - 1;        // low for the one CLK at count 1
    case 3: return n / 2 == 0 || d % n < n - n / 2; // high for ceil(n/2), low for floor(n/2)
    default: return d != n; // modes 4/5: one CLK low strobe at terminal count
    }
}

uint32_t Pit8254::ce_at(const Channel& c, uint64_t tick) const {
    if (c.run != Run::Running || tick < c.base) return c.pre_ce;
    uint64_t d = elapsed(c, tick);
    uint64_t n = c.n;
    switch (c.eff_mode()) {
    case 2: return uint32_t(n - d % n);
    case 3: {
        // Mode 3 counts down by two; an odd count spends one extra CLK in the high half
        // (8254 "Mode 3": -1 first when OUT is high, -3 first when OUT is low).
        uint64_t high = n - n / 2, r = d % n;
        if (n % 2 == 0) return uint32_t(n - 2 * (r < high ? r : r - high));
        if (r < high) return uint32_t(r == 0 ? n : n - 1 - 2 * (r - 1));
        uint64_t q = r - high;
        return uint32_t(q == 0 ? n : n - 3 - 2 * (q - 1));
    }
    default: {
        // Modes 0, 1, 4, 5 wrap after terminal count and keep counting.
        uint64_t mod = c.bcd ? 10000 : 0x10000;
        return uint32_t((n + mod - d % mod) % mod);
    }
    }
}

uint16_t Pit8254::ce_visible(const Channel& c, uint64_t tick) const {
    uint32_t v = ce_at(c, tick);
    return c.bcd ? bcd_encode(v) : uint16_t(v);
}

uint64_t Pit8254::next_transition(const Channel& c, uint64_t tick) const {
    if (c.run != Run::Running || c.frozen) return kNever;
    if (tick < c.base) {
        if (out_at(c, c.base) != c.pre_out) return c.base;
        tick = c.base;
    }
    uint64_t d = elapsed(c, tick);
    uint64_t n = c.n;
    switch (c.eff_mode()) {
    case 0:
    case 1: return d < n ? tick + (n - d) : kNever;
    case 2: {
        if (n == 1) return kNever;
        uint64_t r = d % n;
        return r < n - 1 ? tick + (n - 1 - r) : tick + 1;
    }
    case 3: {
        uint64_t high = n - n / 2, r = d % n;
        if (n / 2 == 0) return kNever;
        return r < high ? tick + (high - r) : tick + (n - r);
    }
    default:
        if (d < n) return tick + (n - d);
        return d == n ? tick + 1 : kNever;
    }
}

// ---------------------------------------------------------------- programming

void Pit8254::control_word(uint8_t value) {
    unsigned sc = value >> 6;
    if (sc == 3) {
        read_back(value);
        return;
    }
    Channel& c = ch_[sc];
    uint64_t tick = now_tick();
    settle(c, tick);
    unsigned rw = (value >> 4) & 3;
    if (rw == 0) {
        latch_count(c, tick);
        return;
    }
    // A control word resets the channel's control logic; counting stops until a count arrives.
    // OUT goes low in mode 0 and high in every other mode (8254 "Mode Definitions").
    c.pre_ce = ce_visible(c, tick);
    c.mode = (value >> 1) & 7;
    c.rw = uint8_t(rw);
    c.bcd = value & 1;
    c.run = Run::Idle;
    c.pending = c.frozen = false;
    c.offset = 0;
    c.null_count = true;
    c.pre_out = c.eff_mode() != 0;
    c.write_msb_next = c.read_msb_next = c.latch_msb_next = false;
    c.count_latched = c.status_latched = false;
    if (sc == 0) reschedule_irq();
}

void Pit8254::read_back(uint8_t value) {
    // 11 /COUNT /STATUS CNT2 CNT1 CNT0 0 (8254 "Read-Back Command"); a second latch of the same
    // kind before the first is read is ignored.
    uint64_t tick = now_tick();
    for (unsigned i = 0; i < 3; ++i) {
        if (!(value & (2u << i))) continue;
        settle(ch_[i], tick);
        if (!(value & 0x10)) latch_status(ch_[i], tick);
        if (!(value & 0x20)) latch_count(ch_[i], tick);
    }
}

void Pit8254::latch_count(Channel& c, uint64_t tick) {
    if (c.count_latched) return;
    c.latch = ce_visible(c, tick);
    c.count_latched = true;
    c.latch_msb_next = false;
}

void Pit8254::latch_status(Channel& c, uint64_t tick) {
    if (c.status_latched) return;
    c.status = uint8_t((out_at(c, tick) ? 0x80 : 0) | (c.null_count ? 0x40 : 0) | c.rw << 4 |
                       c.mode << 1 | (c.bcd ? 1 : 0));
    c.status_latched = true;
}

void Pit8254::write_counter(unsigned index, uint8_t value) {
    Channel& c = ch_[index];
    uint64_t tick = now_tick();
    settle(c, tick);
    switch (c.rw) {
    case 1: load_count(c, value, tick); break;
    case 2: load_count(c, uint16_t(value << 8), tick); break;
    default:
        if (!c.write_msb_next) {
            c.write_lsb = value;
            c.write_msb_next = true;
            // Mode 0: writing the first byte of a two-byte count stops counting.
            if (c.eff_mode() == 0 && c.run == Run::Running && !c.frozen) {
                c.frozen_d = elapsed(c, tick);
                c.frozen = true;
            }
        } else {
            c.write_msb_next = false;
            load_count(c, uint16_t(c.write_lsb | value << 8), tick);
        }
        break;
    }
    if (index == 0) reschedule_irq();
}

void Pit8254::load_count(Channel& c, uint16_t raw, uint64_t tick) {
    c.cr = raw;
    c.null_count = true;
    uint32_t n = effective_count(c, raw);
    switch (c.eff_mode()) {
    case 0:
    case 4:
        // A new count restarts the cycle; mode 0's OUT goes low until the new terminal count.
        c.pre_ce = ce_visible(c, tick);
        c.pre_out = c.eff_mode() == 4;
        c.n = n;
        start(c, tick);
        return;
    case 1:
    case 5:
        // Hardware-triggered: the count waits for a GATE rising edge; a running one-shot is
        // not disturbed by the new count.
        if (c.run == Run::Idle) {
            c.run = Run::Waiting;
            c.n = n;
        }
        return;
    default:
        if (c.run == Run::Running) {
            schedule_reload(c, n, tick);
            return;
        }
        c.n = n;
        c.pre_out = true;
        if (c.gate)
            start(c, tick);
        else
            c.run = Run::Waiting;
        return;
    }
}

void Pit8254::schedule_reload(Channel& c, uint32_t n, uint64_t tick) {
    // Modes 2/3: a count written while counting is loaded at the end of the current period
    // (mode 2) or half-period (mode 3), so the waveform never glitches.
    uint64_t t = tick < c.base ? c.base : tick;
    uint64_t d = elapsed(c, t), old = c.n, r = d % old;
    c.pending = true;
    c.pending_n = n;
    if (c.eff_mode() == 2) {
        c.pending_at = t + (old - r);
        return;
    }
    uint64_t high = old - old / 2;
    if (r < high && old / 2 != 0) {
        c.pending_at = t + (high - r);
        c.pending_low = true;
    } else {
        c.pending_at = t + (old - r);
        c.pending_low = false;
    }
}

uint8_t Pit8254::read_counter(unsigned index) {
    Channel& c = ch_[index];
    uint64_t tick = now_tick();
    settle(c, tick);
    if (c.status_latched) {
        c.status_latched = false;
        return c.status;
    }
    if (c.count_latched) {
        bool msb = c.rw == 2 || (c.rw == 3 && c.latch_msb_next);
        if (c.rw == 3 && !c.latch_msb_next)
            c.latch_msb_next = true;
        else
            c.count_latched = false;
        return uint8_t(msb ? c.latch >> 8 : c.latch);
    }
    uint16_t v = ce_visible(c, tick);
    bool msb = c.rw == 2 || (c.rw == 3 && c.read_msb_next);
    if (c.rw == 3) c.read_msb_next = !c.read_msb_next;
    return uint8_t(msb ? v >> 8 : v);
}

void Pit8254::set_gate(Channel& c, bool gate, uint64_t tick) {
    settle(c, tick);
    if (gate == c.gate) return;
    c.gate = gate;
    if (c.run == Run::Idle) return;
    switch (c.eff_mode()) {
    case 0:
    case 4:
        // GATE low suspends counting; OUT is unaffected.
        if (c.run != Run::Running) return;
        if (!gate) {
            c.frozen_d = elapsed(c, tick);
            c.frozen = true;
        } else if (c.frozen) {
            c.frozen = false;
            c.base = tick + 1 > c.frozen_d ? tick + 1 - c.frozen_d : 0;
        }
        return;
    case 1:
    case 5:
        // A rising edge (re)triggers: the count register is loaded on the next CLK.
        if (!gate) return;
        c.pre_out = out_at(c, tick);
        c.pre_ce = ce_visible(c, tick);
        c.n = effective_count(c, c.cr);
        c.null_count = true;
        start(c, tick);
        return;
    default:
        // Modes 2/3: GATE low forces OUT high and stops counting; the rising edge reloads.
        if (!gate) {
            c.pre_ce = ce_visible(c, tick);
            c.pre_out = true;
            c.run = Run::Waiting;
            c.pending = false;
            return;
        }
        c.n = effective_count(c, c.cr);
        c.pre_out = true;
        start(c, tick);
        return;
    }
}

// ---------------------------------------------------------------- IRQ 0

void Pit8254::reschedule_irq() {
    Channel& c = ch_[0];
    uint64_t tick = now_tick();
    settle(c, tick);
    bool level = out_at(c, tick);
    if (level != irq_level_) {
        irq_level_ = level;
        irq_.set_irq(kIrq, level);
    }
    uint64_t next = next_transition(c, tick);
    // A pending reload changes the waveform even where OUT does not move (e.g. from count 1).
    if (c.pending && c.pending_at < next) next = c.pending_at;
    if (next == kNever)
        timer_.disarm();
    else
        timer_.arm(ns_of_tick(next));
}

void Pit8254::on_timer() { reschedule_irq(); }

// ---------------------------------------------------------------- ports

uint8_t Pit8254::port_read8(uint16_t port) {
    if (port == 0x61) {
        uint64_t tick = now_tick();
        settle(ch_[2], tick);
        bool refresh = (tick / kRefreshTicks) & 1;
        return uint8_t((port61_ & 0x0f) | (refresh ? 0x10 : 0) | (out_at(ch_[2], tick) ? 0x20 : 0));
    }
    if (port == 0x43) return 0xff; // the control word register is write-only
    return read_counter(port - 0x40u);
}

void Pit8254::port_write8(uint16_t port, uint8_t value) {
    if (port == 0x61) {
        // Bit 0 gates timer 2, bit 1 enables the speaker, bits 2-3 are the SERR#/IOCHK# NMI
        // enables (stored only); bits 4-7 are read-only status.
        port61_ = value & 0x0f;
        set_gate(ch_[2], value & 1, now_tick());
        return;
    }
    if (port == 0x43)
        control_word(value);
    else
        write_counter(port - 0x40u, value);
}

// ---------------------------------------------------------------- observers

bool Pit8254::out(unsigned channel) {
    Channel& c = ch_[channel % 3];
    uint64_t tick = now_tick();
    settle(c, tick);
    return out_at(c, tick);
}

uint16_t Pit8254::counter(unsigned channel) {
    Channel& c = ch_[channel % 3];
    uint64_t tick = now_tick();
    settle(c, tick);
    return ce_visible(c, tick);
}

uint8_t Pit8254::mode(unsigned channel) const { return ch_[channel % 3].mode; }

} // namespace rr86
