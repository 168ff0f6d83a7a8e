#include "devices/uart16550.h"
#include "tests/unit/devices/legacy_io_fixture.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace rr86;

namespace {

constexpr uint16_t B = 0x3f8;
constexpr uint16_t THR = B, RBR = B, DLL = B, IER = B + 1, DLM = B + 1, IIR = B + 2, FCR = B + 2;
constexpr uint16_t LCR = B + 3, MCR = B + 4, LSR = B + 5, MSR = B + 6, SCR = B + 7;

struct UartEnv : test::Bench {
    Uart16550 uart{ctx};
    std::string out;

    UartEnv() {
        uart.set_sink([this](uint8_t b) { out += char(b); });
    }
    void feed(const std::string& s) {
        uart.receive(reinterpret_cast<const uint8_t*>(s.data()), s.size());
    }
    // Jumps virtual time forward, then runs the timers that expired (advance() stops at each).
    void advance_ns(uint64_t ns) {
        icount += ns;
        clock.run_expired();
    }
    bool line() const { return irq.level(4); }
};

} // namespace

TEST_CASE("uart: power-on register values") {
    UartEnv e;
    CHECK(e.in8(IER) == 0);
    CHECK(e.in8(IIR) == 0x01);
    CHECK(e.in8(LCR) == 0);
    CHECK(e.in8(MCR) == 0);
    CHECK(e.in8(LSR) == 0x60);
    CHECK(e.in8(MSR) == 0xb0); // CTS, DSR, DCD from a connected host
    CHECK_FALSE(e.line());
}

TEST_CASE("uart: transmit goes to the sink at once, THRE/TEMT stay set") {
    UartEnv e;
    for (char c : std::string("BOOT OK\r\n")) {
        CHECK((e.in8(LSR)&0x20) != 0);
        e.out8(THR, uint8_t(c));
    }
    CHECK(e.out == "BOOT OK\r\n");
    CHECK(e.in8(LSR) == 0x60);
}

TEST_CASE("uart: divisor latch, line control and scratch registers") {
    UartEnv e;
    e.out8(LCR, 0x83); // DLAB, 8N1
    e.out8(DLL, 0x01);
    e.out8(DLM, 0x00);
    CHECK(e.in8(DLL) == 0x01);
    CHECK(e.in8(DLM) == 0x00);
    e.out8(LCR, 0x03);
    CHECK(e.in8(LCR) == 0x03);
    CHECK(e.in8(IER) == 0); // the divisor did not land in IER
    e.out8(THR, 'x');
    CHECK(e.out == "x"); // with DLAB clear offset 0 is THR again
    e.out8(SCR, 0x5a);
    CHECK(e.in8(SCR) == 0x5a);
    e.out8(MCR, 0xff);
    CHECK(e.in8(MCR) == 0x1f);
}

TEST_CASE("uart: receive without FIFO holds one byte; the rest waits for the guest") {
    UartEnv e;
    e.feed("ab");
    CHECK(e.uart.pending_input() == 1);
    CHECK((e.in8(LSR)&0x01) == 1);
    CHECK(e.in8(RBR) == 'a');
    CHECK((e.in8(LSR)&0x03) == 0x01); // 'b' moved in, no overrun
    CHECK(e.in8(RBR) == 'b');
    CHECK((e.in8(LSR)&0x01) == 0);
    CHECK(e.in8(RBR) == 0); // empty: defined value
}

TEST_CASE("uart: FIFO trigger levels, character timeout and clearing") {
    UartEnv e;
    e.out8(LCR, 0x83);
    e.out8(DLL, 1); // 115200 baud: 10 bits = 86.8 us per character
    e.out8(LCR, 0x03);
    e.out8(FCR, 0x81); // FIFO on, trigger 8
    e.out8(IER, 0x01);
    e.out8(MCR, 0x08); // OUT2: connect the IRQ
    CHECK(e.in8(IIR) == 0xc1);

    e.feed("0123456789abcdefXYZW"); // 20 bytes: 16 fit, 4 wait
    CHECK(e.uart.pending_input() == 4);
    CHECK(e.in8(IIR) == 0xc4); // received data available (>= 8)
    CHECK(e.line());
    for (int i = 0; i < 9; ++i)
        e.in8(RBR); // the 4 waiting bytes refill the FIFO: 11 left
    CHECK(e.uart.pending_input() == 0);
    for (int i = 0; i < 4; ++i)
        e.in8(RBR); // 7 left, below trigger
    CHECK(e.in8(IIR) == 0xc1);
    CHECK_FALSE(e.line());
    e.advance_ns(4 * 86806 - 1000);
    CHECK(e.in8(IIR) == 0xc1);
    e.advance_ns(2000); // four character times without activity
    CHECK(e.in8(IIR) == 0xcc);
    CHECK(e.line());
    CHECK(e.in8(RBR) == 'd'); // 14th byte; reading clears the timeout
    CHECK(e.in8(IIR) == 0xc1);
    e.out8(FCR, 0x83); // clear RX FIFO
    CHECK((e.in8(LSR)&0x01) == 0);
    e.out8(FCR, 0x00); // FIFOs off
    CHECK(e.in8(IIR) == 0x01);
}

