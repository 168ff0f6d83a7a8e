// Intel 8259A programmable interrupt controller pair, as on the PC/AT and in the PIIX3 south
// bridge.
//
// Reference: Intel 8259A datasheet (ICW1-4, OCW1-3, priority resolution, AEOI, special mask mode,
// poll command, spurious IR7), Intel 82371SB (PIIX3) datasheet §2.6 and §4.2 (the cascaded pair
// at 20h/21h and A0h/A1h, slave INT on master IR2, edge/level per line through the ELCR registers
// 4D0h/4D1h that replace ICW1.LTIM).
//
// The pair is the board's InterruptLines: ISA devices drive lines 0-15 through set_irq(). The
// master's INT output goes to the CPU through `on_intr`; the CPU's INTA cycle is acknowledge().
#pragma once

#include "devices/device.h"

#include <cstdint>
#include <functional>

namespace rr86 {

// One 8259A. It only knows its own eight inputs; cascading is the pair's wiring.
class Pic8259 {
  public:
    explicit Pic8259(bool master) : master_(master) { reset(); }

    void reset();
    // Input pin IRn changed to `level`.
    void set_input(unsigned ir, bool level);
    // Lines whose bit is set are level-sensitive (PIIX3 ELCR); the others are edge-sensitive.
    void set_level_mask(uint8_t mask);

    void write(bool a0, uint8_t value);
    // A read while a poll command is pending is the poll's interrupt acknowledge.
    uint8_t read(bool a0);

    // The input that would be signalled on INT now, or -1.
    int pending() const;
    // The INTA cycle's effect on ISR/IRR for input `ir` (which pending() returned).
    void acknowledge(unsigned ir);
    uint8_t vector(unsigned ir) const { return uint8_t(vector_base_ | (ir & 7)); }
    // True when this master treats IR2 as the slave's INT (ICW3 bit 2, cascade mode).
    bool cascades_ir2() const { return master_ && !single_ && (icw3_ & 0x04); }

    uint8_t irr() const { return irr_; }
    uint8_t isr() const { return isr_; }
    uint8_t imr() const { return imr_; }
    uint8_t level_mask() const { return level_mask_; }
    bool initializing() const { return init_step_ != 0; }

  private:
    void write_command(uint8_t value);
    void write_data(uint8_t value);
    void init_icw1(uint8_t value);
    void ocw2(uint8_t value);
    void ocw3(uint8_t value);
    // Priority level (0 = highest) of the highest-priority bit of `mask`, or 8 when empty.
    unsigned priority_of(uint8_t mask) const;
    unsigned ir_of_priority(unsigned priority) const { return (priority + lowest_ + 1) & 7; }

    bool master_;
    uint8_t irr_ = 0, isr_ = 0, imr_ = 0;
    uint8_t level_mask_ = 0;
    uint8_t inputs_ = 0;      // current pin levels
    uint8_t edge_latch_ = 0;  // pins seen high since the last low (edge detector), cleared by ICW1
    uint8_t lowest_ = 7;      // IR with the lowest priority (rotation state)
    uint8_t vector_base_ = 0; // ICW2 T7-T3
    uint8_t icw3_ = 0;
    unsigned init_step_ = 0; // 0 = operational, 2/3/4 = expecting ICW2/ICW3/ICW4
    bool need_icw4_ = false, single_ = false;
    bool auto_eoi_ = false, rotate_on_aeoi_ = false, sfnm_ = false;
    bool special_mask_ = false, read_isr_ = false, poll_ = false;
};

class Pic8259Pair : public Device, public PortHandler, public InterruptLines {
  public:
    explicit Pic8259Pair(DeviceContext& ctx);
    ~Pic8259Pair() override;

    std::string name() const override { return "pic8259"; }
    void reset() override;

    // InterruptLines: ISA IRQ 0-15. Line 2 is the internal cascade and is ignored here.
    void set_irq(unsigned line, bool level) override;

    // ELCR (owned by the PIIX3 model, which calls this on every 4D0h/4D1h write): bit n set =
    // IRQ n level-triggered. IRQ 0, 1, 2, 8 and 13 are always edge-triggered (PIIX3 §4.2.16).
    void set_level_triggered(uint16_t mask);
    uint16_t level_triggered() const;

    // INTA cycle: the vector of the highest-priority request, fetched from the slave when the
    // master grants IR2. A request that vanished before INTA yields the spurious IR7 vector of the
    // chip that answered (master IRQ7, or IRQ15 with master ISR2 set).
    int acknowledge();

    // Level of the master's INT pin (the CPU's INTR input).
    bool intr() const { return intr_; }
    // Called with the new INTR level whenever it changes.
    std::function<void(bool)> on_intr;

    const Pic8259& master() const { return master_; }
    const Pic8259& slave() const { return slave_; }

    uint8_t port_read8(uint16_t port) override;
    void port_write8(uint16_t port, uint8_t value) override;

  private:
    // Re-evaluates the slave INT -> master IR2 wire and the master INT -> CPU INTR wire.
    void update();

    IoPorts& io_;
    Pic8259 master_{true};
    Pic8259 slave_{false};
    bool intr_ = false;
};

} // namespace rr86
