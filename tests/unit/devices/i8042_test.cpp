#include "devices/i8042.h"
#include "tests/unit/devices/legacy_io_fixture.h"

#include <doctest/doctest.h>

#include <random>

using namespace rr86;
using rr86::test::Bench;

namespace {

struct KbcBench : Bench {
    I8042 kbc{ctx};
    uint8_t status() { return in8(0x64); }
    bool has_data() { return status() & 0x01; }
    // SeaBIOS __i8042_command(): wait IBF clear, command, parameters, then replies.
    std::vector<uint8_t> command(uint8_t cmd, std::vector<uint8_t> params = {}, int replies = 0) {
        REQUIRE((status() & 0x02) == 0);
        out8(0x64, cmd);
        for (uint8_t p : params) {
            REQUIRE((status() & 0x02) == 0);
            out8(0x60, p);
        }
        return receive(replies);
    }
    std::vector<uint8_t> receive(int count) {
        std::vector<uint8_t> out;
        for (int i = 0; i < count && has_data(); ++i)
            out.push_back(in8(0x60));
        return out;
    }
    std::vector<uint8_t> drain() { return receive(64); }
    // SeaBIOS __ps2_command() for the keyboard: interrupts and both ports off, keyboard port on,
    // the command bytes, replies, then the saved command byte back.
    std::vector<uint8_t> kbd_command(uint8_t ctr, std::vector<uint8_t> bytes, int replies) {
        uint8_t off = uint8_t((ctr | 0x30) & ~0x03);
        command(0x60, {off});
        command(0x60, {uint8_t(off & ~0x10)});
        for (uint8_t b : bytes)
            out8(0x60, b);
        std::vector<uint8_t> got = receive(replies);
        command(0x60, {ctr});
        return got;
    }
};

} // namespace

TEST_CASE("i8042: SeaBIOS ps2_keyboard_setup sequence") {
    KbcBench b;
    CHECK_FALSE(b.has_data()); // i8042_flush finds nothing
    CHECK(b.command(0xaa, {}, 1) == std::vector<uint8_t>{0x55});
    CHECK(b.command(0xab, {}, 1) == std::vector<uint8_t>{0x00});
    uint8_t ctr = 0x30;
    CHECK(b.kbd_command(ctr, {0xff}, 2) == std::vector<uint8_t>{0xfa, 0xaa});
    CHECK_FALSE(b.has_data()); // no third byte: SeaBIOS's short wait times out
    CHECK(b.kbd_command(ctr, {0xf5}, 1) == std::vector<uint8_t>{0xfa});
    CHECK_FALSE(b.kbc.keyboard_scanning());
    CHECK(b.kbd_command(ctr, {0xf0, 0x02}, 2) == std::vector<uint8_t>{0xfa, 0xfa});
    ctr = 0x61; // AUXDIS | XLATE | KBDINT
    CHECK(b.kbd_command(ctr, {0xf4}, 1) == std::vector<uint8_t>{0xfa});
    CHECK(b.kbc.command_byte() == 0x61);
    CHECK(b.kbc.keyboard_scanning());
    CHECK(b.kbc.scancode_set() == 2);
    CHECK_FALSE(b.irq.level(1));
    CHECK_FALSE(b.irq.level(12));
}

TEST_CASE("i8042: a host key raises IRQ 1 and reading port 60h lowers it") {
    KbcBench b;
    b.command(0x60, {0x61});
    CHECK(b.kbc.key_input(std::vector<uint8_t>{0x1e, 0x9e}) == 2);
    CHECK(b.irq.level(1));
    CHECK((b.status() & 0x21) == 0x01);
    CHECK(b.in8(0x60) == 0x1e);
    CHECK(b.irq.level(1)); // the next byte follows at once: a new edge
    CHECK(b.irq.rises(1).size() == 2);
    CHECK(b.in8(0x60) == 0x9e);
    CHECK_FALSE(b.irq.level(1));
    CHECK_FALSE(b.has_data());
    CHECK(b.in8(0x60) == 0x9e); // an empty buffer reads the last byte again
}

TEST_CASE("i8042: no IRQ 1 unless the command byte enables it") {
    KbcBench b;
    b.command(0x60, {0x60}); // XLATE | AUXDIS, no interrupts
    b.kbc.key_input(std::vector<uint8_t>{0x1c});
    CHECK(b.has_data());
    CHECK_FALSE(b.irq.level(1));
    b.command(0x60, {0x61});
    CHECK(b.irq.level(1));
}

