#include "devices/pic8259.h"

namespace rr86 {

namespace {
// PIIX3 ELCR: IRQ 0, 1, 2 (master) and 8, 13 (slave) cannot be level-triggered.
constexpr uint16_t kElcrWritable = 0xdef8;
constexpr unsigned kCascadeIr = 2;
} // namespace

// ---------------------------------------------------------------- one 8259A

void Pic8259::reset() {
    // Power-on state is undefined on the part; use the state ICW1 leaves (IMR clear, IR0 highest)
    // with vector base 0, as QEMU does, so guest-visible values match the reference machine.
    irr_ = isr_ = imr_ = 0;
    level_mask_ = 0;
    edge_latch_ = 0;
    lowest_ = 7;
    vector_base_ = 0;
    icw3_ = 0;
    init_step_ = 0;
    need_icw4_ = single_ = false;
    auto_eoi_ = rotate_on_aeoi_ = sfnm_ = false;
    special_mask_ = read_isr_ = poll_ = false;
}

void Pic8259::set_input(unsigned ir, bool level) {
    uint8_t bit = uint8_t(1u << (ir & 7));
    if (level)
        inputs_ |= bit;
    else
        inputs_ &= uint8_t(~bit);
    if (level_mask_ & bit) {
        // Level mode: IRR follows the pin; a request withdrawn before INTA is simply gone.
        irr_ = uint8_t((irr_ & ~bit) | (inputs_ & bit));
        return;
    }
    // Edge mode: a low-to-high transition latches IRR; it stays latched until INTA (8259A "Edge
    // Triggered Mode"), so a device that pulses its line is not lost.
    if (level && !(edge_latch_ & bit)) irr_ |= bit;
    if (level)
        edge_latch_ |= bit;
    else
        edge_latch_ &= uint8_t(~bit);
}

void Pic8259::set_level_mask(uint8_t mask) {
    uint8_t newly_level = uint8_t(mask & ~level_mask_);
    level_mask_ = mask;
    // A line switched to level mode requests exactly while its pin is high.
    irr_ = uint8_t((irr_ & ~newly_level) | (inputs_ & newly_level));
    edge_latch_ = uint8_t((edge_latch_ & ~mask) | (inputs_ & mask));
}

unsigned Pic8259::priority_of(uint8_t mask) const {
    if (!mask) return 8;
    unsigned p = 0;
    while (!(mask & (1u << ir_of_priority(p))))
        ++p;
    return p;
}

int Pic8259::pending() const {
    uint8_t requests = uint8_t(irr_ & ~imr_);
    if (!requests) return -1;
    if (special_mask_) {
        // Special mask mode: every unmasked level not already in service may interrupt,
        // lower as well as higher (8259A "Special Mask Mode").
        unsigned p = priority_of(uint8_t(requests & ~isr_));
        return p == 8 ? -1 : int(ir_of_priority(p));
    }
    uint8_t in_service = isr_;
    // Special fully nested mode: the master lets a higher-priority slave request through while
    // the cascade input itself is in service.
    if (sfnm_ && cascades_ir2()) in_service &= uint8_t(~(1u << kCascadeIr));
    unsigned p = priority_of(requests);
    return p < priority_of(in_service) ? int(ir_of_priority(p)) : -1;
}

void Pic8259::acknowledge(unsigned ir) {
    uint8_t bit = uint8_t(1u << (ir & 7));
    if (!auto_eoi_)
        isr_ |= bit;
    else if (rotate_on_aeoi_)
        lowest_ = uint8_t(ir & 7);
    // A level-sensitive request stays in IRR while its pin is high.
    if (!(level_mask_ & bit)) irr_ &= uint8_t(~bit);
}

void Pic8259::write(bool a0, uint8_t value) {
    if (a0)
        write_data(value);
    else
        write_command(value);
}

uint8_t Pic8259::read(bool a0) {
    if (poll_) {
        // Poll command: this read is the interrupt acknowledge; bit 7 = request present,
        // bits 2-0 = its level (8259A "The Poll Command").
        poll_ = false;
        int ir = pending();
        if (ir < 0) return 0x00;
        acknowledge(unsigned(ir));
        return uint8_t(0x80 | ir);
    }
    if (a0) return imr_;
    return read_isr_ ? isr_ : irr_;
}

void Pic8259::write_command(uint8_t value) {
    if (value & 0x10)
        init_icw1(value);
    else if (value & 0x08)
        ocw3(value);
    else
        ocw2(value);
}

void Pic8259::init_icw1(uint8_t value) {
    // ICW1 (8259A "Initialization Command Words"): the edge sense circuit is reset, IMR cleared,
    // IR7 gets the lowest priority, special mask mode off, status read set to IRR. ISR and latched
    // edge requests are dropped too (QEMU does the same); level requests stay, the pin is still
    // high. LTIM (bit 3) is ignored: on PIIX3 the ELCR decides.
    irr_ &= level_mask_;
    edge_latch_ = 0;
    isr_ = imr_ = 0;
    lowest_ = 7;
    special_mask_ = read_isr_ = poll_ = false;
    need_icw4_ = value & 0x01;
    single_ = value & 0x02;
    // "If IC4 = 0, all functions selected in ICW4 are set to zero."
    auto_eoi_ = rotate_on_aeoi_ = sfnm_ = false;
    init_step_ = 2;
}

void Pic8259::write_data(uint8_t value) {
    switch (init_step_) {
    case 2: // ICW2: vector base (8086 mode: T7-T3)
        vector_base_ = uint8_t(value & 0xf8);
        init_step_ = single_ ? (need_icw4_ ? 4 : 0) : 3;
        return;
    case 3: // ICW3: master = which IRs have slaves, slave = its ID
        icw3_ = value;
        init_step_ = need_icw4_ ? 4 : 0;
        return;
    case 4: // ICW4: AEOI (bit 1), SFNM (bit 4); uPM (bit 0) is assumed 1, buffered mode has no
            // effect
        auto_eoi_ = value & 0x02;
        sfnm_ = value & 0x10;
        init_step_ = 0;
        return;
    default: // OCW1: the mask
        imr_ = value;
        return;
    }
}

void Pic8259::ocw2(uint8_t value) {
    unsigned level = value & 7;
    switch (value >> 5) {
    case 0: rotate_on_aeoi_ = false; return; // rotate in AEOI mode (clear)
    case 4: rotate_on_aeoi_ = true; return;  // rotate in AEOI mode (set)
    case 1:                                  // non-specific EOI
    case 5: {                                // rotate on non-specific EOI
        unsigned p = priority_of(isr_);
        if (p == 8) return;
        unsigned ir = ir_of_priority(p);
        isr_ &= uint8_t(~(1u << ir));
        if (value >> 5 == 5) lowest_ = uint8_t(ir);
        return;
    }
    case 3: // specific EOI
    case 7: // rotate on specific EOI
        isr_ &= uint8_t(~(1u << level));
        if (value >> 5 == 7) lowest_ = uint8_t(level);
        return;
    case 6: lowest_ = uint8_t(level); return; // set priority: `level` becomes the lowest
    default: return;                          // 2: no operation
    }
}

void Pic8259::ocw3(uint8_t value) {
    if (value & 0x04) poll_ = true;
    if (value & 0x02) read_isr_ = value & 0x01;
    if (value & 0x40) special_mask_ = value & 0x20;
}

// ---------------------------------------------------------------- the cascaded pair

Pic8259Pair::Pic8259Pair(DeviceContext& ctx) : io_(ctx.io) {
    io_.claim(0x20, 2, this);
    io_.claim(0xa0, 2, this);
}

Pic8259Pair::~Pic8259Pair() {
    for (uint16_t p : {uint16_t(0x20), uint16_t(0x21), uint16_t(0xa0), uint16_t(0xa1)})
        if (io_.owner(p) == this) io_.release(p, 1);
}

void Pic8259Pair::reset() {
    // The input pins keep their levels (the devices driving them reset on their own).
    master_.reset();
    slave_.reset();
    update();
}

void Pic8259Pair::set_irq(unsigned line, bool level) {
    if (line >= 16 || line == kCascadeIr) return;
    if (line < 8)
        master_.set_input(line, level);
    else
        slave_.set_input(line - 8, level);
    update();
}

void Pic8259Pair::set_level_triggered(uint16_t mask) {
    mask &= kElcrWritable;
    master_.set_level_mask(uint8_t(mask));
    slave_.set_level_mask(uint8_t(mask >> 8));
    update();
}

uint16_t Pic8259Pair::level_triggered() const {
    return uint16_t(master_.level_mask() | (slave_.level_mask() << 8));
}

void Pic8259Pair::update() {
    master_.set_input(kCascadeIr, slave_.pending() >= 0);
    bool level = master_.pending() >= 0;
    if (level == intr_) return;
    intr_ = level;
    if (on_intr) on_intr(level);
}

int Pic8259Pair::acknowledge() {
    int ir = master_.pending();
    int vector;
    if (ir < 0) {
        // The request went away between INTR and INTA: the master answers IR7 without
        // setting ISR7 (8259A "spurious interrupt").
        vector = master_.vector(7);
    } else if (ir == int(kCascadeIr) && master_.cascades_ir2()) {
        master_.acknowledge(kCascadeIr);
        int sir = slave_.pending();
        if (sir < 0) {
            vector = slave_.vector(7); // spurious IRQ15; master ISR2 stays set
        } else {
            slave_.acknowledge(unsigned(sir));
            vector = slave_.vector(unsigned(sir));
        }
        // The slave's INT falls during the INTA sequence; if it still has a request it raises
        // INT again, which is a new edge on master IR2.
        master_.set_input(kCascadeIr, false);
    } else {
        master_.acknowledge(unsigned(ir));
        vector = master_.vector(unsigned(ir));
    }
    update();
    return vector;
}

uint8_t Pic8259Pair::port_read8(uint16_t port) {
    Pic8259& chip = port >= 0xa0 ? slave_ : master_;
    uint8_t value = chip.read(port & 1);
    update(); // a poll read acknowledges
    return value;
}

void Pic8259Pair::port_write8(uint16_t port, uint8_t value) {
    Pic8259& chip = port >= 0xa0 ? slave_ : master_;
    chip.write(port & 1, value);
    update();
}

} // namespace rr86
