// Intel 8042 keyboard controller (ports 60h/64h) with a PS/2 keyboard and a minimal PS/2 mouse.
//
// Reference: IBM PC/AT Technical Reference, "Keyboard Controller" (status register, command byte,
// controller commands 20h-3Fh/60h-7Fh, A7h-AEh, C0h, D0h-D4h, F0h-FFh, output port bits: 0 =
// system reset, 1 = gate A20, 4/5 = output buffer full IRQ1/IRQ12); the IBM PS/2 keyboard and
// mouse command sets (FFh reset/BAT, F2h identify, F0h scan code set, EDh LEDs, F4h/F5h enable and
// disable). SeaBIOS src/hw/ps2port.c shows the sequences a BIOS sends.
//
// Every command completes at once (IBF never reads 1): the guest polls status, and SeaBIOS's
// timeouts only bound the wait. Key input comes from the host through key_input(), called by the
// machine on the vCPU thread so the recorder logs it.
#pragma once

#include "devices/device.h"

#include <cstdint>
#include <deque>
#include <span>

namespace rr86 {

class I8042 : public Device, public PortHandler {
  public:
    static constexpr unsigned kKbdIrq = 1;
    static constexpr unsigned kAuxIrq = 12;
    static constexpr size_t kKbdQueueMax = 16; // a keyboard's buffer; further host keys are lost

    explicit I8042(DeviceContext& ctx);
    ~I8042() override;

    std::string name() const override { return "i8042"; }
    void reset() override;

    uint8_t port_read8(uint16_t port) override;
    void port_write8(uint16_t port, uint8_t value) override;

    // Host input: scan code bytes exactly as the guest will read them from port 60h. Dropped while
    // the keyboard is not scanning or its buffer is full; returns how many bytes were accepted.
    size_t key_input(std::span<const uint8_t> bytes);

    // Observers.
    uint8_t command_byte() const { return ram_[0]; }
    uint8_t output_port() const { return out_port_; }
    uint8_t status() const;
    bool keyboard_scanning() const { return kbd_.scanning; }
    uint8_t keyboard_leds() const { return kbd_.leds; }
    uint8_t scancode_set() const { return kbd_.set; }

  private:
    struct Byte {
        uint8_t value;
        bool aux;
    };
    struct Keyboard {
        bool scanning = true;
        uint8_t set = 2;
        uint8_t leds = 0;
        uint8_t typematic = 0x2b;
        uint8_t expect = 0; // command awaiting its parameter byte
        uint8_t last_sent = 0xaa;
        std::deque<uint8_t> queue;
    };
    struct Mouse {
        bool enabled = false;
        bool remote = false;
        bool scaling21 = false;
        uint8_t resolution = 2;
        uint8_t rate = 100;
        uint8_t expect = 0;
        uint8_t last_sent = 0;
        std::deque<uint8_t> queue;
    };

    void controller_command(uint8_t cmd);
    void controller_data(uint8_t cmd, uint8_t value);
    void write_output_port(uint8_t value);
    void set_command_byte(uint8_t value);
    void reply(uint8_t value, bool aux = false);
    void keyboard_receive(uint8_t value);
    void keyboard_send(uint8_t value);
    void keyboard_defaults();
    void mouse_receive(uint8_t value);
    void mouse_send(uint8_t value);
    void mouse_defaults();
    void refill();
    void update_irqs();

    IoPorts& io_;
    InterruptLines& irq_;
    Platform& platform_;

    uint8_t ram_[32] = {};    // controller RAM; byte 0 is the command byte
    uint8_t out_port_ = 0xcf; // reset high, A20 on, unused lines high (as QEMU presents it)
    uint8_t pending_cmd_ = 0; // controller command waiting for its data byte on port 60h
    bool sys_flag_ = false;
    bool last_write_was_cmd_ = true;
    bool obf_ = false, ob_aux_ = false;
    uint8_t ob_ = 0;
    std::deque<Byte> controller_queue_; // controller replies go ahead of device data
    Keyboard kbd_;
    Mouse mouse_;
    bool irq1_ = false, irq12_ = false;
};

} // namespace rr86
