#include "devices/i8042.h"

namespace rr86 {

namespace {
// Command byte (controller RAM byte 0).
enum : uint8_t {
    kCmdKbdInt = 0x01,
    kCmdAuxInt = 0x02,
    kCmdSys = 0x04,
    kCmdKbdDisable = 0x10,
    kCmdAuxDisable = 0x20,
    kCmdXlate = 0x40
};
// Status register.
enum : uint8_t {
    kStOutFull = 0x01,
    kStSys = 0x04,
    kStCommand = 0x08,
    kStUnlocked = 0x10,
    kStAuxData = 0x20
};
// Output port.
enum : uint8_t { kOutReset = 0x01, kOutA20 = 0x02, kOutKbdFull = 0x10, kOutAuxFull = 0x20 };

constexpr uint8_t kAck = 0xfa, kResend = 0xfe, kBatOk = 0xaa;
} // namespace

I8042::I8042(DeviceContext& ctx) : io_(ctx.io), irq_(ctx.irq), platform_(ctx.platform) {
    io_.claim(0x60, 1, this);
    io_.claim(0x64, 1, this);
    reset();
}

I8042::~I8042() {
    for (uint16_t p : {0x60, 0x64})
        if (io_.owner(p) == this) io_.release(p, 1);
}

void I8042::reset() {
    for (uint8_t& b : ram_)
        b = 0;
    ram_[0] = kCmdKbdInt | kCmdAuxInt;
    out_port_ = 0xcf;
    pending_cmd_ = 0;
    sys_flag_ = false;
    last_write_was_cmd_ = true;
    obf_ = ob_aux_ = false;
    ob_ = 0;
    controller_queue_.clear();
    kbd_ = Keyboard{};
    mouse_ = Mouse{};
    update_irqs();
}

uint8_t I8042::status() const {
    return uint8_t((obf_ ? kStOutFull : 0) | (sys_flag_ ? kStSys : 0) |
                   (last_write_was_cmd_ ? kStCommand : 0) | kStUnlocked |
                   (obf_ && ob_aux_ ? kStAuxData : 0));
}

// ---------------------------------------------------------------- ports

uint8_t I8042::port_read8(uint16_t port) {
    if (port == 0x64) return status();
    // Reading an empty output buffer returns the last byte again.
    uint8_t value = ob_;
    if (obf_) {
        // The line drops with OBF even when the next byte follows at once, so the edge-triggered
        // PIC sees a new request for it.
        obf_ = false;
        update_irqs();
        refill();
    }
    return value;
}

void I8042::port_write8(uint16_t port, uint8_t value) {
    if (port == 0x64) {
        last_write_was_cmd_ = true;
        controller_command(value);
        return;
    }
    last_write_was_cmd_ = false;
    if (pending_cmd_) {
        uint8_t cmd = pending_cmd_;
        pending_cmd_ = 0;
        controller_data(cmd, value);
        return;
    }
    // A byte for the keyboard; sending to the keyboard re-enables its interface.
    ram_[0] &= uint8_t(~kCmdKbdDisable);
    keyboard_receive(value);
    refill();
}

// ---------------------------------------------------------------- controller

void I8042::controller_command(uint8_t cmd) {
    pending_cmd_ = 0;
    if (cmd >= 0x20 && cmd <= 0x3f) {
        reply(ram_[cmd & 0x1f]); // read controller RAM (20h: the command byte)
        return;
    }
    if ((cmd >= 0x60 && cmd <= 0x7f) || (cmd >= 0xd1 && cmd <= 0xd4)) {
        pending_cmd_ = cmd; // the data byte follows on port 60h
        return;
    }
    if (cmd >= 0xf0) {
        // Pulse output port lines 0-3 low for 6 us; line 0 is the CPU reset.
        if (!(cmd & 1)) platform_.request_reset(ResetSource::Kbc);
        return;
    }
    switch (cmd) {
    case 0xa4: reply(0xf1); return; // no password installed
    case 0xa7: set_command_byte(ram_[0] | kCmdAuxDisable); return;
    case 0xa8: set_command_byte(ram_[0] & uint8_t(~kCmdAuxDisable)); return;
    case 0xa9: reply(0x00); return; // aux interface test: no error
    case 0xaa:                      // self-test passed; the system flag reports it
        sys_flag_ = true;
        reply(0x55);
        return;
    case 0xab: reply(0x00); return; // keyboard interface test: no error
    case 0xad: set_command_byte(ram_[0] | kCmdKbdDisable); return;
    case 0xae: set_command_byte(ram_[0] & uint8_t(~kCmdKbdDisable)); return;
    case 0xc0: reply(0x80); return; // input port: bit 7 = keyboard not inhibited
    case 0xd0: {
        uint8_t port = uint8_t(out_port_ & ~(kOutKbdFull | kOutAuxFull));
        if (obf_) port |= ob_aux_ ? kOutAuxFull : kOutKbdFull;
        reply(port);
        return;
    }
    case 0xdd: write_output_port(out_port_ & uint8_t(~kOutA20)); return;
    case 0xdf: write_output_port(out_port_ | kOutA20); return;
    case 0xe0: reply(0x00); return; // test inputs
    default: return;                // unknown commands are ignored, as on the part
    }
}

void I8042::controller_data(uint8_t cmd, uint8_t value) {
    if (cmd >= 0x60 && cmd <= 0x7f) {
        if ((cmd & 0x1f) == 0)
            set_command_byte(value);
        else
            ram_[cmd & 0x1f] = value;
        return;
    }
    switch (cmd) {
    case 0xd1: write_output_port(value); return;
    case 0xd2: reply(value, false); return; // appears as if the keyboard sent it
    case 0xd3: reply(value, true); return;  // appears as if the mouse sent it
    default:                                // 0xd4: to the aux device
        mouse_receive(value);
        refill();
        return;
    }
}

void I8042::set_command_byte(uint8_t value) {
    ram_[0] = value;
    sys_flag_ = value & kCmdSys;
    refill();
    update_irqs();
}

void I8042::write_output_port(uint8_t value) {
    bool a20 = value & kOutA20;
    if (a20 != platform_.a20()) platform_.set_a20(a20);
    out_port_ = value;
    // Bit 0 low holds the CPU in reset: the machine carries the reset out; reset() restores it.
    if (!(value & kOutReset)) platform_.request_reset(ResetSource::Kbc);
}

void I8042::reply(uint8_t value, bool aux) {
    controller_queue_.push_back({value, aux});
    refill();
}

void I8042::refill() {
    if (!obf_) {
        if (!controller_queue_.empty()) {
            ob_ = controller_queue_.front().value;
            ob_aux_ = controller_queue_.front().aux;
            controller_queue_.pop_front();
            obf_ = true;
        } else if (!kbd_.queue.empty() && !(ram_[0] & kCmdKbdDisable)) {
            ob_ = kbd_.queue.front();
            ob_aux_ = false;
            kbd_.queue.pop_front();
            obf_ = true;
        } else if (!mouse_.queue.empty() && !(ram_[0] & kCmdAuxDisable)) {
            ob_ = mouse_.queue.front();
            ob_aux_ = true;
            mouse_.queue.pop_front();
            obf_ = true;
        }
    }
    update_irqs();
}

void I8042::update_irqs() {
    bool kbd = obf_ && !ob_aux_ && (ram_[0] & kCmdKbdInt);
    bool aux = obf_ && ob_aux_ && (ram_[0] & kCmdAuxInt);
    if (kbd != irq1_) irq_.set_irq(kKbdIrq, irq1_ = kbd);
    if (aux != irq12_) irq_.set_irq(kAuxIrq, irq12_ = aux);
}

// ---------------------------------------------------------------- keyboard

size_t I8042::key_input(std::span<const uint8_t> bytes) {
    size_t accepted = 0;
    for (uint8_t b : bytes) {
        if (!kbd_.scanning || kbd_.queue.size() >= kKbdQueueMax) break;
        kbd_.queue.push_back(b);
        ++accepted;
    }
    refill();
    return accepted;
}

void I8042::keyboard_send(uint8_t value) {
    kbd_.queue.push_back(value);
    kbd_.last_sent = value;
}

void I8042::keyboard_defaults() {
    kbd_.set = 2;
    kbd_.leds = 0;
    kbd_.typematic = 0x2b;
}

void I8042::keyboard_receive(uint8_t value) {
    if (uint8_t cmd = kbd_.expect) {
        kbd_.expect = 0;
        if (cmd == 0xed) {
            kbd_.leds = value & 7;
        } else if (cmd == 0xf3) {
            kbd_.typematic = value & 0x7f;
        } else if (value == 0) { // F0 00: report the current set
            keyboard_send(kAck);
            // Through the controller's translation the set numbers read as 43h/41h/3Fh.
            static constexpr uint8_t kTranslated[4] = {0, 0x43, 0x41, 0x3f};
            keyboard_send((ram_[0] & kCmdXlate) ? kTranslated[kbd_.set & 3] : kbd_.set);
            return;
        } else if (value <= 3) {
            kbd_.set = value;
        } else {
            keyboard_send(kResend);
            return;
        }
        keyboard_send(kAck);
        return;
    }
    switch (value) {
    case 0xed: // set LEDs
    case 0xf0: // get/set scan code set
    case 0xf3: // set typematic rate
        kbd_.expect = value;
        keyboard_send(kAck);
        return;
    case 0xee: keyboard_send(0xee); return; // echo
    case 0xf2:                              // identify: MF2 keyboard
        keyboard_send(kAck);
        keyboard_send(0xab);
        keyboard_send((ram_[0] & kCmdXlate) ? 0x41 : 0x83); // 83h, translated by the 8042
        return;
    case 0xf4: // enable scanning (clears the keyboard's buffer)
        kbd_.queue.clear();
        kbd_.scanning = true;
        keyboard_send(kAck);
        return;
    case 0xf5: // disable scanning, restore defaults
        kbd_.queue.clear();
        keyboard_defaults();
        kbd_.scanning = false;
        keyboard_send(kAck);
        return;
    case 0xf6: // restore defaults, keep scanning
        kbd_.queue.clear();
        keyboard_defaults();
        kbd_.scanning = true;
        keyboard_send(kAck);
        return;
    case 0xfe: keyboard_send(kbd_.last_sent); return; // resend
    case 0xff:                                        // reset and basic assurance test
        kbd_.queue.clear();
        keyboard_defaults();
        kbd_.scanning = true;
        keyboard_send(kAck);
        keyboard_send(kBatOk);
        return;
    default:
        if (value >= 0xf7 && value <= 0xfd) { // scan code set 3 key types: accepted, no effect
            keyboard_send(kAck);
            return;
        }
        keyboard_send(kResend); // unknown command
        return;
    }
}

// ---------------------------------------------------------------- mouse

void I8042::mouse_send(uint8_t value) {
    mouse_.queue.push_back(value);
    mouse_.last_sent = value;
}

void I8042::mouse_defaults() {
    mouse_.enabled = mouse_.remote = mouse_.scaling21 = false;
    mouse_.resolution = 2;
    mouse_.rate = 100;
}

void I8042::mouse_receive(uint8_t value) {
    // A mouse that never moves: enough for firmware and OS probing (PS/2 mouse protocol).
    if (uint8_t cmd = mouse_.expect) {
        mouse_.expect = 0;
        if (cmd == 0xe8)
            mouse_.resolution = value & 3;
        else
            mouse_.rate = value;
        mouse_send(kAck);
        return;
    }
    switch (value) {
    case 0xe6: mouse_.scaling21 = false; break;
    case 0xe7: mouse_.scaling21 = true; break;
    case 0xe8:
    case 0xf3: mouse_.expect = value; break;
    case 0xe9: // status request
        mouse_send(kAck);
        mouse_send(uint8_t((mouse_.remote ? 0x40 : 0) | (mouse_.enabled ? 0x20 : 0) |
                           (mouse_.scaling21 ? 0x10 : 0)));
        mouse_send(mouse_.resolution);
        mouse_send(mouse_.rate);
        return;
    case 0xea: mouse_.remote = false; break;
    case 0xeb: // read data: an empty movement packet (bit 3 is always set)
        mouse_send(kAck);
        mouse_send(0x08);
        mouse_send(0x00);
        mouse_send(0x00);
        return;
    case 0xec:
    case 0xee: break; // wrap mode on/off: acknowledged, not emulated
    case 0xf0: mouse_.remote = true; break;
    case 0xf2: // identify: standard PS/2 mouse
        mouse_send(kAck);
        mouse_send(0x00);
        return;
    case 0xf4: mouse_.enabled = true; break;
    case 0xf5: mouse_.enabled = false; break;
    case 0xf6: mouse_defaults(); break;
    case 0xfe: mouse_send(mouse_.last_sent); return;
    case 0xff:
        mouse_.queue.clear();
        mouse_defaults();
        mouse_send(kAck);
        mouse_send(kBatOk);
        mouse_send(0x00); // device ID
        return;
    default: mouse_send(kResend); return;
    }
    mouse_send(kAck);
}

} // namespace rr86