TEST_CASE("uart: loopback feeds the receiver and mirrors MCR into MSR") {
    UartEnv e;
    e.out8(MCR, 0x10);
    CHECK(e.in8(MSR) == 0x0b); // CTS, DSR, DCD dropped: deltas; RI was off
    e.out8(THR, 'L');
    CHECK(e.out.empty());
    CHECK(e.in8(RBR) == 'L');
    e.out8(MCR, 0x10 | 0x0f); // DTR, RTS, OUT1, OUT2
    CHECK(e.in8(MSR) == 0xfb);
    e.out8(MCR, 0x10 | 0x0b); // OUT1 (RI) off: trailing edge
    CHECK(e.in8(MSR) == 0xb4);
    CHECK(e.in8(MSR) == 0xb0);
    // Overrun without FIFO: the second character is lost, LSR reports it once.
    e.out8(THR, '1');
    e.out8(THR, '2');
    CHECK(e.in8(LSR) == 0x63);
    CHECK(e.in8(LSR) == 0x61);
    CHECK(e.in8(RBR) == '1');
    // Host input waits while the receiver is looped back.
    e.feed("h");
    CHECK(e.uart.pending_input() == 1);
    e.out8(MCR, 0x00);
    CHECK(e.in8(RBR) == 'h');
}

TEST_CASE("uart: interrupt identification priorities and acknowledgement") {
    UartEnv e;
    e.out8(MCR, 0x08); // OUT2
    e.out8(IER, 0x02); // THRE: raised at once, THR is empty
    CHECK(e.line());
    CHECK(e.in8(IIR) == 0x02);
    CHECK_FALSE(e.line()); // reading IIR acknowledged it
    CHECK(e.in8(IIR) == 0x01);
    size_t rises = e.irq.rises(4).size();
    e.out8(THR, 'a'); // instant transmit: a fresh THRE interrupt, a new edge
    CHECK(e.irq.rises(4).size() == rises + 1);
    CHECK(e.in8(IIR) == 0x02);

    e.out8(IER, 0x0f);
    e.feed("z");
    e.out8(THR, 'b');
    CHECK(e.in8(IIR) == 0x04); // received data beats THRE
    e.in8(RBR);
    CHECK(e.in8(IIR) == 0x02);
    CHECK(e.in8(IIR) == 0x01);

    // Line status beats received data.
    e.out8(MCR, 0x18); // loopback keeps OUT2 set but gates the IRQ off
    e.out8(THR, '1');
    e.out8(THR, '2'); // overrun
    CHECK(e.in8(IIR) == 0x06);
    CHECK_FALSE(e.line());
    e.in8(LSR);
    CHECK(e.in8(IIR) == 0x04);
    e.in8(RBR);
    // Modem status is the lowest: toggling RTS in loopback changes CTS.
    e.in8(IIR); // THRE acknowledged
    e.out8(MCR, 0x1a);
    CHECK(e.in8(IIR) == 0x00);
    e.in8(MSR);
    CHECK(e.in8(IIR) == 0x01);
}

TEST_CASE("uart: OUT2 gates the interrupt line") {
    UartEnv e;
    e.out8(IER, 0x01);
    e.feed("q");
    CHECK(e.in8(IIR) == 0x04);
    CHECK_FALSE(e.line());
    e.out8(MCR, 0x08);
    CHECK(e.line());
    e.in8(RBR);
    CHECK_FALSE(e.line());
}

TEST_CASE("uart: reset clears registers, keeps undelivered host input") {
    UartEnv e;
    e.out8(IER, 0x0f);
    e.out8(LCR, 0x1b);
    e.out8(MCR, 0x0b);
    e.out8(FCR, 0x01);
    e.feed("12345678901234567890");
    e.uart.reset();
    CHECK(e.in8(IER) == 0);
    CHECK(e.in8(LCR) == 0);
    CHECK(e.in8(MCR) == 0);
    CHECK(e.in8(IIR) == 0x01);
    CHECK_FALSE(e.line());
    // The FIFO was flushed; the first byte still queued on the host side ('7') moved in.
    CHECK(e.in8(RBR) == '7');
}

TEST_CASE("uart: every port and value is harmless") {
    UartEnv e;
    for (unsigned p = 0; p < 8; ++p) {
        for (unsigned v = 0; v < 256; v += 17)
            e.out8(uint16_t(B + p), uint8_t(v));
        e.in8(uint16_t(B + p));
    }
    e.io.write(B, 4, 0xffffffff);
    (void)e.io.read(B + 6, 4);
    e.uart.reset();
    CHECK(e.in8(IIR) == 0x01);
}
