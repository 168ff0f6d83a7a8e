#include "devices/pic8259.h"
#include "tests/unit/devices/legacy_io_fixture.h"

#include <doctest/doctest.h>

#include <random>

using namespace rr86;
using rr86::test::Bench;

namespace {

struct PicBench : Bench {
    Pic8259Pair pic{ctx};
    std::vector<bool> intr_changes;
    PicBench() {
        pic.on_intr = [this](bool level) { intr_changes.push_back(level); };
    }
    // SeaBIOS src/hw/pic.c pic_reset(0x08, 0x70) followed by pic_irqmask_write(0xfffb).
    void seabios_init() {
        out8(0x20, 0x11);
        out8(0xa0, 0x11);
        out8(0x21, 0x08);
        out8(0xa1, 0x70);
        out8(0x21, 0x04);
        out8(0xa1, 0x02);
        out8(0x21, 0x01);
        out8(0xa1, 0x01);
        out8(0x21, 0xfb);
        out8(0xa1, 0xff);
    }
    // SeaBIOS enable_hwirq(): clear the line's mask bit.
    void unmask(unsigned irq) {
        if (irq < 8)
            out8(0x21, uint8_t(in8(0x21) & ~(1u << irq)));
        else
            out8(0xa1, uint8_t(in8(0xa1) & ~(1u << (irq - 8))));
    }
    uint8_t isr(uint16_t cmd_port) {
        out8(cmd_port, 0x0b); // OCW3: read ISR
        return in8(cmd_port);
    }
    uint8_t irr(uint16_t cmd_port) {
        out8(cmd_port, 0x0a); // OCW3: read IRR
        return in8(cmd_port);
    }
};

} // namespace

TEST_CASE("pic8259: SeaBIOS init sequence programs vectors and masks") {
    PicBench b;
    b.seabios_init();
    CHECK(b.in8(0x21) == 0xfb);
    CHECK(b.in8(0xa1) == 0xff);
    CHECK(b.pic.master().vector(0) == 0x08);
    CHECK(b.pic.slave().vector(0) == 0x70);
    CHECK_FALSE(b.pic.master().initializing());
    CHECK_FALSE(b.pic.intr());
}

TEST_CASE("pic8259: IRQ0 edge, INTA vector, ISR via OCW3, non-specific EOI") {
    PicBench b;
    b.seabios_init();
    b.pic.set_irq(0, true); // masked: nothing yet
    CHECK_FALSE(b.pic.intr());
    CHECK(b.irr(0x20) == 0x01);
    b.unmask(0);
    CHECK(b.pic.intr());
    CHECK(b.intr_changes == std::vector<bool>{true});
    CHECK(b.pic.acknowledge() == 0x08);
    CHECK_FALSE(b.pic.intr());
    CHECK(b.isr(0x20) == 0x01);
    CHECK(b.irr(0x20) == 0x00);
    // The line is still high: no new edge, no new request.
    b.pic.set_irq(0, true);
    CHECK(b.irr(0x20) == 0x00);
    b.out8(0x20, 0x20); // EOI
    CHECK(b.isr(0x20) == 0x00);
    b.pic.set_irq(0, false);
    b.pic.set_irq(0, true);
    CHECK(b.pic.intr());
}

TEST_CASE("pic8259: a pulse on an edge line is latched until INTA") {
    PicBench b;
    b.seabios_init();
    b.unmask(1);
    b.pic.pulse_irq(1);
    CHECK(b.pic.intr());
    CHECK(b.pic.acknowledge() == 0x09);
}

TEST_CASE("pic8259: slave IRQ 8 is delivered through the cascade") {
    PicBench b;
    b.seabios_init();
    b.unmask(8);
    b.pic.set_irq(8, true);
    CHECK(b.pic.intr());
    CHECK(b.pic.acknowledge() == 0x70);
    CHECK(b.isr(0x20) == 0x04);
    CHECK(b.isr(0xa0) == 0x01);
    CHECK_FALSE(b.pic.intr());
    // SeaBIOS pic_eoi2(): slave then master.
    b.out8(0xa0, 0x20);
    b.out8(0x20, 0x20);
    CHECK(b.isr(0x20) == 0x00);
    CHECK(b.isr(0xa0) == 0x00);
}

TEST_CASE("pic8259: fully nested priority, preemption by higher levels only") {
    PicBench b;
    b.seabios_init();
    b.out8(0x21, 0x00);
    b.pic.set_irq(3, true);
    b.pic.set_irq(1, true);
    CHECK(b.pic.acknowledge() == 0x09); // IRQ1 before IRQ3
    CHECK_FALSE(b.pic.intr());          // IRQ3 waits for IRQ1's EOI
    b.pic.set_irq(0, true);
    CHECK(b.pic.intr()); // IRQ0 preempts
    CHECK(b.pic.acknowledge() == 0x08);
    CHECK(b.isr(0x20) == 0x03);
    b.out8(0x20, 0x20); // EOI clears the highest in-service level: IRQ0
    CHECK(b.isr(0x20) == 0x02);
    CHECK_FALSE(b.pic.intr());
    b.out8(0x20, 0x61); // specific EOI for IRQ1
    CHECK(b.pic.intr());
    CHECK(b.pic.acknowledge() == 0x0b);
}

