// Uart16550: National Semiconductor PC16550D UART (COM1: 0x3F8, IRQ 4).
//
// Registers (PC16550D datasheet, Table II): RBR/THR, IER, IIR/FCR, LCR, MCR, LSR, MSR, SCR and the
// divisor latch DLL/DLM when LCR.DLAB = 1. 16-byte receive FIFO with the four trigger levels,
// interrupt identification with the datasheet's priorities (line status > received data / char
// timeout > THR empty > modem status), loopback (MCR bit 4: THR feeds the receiver, MCR bits 0-3
// drive MSR bits 4-7).
//
// Determinism: transmission takes no virtual time (the byte goes to the sink during the THR
// write and THRE/TEMT are set again at once, raising a fresh THRE interrupt if enabled). Host input
// arrives through receive() on the vCPU thread; bytes wait in a host-side queue until the FIFO
// (or RBR, FIFOs off) has room, as QEMU's chardev flow control does, so host input is never lost
// to overrun. The FIFO character-timeout interrupt fires after four character times of the
// programmed baud rate on the virtual clock.
//
// IRQ wiring as on the PC/AT serial adapter: the interrupt reaches the ISA bus only while MCR
// OUT2 is set (it gates the IRQ driver), and not in loopback mode, where OUT2 is forced inactive.
#pragma once

#include "devices/device.h"

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <vector>

namespace rr86 {

class Uart16550 : public Device, public PortHandler {
  public:
    static constexpr uint16_t kCom1Base = 0x3f8;
    static constexpr unsigned kCom1Irq = 4;
    static constexpr size_t kFifoSize = 16;

    Uart16550(DeviceContext& ctx, uint16_t base = kCom1Base, unsigned irq = kCom1Irq);
    ~Uart16550() override;

    std::string name() const override { return "uart16550"; }
    void reset() override;

    // Host side: every transmitted byte (not in loopback). May be empty (output discarded).
    void set_sink(std::function<void(uint8_t)> sink) { sink_ = std::move(sink); }
    // Host input, called by the machine on the vCPU thread (recorded as an event).
    void receive(const uint8_t* data, size_t len);
    void receive(const std::vector<uint8_t>& bytes) { receive(bytes.data(), bytes.size()); }
    size_t pending_input() const { return host_queue_.size(); }

    bool irq_level() const { return irq_level_; }

    uint8_t port_read8(uint16_t port) override;
    void port_write8(uint16_t port, uint8_t value) override;

  private:
    uint8_t read_rbr();
    void write_thr(uint8_t v);
    uint8_t read_iir();
    uint8_t read_lsr();
    uint8_t read_msr();
    void write_fcr(uint8_t v);
    void write_mcr(uint8_t v);
    void push_rx(uint8_t b);
    void pull_host_input();
    bool fifo_enabled() const { return fcr_ & 0x01; }
    size_t rx_trigger() const;
    uint8_t modem_inputs() const;
    void update_modem_status(uint8_t old_inputs);
    uint8_t pending_iir() const;
    void update_irq();
    uint64_t char_time_ns() const;
    void arm_timeout();

    IoPorts& io_;
    InterruptLines& irq_;
    VirtualClock& clock_;
    Timer& timeout_timer_;
    uint16_t base_;
    unsigned irq_line_;
    std::function<void(uint8_t)> sink_;

    std::deque<uint8_t> rx_;         // receive FIFO (one entry deep when FIFOs are off)
    std::deque<uint8_t> host_queue_; // host bytes not yet accepted by the receiver
    uint8_t ier_ = 0, fcr_ = 0, lcr_ = 0, mcr_ = 0, lsr_ = 0, msr_delta_ = 0, scr_ = 0;
    uint16_t divisor_ = 12; // 9600 baud, a common firmware default
    bool thr_ipending_ = false;
    bool timeout_ipending_ = false;
    bool irq_level_ = false;
};

} // namespace rr86