TEST_CASE("i8042: keyboard interface disable holds keys; scanning disable drops them") {
    KbcBench b;
    b.command(0x60, {0x61});
    b.command(0xad);
    b.kbc.key_input(std::vector<uint8_t>{0x10, 0x90});
    CHECK_FALSE(b.has_data());
    b.command(0xae);
    CHECK(b.drain() == std::vector<uint8_t>{0x10, 0x90});
    b.out8(0x60, 0xf5);
    CHECK(b.drain() == std::vector<uint8_t>{0xfa});
    CHECK(b.kbc.key_input(std::vector<uint8_t>{0x11}) == 0);
    CHECK_FALSE(b.has_data());
    b.out8(0x60, 0xf4);
    CHECK(b.drain() == std::vector<uint8_t>{0xfa});
    std::vector<uint8_t> many(40, 0x20);
    CHECK(b.kbc.key_input(many) == I8042::kKbdQueueMax);
}

TEST_CASE("i8042: self-test sets the system flag; command byte round-trips") {
    KbcBench b;
    CHECK((b.status() & 0x04) == 0);
    b.command(0xaa, {}, 1);
    CHECK((b.status() & 0x04) == 0x04);
    CHECK(b.command(0x20, {}, 1) == std::vector<uint8_t>{0x03}); // power-on value
    b.command(0x60, {0x45});
    CHECK(b.command(0x20, {}, 1) == std::vector<uint8_t>{0x45});
    CHECK((b.status() & 0x04) == 0x04); // bit 2 of the command byte is the system flag
    b.command(0x61, {0x5a});            // other controller RAM bytes
    CHECK(b.command(0x21, {}, 1) == std::vector<uint8_t>{0x5a});
}

TEST_CASE("i8042: status bit 3 tells command from data writes") {
    KbcBench b;
    b.out8(0x64, 0xa7);
    CHECK((b.status() & 0x08) == 0x08);
    b.out8(0x60, 0xee);
    CHECK((b.status() & 0x08) == 0);
    CHECK(b.drain() == std::vector<uint8_t>{0xee});
}

TEST_CASE("i8042: output port drives A20 and reset") {
    KbcBench b;
    CHECK(b.command(0xd0, {}, 1) == std::vector<uint8_t>{0xcf});
    b.command(0xd1, {0xcd}); // A20 off, reset line high
    CHECK(b.platform.a20_writes == std::vector<bool>{false});
    CHECK(b.platform.resets.empty());
    CHECK(b.command(0xd0, {}, 1) == std::vector<uint8_t>{0xcd});
    b.command(0xdf); // A20 on (HP Vectra command)
    CHECK(b.platform.a20());
    b.command(0xdd);
    CHECK_FALSE(b.platform.a20());
    b.command(0xd1, {0xce}); // bit 0 low: reset
    CHECK(b.platform.resets == std::vector<ResetSource>{ResetSource::Kbc});
    b.kbc.reset();
    CHECK(b.kbc.output_port() == 0xcf);
}

TEST_CASE("i8042: D0h reports output-buffer-full bits") {
    KbcBench b;
    b.command(0x60, {0x61});
    b.kbc.key_input(std::vector<uint8_t>{0x1e});
    b.out8(0x64, 0xd0); // the reply queues behind the key
    CHECK(b.in8(0x60) == 0x1e);
    CHECK(b.in8(0x60) == (0xcf | 0x10));
}

TEST_CASE("i8042: pulse output lines FEh resets; odd pulses do not") {
    KbcBench b;
    b.out8(0x64, 0xff);
    b.out8(0x64, 0xf1);
    CHECK(b.platform.resets.empty());
    b.out8(0x64, 0xfe); // SeaBIOS i8042_reboot()
    b.out8(0x64, 0xf0);
    CHECK(b.platform.resets == std::vector<ResetSource>{ResetSource::Kbc, ResetSource::Kbc});
}

TEST_CASE("i8042: keyboard identify, LEDs, scan code set, echo, resend, unknown") {
    KbcBench b;
    b.command(0x60, {0x61}); // translation on
    b.out8(0x60, 0xf2);
    CHECK(b.drain() == std::vector<uint8_t>{0xfa, 0xab, 0x41});
    b.command(0x60, {0x21}); // translation off
    b.out8(0x60, 0xf2);
    CHECK(b.drain() == std::vector<uint8_t>{0xfa, 0xab, 0x83});
    b.out8(0x60, 0xed);
    b.out8(0x60, 0x07);
    CHECK(b.drain() == std::vector<uint8_t>{0xfa, 0xfa});
    CHECK(b.kbc.keyboard_leds() == 7);
    b.out8(0x60, 0xf0);
    b.out8(0x60, 0x00);
    CHECK(b.drain() == std::vector<uint8_t>{0xfa, 0xfa, 0x02});
    b.out8(0x60, 0xf0);
    b.out8(0x60, 0x09); // no such set
    CHECK(b.drain() == std::vector<uint8_t>{0xfa, 0xfe});
    b.out8(0x60, 0xee);
    CHECK(b.drain() == std::vector<uint8_t>{0xee});
    b.out8(0x60, 0xfe);
    CHECK(b.drain() == std::vector<uint8_t>{0xee});
    b.out8(0x60, 0x42); // not a command
    CHECK(b.drain() == std::vector<uint8_t>{0xfe});
}