TEST_CASE("pic8259: set-priority and rotating EOI change the order") {
    PicBench b;
    b.seabios_init();
    b.out8(0x21, 0x00);
    b.out8(0x20, 0xc4); // OCW2 set priority: IR4 lowest, so IR5 highest
    b.pic.set_irq(3, true);
    b.pic.set_irq(6, true);
    CHECK(b.pic.acknowledge() == 0x0e); // IR6 ranks above IR3 now
    b.out8(0x20, 0xa0);                 // rotate on non-specific EOI: IR6 becomes lowest
    CHECK(b.pic.acknowledge() == 0x0b);
    b.out8(0x20, 0xe3); // rotate on specific EOI 3: IR3 lowest, IR4 highest
    b.pic.set_irq(0, true);
    b.pic.set_irq(4, true);
    CHECK(b.pic.acknowledge() == 0x0c);
    CHECK_FALSE(b.pic.intr()); // IR0 now ranks below the in-service IR4
    b.out8(0x20, 0x20);
    CHECK(b.pic.acknowledge() == 0x08);
}

TEST_CASE("pic8259: automatic EOI leaves ISR clear; rotate in AEOI mode") {
    PicBench b;
    b.out8(0x20, 0x11);
    b.out8(0x21, 0x20);
    b.out8(0x21, 0x04);
    b.out8(0x21, 0x03); // ICW4: 8086 mode, AEOI
    b.out8(0x21, 0x00);
    b.pic.set_irq(5, true);
    CHECK(b.pic.acknowledge() == 0x25);
    CHECK(b.isr(0x20) == 0x00);
    b.out8(0x20, 0x80); // rotate in AEOI mode (set)
    b.pic.set_irq(0, true);
    CHECK(b.pic.acknowledge() == 0x20); // IR0 serviced and rotated to lowest
    b.pic.set_irq(0, false);
    b.pic.set_irq(0, true);
    b.pic.set_irq(7, true);
    CHECK(b.pic.acknowledge() == 0x27);
}

TEST_CASE("pic8259: special mask mode lets lower levels through") {
    PicBench b;
    b.seabios_init();
    b.out8(0x21, 0x00);
    b.pic.set_irq(3, true);
    CHECK(b.pic.acknowledge() == 0x0b);
    b.pic.set_irq(5, true);
    CHECK_FALSE(b.pic.intr()); // blocked by IR3 in service
    b.out8(0x21, 0x08);        // mask IR3
    b.out8(0x20, 0x68);        // OCW3: set special mask mode
    CHECK(b.pic.intr());
    CHECK(b.pic.acknowledge() == 0x0d);
    b.out8(0x20, 0x48); // reset special mask mode
    b.out8(0x20, 0x65); // specific EOI 5
    b.out8(0x20, 0x63); // specific EOI 3
    CHECK(b.isr(0x20) == 0x00);
}

TEST_CASE("pic8259: special fully nested mode passes a higher slave request") {
    for (bool sfnm : {false, true}) {
        PicBench b;
        b.out8(0x20, 0x11);
        b.out8(0x21, 0x08);
        b.out8(0x21, 0x04);
        b.out8(0x21, sfnm ? 0x11 : 0x01);
        b.out8(0xa0, 0x11);
        b.out8(0xa1, 0x70);
        b.out8(0xa1, 0x02);
        b.out8(0xa1, 0x01);
        b.out8(0x21, 0x00);
        b.out8(0xa1, 0x00);
        b.pic.set_irq(12, true);
        CHECK(b.pic.acknowledge() == 0x74);
        b.pic.set_irq(9, true); // higher priority on the slave while master IR2 is in service
        CHECK(b.pic.intr() == sfnm);
        if (sfnm) CHECK(b.pic.acknowledge() == 0x71);
    }
}

TEST_CASE("pic8259: level-triggered lines follow the pin (ELCR)") {
    PicBench b;
    b.seabios_init();
    b.out8(0xa1, 0x00);
    b.pic.set_level_triggered(0x0c00); // IRQ 10, 11 level (what SeaBIOS sets for PCI)
    CHECK(b.pic.level_triggered() == 0x0c00);
    b.pic.set_irq(11, true);
    CHECK(b.pic.acknowledge() == 0x73);
    CHECK(b.irr(0xa0) == 0x08); // still requested: the pin is high
    b.out8(0xa0, 0x20);
    b.out8(0x20, 0x20);
    CHECK(b.pic.intr()); // requests again after EOI while the pin stays high
    CHECK(b.pic.acknowledge() == 0x73);
    b.pic.set_irq(11, false);
    CHECK(b.irr(0xa0) == 0x00);
    b.out8(0xa0, 0x20);
    b.out8(0x20, 0x20);
    CHECK_FALSE(b.pic.intr());
}

TEST_CASE("pic8259: ELCR cannot make IRQ 0, 1, 2, 8, 13 level-triggered") {
    PicBench b;
    b.pic.set_level_triggered(0xffff);
    CHECK(b.pic.level_triggered() == 0xdef8);
}

