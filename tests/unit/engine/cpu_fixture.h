// A bare CPU for unit tests: 2 MiB of RAM, no devices (ports read all ones), the interpreter.
//
//   CpuFixture f;                         // real mode, CS:IP = 0000:1000, SS:SP = 0000:8000
//   f.code({0x01, 0xd8, 0xf4});           // add ax, bx ; hlt  (bytes at CS:IP)
//   f.s().gpr[EAX] = 1; f.s().gpr[EBX] = 2;
//   f.run();                              // until HLT (or `max` instructions)
//   CHECK(f.s().gpr[EAX] == 3);
//
// flat32() switches to 32-bit protected mode with flat 4 GiB code/data segments loaded straight
// into the descriptor caches (no GDT needed unless a test loads selectors itself).
#pragma once

#include "engine/cpu/cpu.h"
#include "engine/cpu/decode.h"
#include "engine/cpu/flags.h"
#include "engine/cpu/interp.h"
#include "engine/memory/io_ports.h"
#include "engine/memory/phys_map.h"

#include <doctest/doctest.h>

#include <cstring>
#include <initializer_list>
#include <memory>
#include <vector>

namespace rr86::test {

struct CpuFixture {
    PhysMap mem{2u << 20};
    IoPorts io;
    Cpu cpu;
    std::unique_ptr<Interpreter> interp;

    CpuFixture() {
        mem.map_memory(0, mem.ram_size(), mem.ram(), mem.ram(), "ram");
        cpu.mem = &mem;
        cpu.io = &io;
        cpu_reset(cpu);
        cpu.s.seg[CS] = {0, 0xffff, 0, cpu.s.seg[CS].attr};
        cpu.s.eip = 0x1000;
        cpu.s.gpr[ESP] = 0x8000;
        cpu.s.idtr = {0, 0x3ff};
        cpu.state_changed();
        interp = std::make_unique<Interpreter>(cpu);
    }

    CpuState& s() { return cpu.s; }

    // 32-bit protected mode, CPL 0, flat segments, paging off.
    void flat32() {
        cpu.s.cr0 |= cr0::PE;
        constexpr uint16_t kData = seg_attr::P | seg_attr::S | seg_attr::WRITABLE |
                                   seg_attr::ACCESSED | seg_attr::DB | seg_attr::G;
        for (unsigned i = 0; i < kNumSegs; ++i) cpu.s.seg[i] = {0, 0xffffffffu, 0x10, kData};
        cpu.s.seg[CS] = {0, 0xffffffffu, 0x08, uint16_t(kData | seg_attr::CODE)};
        cpu.state_changed();
    }

    uint32_t linear_ip() const { return cpu.s.seg[CS].base + cpu.s.eip; }

    // Places `bytes` at CS:EIP.
    void code(std::initializer_list<uint8_t> bytes) { poke(linear_ip(), bytes); }
    void code(const std::vector<uint8_t>& bytes) { mem.write_ram(linear_ip(), bytes.data(), bytes.size()); }
    void poke(uint32_t addr, std::initializer_list<uint8_t> bytes) {
        std::vector<uint8_t> v(bytes);
        mem.write_ram(addr, v.data(), v.size());
    }
    template <class T> void poke_as(uint32_t addr, T v) { mem.write_ram(addr, &v, sizeof v); }
    template <class T> T peek(uint32_t addr) {
        T v{};
        mem.read_ram(addr, &v, sizeof v);
        return v;
    }

    // Real-mode IVT entry `vector` -> 0000:addr.
    void ivt(uint8_t vector, uint16_t addr) {
        poke_as<uint16_t>(vector * 4, addr);
        poke_as<uint16_t>(vector * 4 + 2, 0);
    }
    // The same with a HLT at addr, so the final EIP (addr + 1) tells which vector was delivered.
    void ivt_hlt(uint8_t vector, uint16_t addr) {
        ivt(vector, addr);
        poke(addr, {0xf4});
    }

    // Runs one instruction's semantic alone, as the interpreter does: decodes `bytes` in `mode`,
    // moves EIP past the instruction, runs it, and puts EIP back on it after a fault, which is
    // returned rather than delivered. The bytes are not written to memory. The decode must be
    // complete; unless `allow_invalid`, it must also be valid (an invalid or over-long encoding
    // runs the semantic that raises #UD or #GP).
    PendingFault exec(const std::vector<uint8_t>& bytes, CodeMode mode, bool allow_invalid = false) {
        Decoder dec;
        Insn in;
        DecodeStatus st = dec.decode(bytes.data(), bytes.size(), mode, in);
        if (allow_invalid)
            REQUIRE(st != DecodeStatus::NeedMoreBytes);
        else
            REQUIRE(st == DecodeStatus::Ok);
        uint32_t start = cpu.s.eip;
        cpu.s.eip = start + in.len;
        cpu.fault = {};
        cpu.end_block = false;
        in.fn(cpu, in);
        PendingFault pf = cpu.fault;
        cpu.fault = {};
        if (pf.active) cpu.s.eip = start;
        return pf;
    }
    // exec() in the CPU's current mode, with the bytes also placed at CS:EIP.
    PendingFault exec_here(const std::vector<uint8_t>& bytes, bool allow_invalid = false) {
        code(bytes);
        return exec(bytes, code_mode(cpu), allow_invalid);
    }

    // Runs until the CPU halts (HLT), asks for an exit, or `max` instructions have retired.
    // Returns the instructions retired.
    uint64_t run(uint64_t max = 100000) {
        uint64_t start = cpu.s.icount;
        cpu.icount_limit = start + max;
        cpu.exit_reasons = 0;
        interp->run();
        return cpu.s.icount - start;
    }

    uint32_t flags() const { return read_eflags(cpu.s); }
};

} // namespace rr86::test