TEST_CASE("i8042: minimal PS/2 mouse on the aux port, IRQ 12") {
    KbcBench b;
    b.command(0x60, {0x03}); // both interrupts, both ports enabled
    b.command(0xd4, {0xff});
    CHECK((b.status() & 0x21) == 0x21);
    CHECK(b.irq.level(12));
    CHECK_FALSE(b.irq.level(1));
    CHECK(b.drain() == std::vector<uint8_t>{0xfa, 0xaa, 0x00});
    CHECK_FALSE(b.irq.level(12));
    b.command(0xd4, {0xf2});
    CHECK(b.drain() == std::vector<uint8_t>{0xfa, 0x00});
    b.command(0xd4, {0xf3});
    b.command(0xd4, {40});
    b.command(0xd4, {0xf4});
    b.command(0xd4, {0xe9});
    CHECK(b.drain() == std::vector<uint8_t>{0xfa, 0xfa, 0xfa, 0xfa, 0x20, 0x02, 40});
    b.command(0xd4, {0x12}); // unknown
    CHECK(b.drain() == std::vector<uint8_t>{0xfe});
    b.command(0xd3, {0x77}); // write aux output buffer
    CHECK((b.status() & 0x20) == 0x20);
    CHECK(b.drain() == std::vector<uint8_t>{0x77});
    b.command(0xd2, {0x55}); // write keyboard output buffer
    CHECK((b.status() & 0x20) == 0);
    CHECK(b.drain() == std::vector<uint8_t>{0x55});
    // Aux port disabled: mouse replies wait.
    b.command(0xa7);
    b.command(0xd4, {0xf2});
    CHECK_FALSE(b.has_data());
    b.command(0xa8);
    CHECK(b.drain() == std::vector<uint8_t>{0xfa, 0x00});
}

TEST_CASE("i8042: controller tests and ports") {
    KbcBench b;
    CHECK(b.command(0xa9, {}, 1) == std::vector<uint8_t>{0x00});
    CHECK(b.command(0xa4, {}, 1) == std::vector<uint8_t>{0xf1});
    CHECK(b.command(0xc0, {}, 1) == std::vector<uint8_t>{0x80});
    CHECK(b.command(0xe0, {}, 1) == std::vector<uint8_t>{0x00});
}

TEST_CASE("i8042: bad guest input has defined results") {
    KbcBench b;
    for (uint8_t cmd : {0x00, 0x10, 0x1f, 0x80, 0xa0, 0xc8, 0xe5, 0xef})
        b.out8(0x64, cmd);
    CHECK_FALSE(b.has_data());
    CHECK(b.platform.resets.empty());
    b.out8(0x64, 0x60); // a pending command byte write ...
    b.out8(0x64, 0xaa); // ... is cancelled by the next command
    CHECK(b.drain() == std::vector<uint8_t>{0x55});
    CHECK(b.kbc.command_byte() == 0x03);
    // Replies queue rather than overwrite.
    b.out8(0x64, 0xaa);
    b.out8(0x64, 0xab);
    CHECK(b.drain() == std::vector<uint8_t>{0x55, 0x00});
}

TEST_CASE("i8042: random guest traffic keeps IRQ lines consistent with the status") {
    KbcBench b;
    std::mt19937 rng(42);
    for (int i = 0; i < 20000; ++i) {
        uint32_t r = rng();
        switch (r % 5) {
        case 0: b.out8(0x64, uint8_t(r >> 8)); break;
        case 1: b.out8(0x60, uint8_t(r >> 8)); break;
        case 2: b.in8(0x60); break;
        case 3: b.kbc.key_input(std::vector<uint8_t>{uint8_t(r >> 8)}); break;
        default: b.in8(0x64); break;
        }
        uint8_t st = b.kbc.status();
        uint8_t cmd = b.kbc.command_byte();
        REQUIRE(b.irq.level(1) == ((st & 0x21) == 0x01 && (cmd & 1)));
        REQUIRE(b.irq.level(12) == ((st & 0x21) == 0x21 && (cmd & 2)));
    }
    // The fuzz may have asked for resets; every one is attributed to the controller.
    for (ResetSource s : b.platform.resets)
        CHECK(s == ResetSource::Kbc);
}