TEST_CASE("pic8259: spurious IRQ7 and IRQ15") {
    PicBench b;
    b.seabios_init();
    b.out8(0x21, 0x00);
    b.out8(0xa1, 0x00);
    b.pic.set_level_triggered(0x0220); // IRQ 5 and 9 level

    b.pic.set_irq(5, true);
    CHECK(b.pic.intr());
    b.pic.set_irq(5, false); // withdrawn before INTA
    CHECK(b.pic.acknowledge() == 0x0f);
    CHECK(b.isr(0x20) == 0x00); // no ISR7 for a spurious interrupt

    b.pic.set_irq(9, true);
    b.pic.set_irq(9, false); // the master's IR2 edge is latched already
    CHECK(b.pic.intr());
    CHECK(b.pic.acknowledge() == 0x77);
    CHECK(b.isr(0xa0) == 0x00);
    CHECK(b.isr(0x20) == 0x04); // the master did grant IR2: the handler must EOI it
}

TEST_CASE("pic8259: poll command acknowledges through a read") {
    PicBench b;
    b.seabios_init();
    b.out8(0x21, 0x00);
    b.out8(0x20, 0x0c); // OCW3: poll
    CHECK(b.in8(0x20) == 0x00);
    b.pic.set_irq(6, true);
    b.out8(0x20, 0x0c);
    CHECK(b.in8(0x21) == 0x86); // either port answers the poll
    CHECK(b.isr(0x20) == 0x40);
    CHECK(b.in8(0x21) == 0x00); // the poll is one-shot: back to IMR
}

TEST_CASE("pic8259: single mode skips ICW3, no ICW4 clears its functions") {
    PicBench b;
    b.out8(0x20, 0x13); // single, IC4
    b.out8(0x21, 0x40);
    b.out8(0x21, 0x03); // ICW4 (AEOI) right after ICW2
    b.out8(0x21, 0xfe); // OCW1
    CHECK(b.in8(0x21) == 0xfe);
    b.out8(0x20, 0x12); // single, no ICW4
    b.out8(0x21, 0x48);
    b.out8(0x21, 0x00); // OCW1 already
    CHECK(b.in8(0x21) == 0x00);
    b.pic.set_irq(0, false);
    b.pic.set_irq(0, true);
    CHECK(b.pic.acknowledge() == 0x48);
    CHECK(b.isr(0x20) == 0x01); // AEOI was cleared by the ICW1 without IC4
}

TEST_CASE("pic8259: ICW1 drops requests and needs a fresh edge") {
    PicBench b;
    b.seabios_init();
    b.out8(0x21, 0x00);
    b.pic.set_irq(4, true);
    CHECK(b.pic.intr());
    b.seabios_init();
    b.out8(0x21, 0x00);
    CHECK_FALSE(b.pic.intr());
    b.pic.set_irq(4, true); // the edge detector was reset: high counts as a new edge
    CHECK(b.pic.intr());
}

TEST_CASE("pic8259: out-of-range and cascade lines are ignored; callback only on change") {
    PicBench b;
    b.seabios_init();
    b.out8(0x21, 0x00);
    b.pic.set_irq(2, true);
    b.pic.set_irq(16, true);
    b.pic.set_irq(1000, true);
    CHECK_FALSE(b.pic.intr());
    b.pic.set_irq(3, true);
    b.pic.set_irq(4, true);
    CHECK(b.intr_changes == std::vector<bool>{true});
}

TEST_CASE("pic8259: INTA with nothing pending returns the master's IRQ7 vector") {
    PicBench b;
    b.seabios_init();
    CHECK(b.pic.acknowledge() == 0x0f);
    CHECK(b.isr(0x20) == 0x00);
}

TEST_CASE("pic8259: reset returns to the power-on state") {
    PicBench b;
    b.seabios_init();
    b.unmask(0);
    b.pic.set_irq(0, true);
    CHECK(b.pic.intr());
    b.pic.reset();
    CHECK_FALSE(b.pic.intr());
    CHECK(b.in8(0x21) == 0x00);
    CHECK(b.pic.level_triggered() == 0);
}

TEST_CASE("pic8259: random guest writes never break the invariants") {
    PicBench b;
    std::mt19937 rng(1234);
    const uint16_t ports[] = {0x20, 0x21, 0xa0, 0xa1};
    for (int i = 0; i < 20000; ++i) {
        uint32_t r = rng();
        switch (r % 5) {
        case 0: b.out8(ports[(r >> 8) & 3], uint8_t(r >> 16)); break;
        case 1: b.in8(ports[(r >> 8) & 3]); break;
        case 2: b.pic.set_irq((r >> 8) % 20, (r >> 16) & 1); break;
        case 3: b.pic.set_level_triggered(uint16_t(r >> 8)); break;
        default: {
            int v = b.pic.acknowledge();
            CHECK((v >= 0 && v <= 0xff));
            break;
        }
        }
        REQUIRE(b.pic.intr() == (b.pic.master().pending() >= 0));
    }
}
