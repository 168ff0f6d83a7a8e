// Intel 8254 programmable interval timer (channels 0-2 at 40h-43h) and the PC/AT port 61h
// (PIIX3 "NMI Status and Control": timer 2 gate, speaker data, refresh toggle, OUT2).
//
// Reference: Intel 8254 datasheet (control word, counter latch, read-back command and status
// byte, modes 0-5, GATE behaviour, count loading on the CLK edge after the write, BCD counting);
// Intel 82371SB (PIIX3) datasheet §4.7.2 (port 61h bits).
//
// Nothing here counts: the counting element of each channel is a function of the input-clock tick
// number, ticks(t) = floor(t_ns * 1193182 / 10^9), computed from the virtual clock when the guest
// looks. Channel 0's OUT drives ISA IRQ 0; a VirtualClock timer fires at each OUT transition, so
// the interrupt edges land on exact, reproducible instructions.
#pragma once

#include "devices/device.h"

#include <cstdint>

namespace rr86 {

class Pit8254 : public Device, public PortHandler {
  public:
    static constexpr uint64_t kInputHz = 1193182;
    static constexpr unsigned kIrq = 0;

    explicit Pit8254(DeviceContext& ctx);
    ~Pit8254() override;

    std::string name() const override { return "pit8254"; }
    void reset() override;

    uint8_t port_read8(uint16_t port) override;
    void port_write8(uint16_t port, uint8_t value) override;

    // Observers for tests, the monitor and a future speaker backend.
    bool out(unsigned channel);
    uint16_t counter(unsigned channel); // the counting element as a read would show it
    uint8_t mode(unsigned channel) const;
    bool speaker_enabled() const { return (port61_ & 0x03) == 0x03; }
    // Input-clock ticks elapsed at virtual time `ns`, and the first ns at which tick `tick` is
    // reached.
    static uint64_t ticks_at(uint64_t ns);
    static uint64_t ns_of_tick(uint64_t tick);

  private:
    enum class Run : uint8_t { Idle, Waiting, Running };

    struct Channel {
        uint8_t mode = 3; // as programmed (0-7)
        uint8_t rw = 3;   // 1 lsb, 2 msb, 3 lsb then msb
        bool bcd = false;
        bool gate = true;
        Run run = Run::Idle;
        uint32_t n = 0x10000; // effective initial count (1..65536, BCD 1..10000)
        uint16_t cr = 0;      // count register as written
        uint64_t base = 0;    // tick at which the CE was loaded (d = 0)
        uint64_t offset = 0;  // mode 3 position at `base` (0, or the high half when starting low)
        bool frozen = false;  // GATE low in modes 0/4: counting suspended at `frozen_d`
        uint64_t frozen_d = 0;
        bool pending = false; // modes 2/3: a new count to load at tick `pending_at`
        uint32_t pending_n = 0;
        uint64_t pending_at = 0;
        bool pending_low = false; // mode 3: the new count starts with the low half
        // Before `base` (the CE load edge) the channel shows what it showed at the write.
        bool pre_out = true;
        uint16_t pre_ce = 0;
        bool null_count = true;
        // Access state (8254 "Read/Write Logic").
        bool write_msb_next = false;
        uint8_t write_lsb = 0;
        bool read_msb_next = false;
        bool count_latched = false;
        uint16_t latch = 0;
        bool latch_msb_next = false;
        bool status_latched = false;
        uint8_t status = 0;

        unsigned eff_mode() const { return mode >= 6 ? mode - 4u : mode; }
    };

    uint64_t now_tick() const;
    void settle(Channel& c, uint64_t tick);
    bool out_at(const Channel& c, uint64_t tick) const;
    uint32_t ce_at(const Channel& c, uint64_t tick) const; // 1..n, or the raw 16-bit value
    uint16_t ce_visible(const Channel& c, uint64_t tick) const;
    uint64_t elapsed(const Channel& c, uint64_t tick) const;
    // Next tick > `tick` at which OUT changes, or UINT64_MAX.
    uint64_t next_transition(const Channel& c, uint64_t tick) const;

    void control_word(uint8_t value);
    void read_back(uint8_t value);
    void latch_count(Channel& c, uint64_t tick);
    void latch_status(Channel& c, uint64_t tick);
    void write_counter(unsigned index, uint8_t value);
    void load_count(Channel& c, uint16_t raw, uint64_t tick);
    void start(Channel& c, uint64_t tick);
    void schedule_reload(Channel& c, uint32_t n, uint64_t tick);
    uint8_t read_counter(unsigned index);
    void set_gate(Channel& c, bool gate, uint64_t tick);
    uint32_t effective_count(const Channel& c, uint16_t raw) const;

    // Channel 0 -> IRQ 0.
    void reschedule_irq();
    void on_timer();

    IoPorts& io_;
    VirtualClock& clock_;
    InterruptLines& irq_;
    Timer& timer_;
    Channel ch_[3];
    uint8_t port61_ = 0; // bits 0-3 as written
    bool irq_level_ = false;
};

} // namespace rr86
