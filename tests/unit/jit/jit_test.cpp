// The JIT tier against the interpreter: the same program must end in the same CpuState and RAM
// whichever engine runs it (DESIGN.md, determinism contract 6), however the budget cuts it.
#include "jit/jit_tier.h"
#include "tests/unit/engine/cpu_fixture.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <unistd.h>

using namespace rr86;
using rr86::jit::ExecMode;
using rr86::jit::JitTier;
using rr86::test::CpuFixture;

namespace {

std::unique_ptr<JitTier> make_engine(ExecMode mode, uint32_t threshold = 2) {
    std::string error;
    jit::JitOptions opts;
    opts.mode = mode;
    opts.threshold = threshold;
    auto e = jit::load_jit_tier(opts, error);
    REQUIRE_MESSAGE(e, error);
    return e;
}

// Runs to HLT (or `max`) in slices of `slice` instructions (0: one slice).
void run_sliced(CpuFixture& f, uint64_t max, uint64_t slice) {
    uint64_t end = f.s().icount + max;
    while (f.s().icount < end && !f.s().halted) {
        uint64_t n = slice ? std::min(slice, end - f.s().icount) : end - f.s().icount;
        f.run(n);
        if (f.cpu.exit_reasons & ~cpu_exit::HALTED) break;
    }
}

void check_same(CpuFixture& a, CpuFixture& b) {
    CHECK(a.s().icount == b.s().icount);
    CHECK(a.s().eip == b.s().eip);
    for (unsigned r = 0; r < 8; ++r)
        CHECK(a.s().gpr[r] == b.s().gpr[r]);
    CHECK(a.s().eflags == b.s().eflags);
    CHECK(std::memcmp(&a.s(), &b.s(), sizeof(CpuState)) == 0);
    CHECK(std::memcmp(a.mem.ram(), b.mem.ram(), a.mem.ram_size()) == 0);
}

// The program set up by `setup` run by the interpreter in one go, and by `mode` in slices.
void compare(const std::function<void(CpuFixture&)>& setup, ExecMode mode = ExecMode::Jit,
             uint64_t slice = 0, uint64_t max = 100000) {
    CpuFixture ref, jit;
    setup(ref);
    setup(jit);
    auto engine = make_engine(mode);
    jit.interp->set_code_tier(engine.get());
    run_sliced(ref, max, 0);
    run_sliced(jit, max, slice);
    engine->drain();
    check_same(ref, jit);
    MESSAGE(engine->stats_line());
}

// A loop: sums 1..N into EAX with memory traffic, then HLT.
void loop_program(CpuFixture& f) {
    f.code({
        0x66, 0x31, 0xc0,       // xor eax, eax
        0xb9, 0xe8, 0x03,       // mov cx, 1000
        0xbe, 0x00, 0x20,       // mov si, 0x2000
        0x66, 0x01, 0xc8,       // l: add eax, ecx
        0x89, 0x04,             // mov [si], ax
        0x83, 0xc6, 0x02,       // add si, 2
        0x81, 0xe6, 0xff, 0x2f, // and si, 0x2fff
        0x66, 0x0f, 0xaf, 0xd8, // imul ebx, eax
        0xe2, 0xee,             // loop l
        0xf4,                   // hlt
    });
    f.s().gpr[EBX] = 3;
}

} // namespace

TEST_CASE("jit: a loop gives the interpreter's state, whole and in slices") {
    for (uint64_t slice : {0, 1, 3, 7, 64}) {
        CAPTURE(slice);
        compare(loop_program, ExecMode::Jit, slice);
    }
}

TEST_CASE("jit: compiled code runs, and only when the whole block fits the budget") {
    CpuFixture f;
    loop_program(f);
    auto engine = make_engine(ExecMode::Jit);
    f.interp->set_code_tier(engine.get());
    f.run(100000);
    CHECK(f.s().halted);
    jit::JitStats st = engine->stats();
    CHECK(st.compiled >= 2);
    CHECK(st.native_calls < st.insns); // the semantics came from the bitcode
    CHECK(st.failed == 0);
}

TEST_CASE("tiered: hot blocks compile in the background, state stays the interpreter's") {
    for (uint64_t slice : {0, 5}) {
        CAPTURE(slice);
        compare(loop_program, ExecMode::Tiered, slice);
    }
}

TEST_CASE("jit: a fault inside a compiled block restores EIP and delivers it") {
    auto setup = [](CpuFixture& f) {
        // IVT 13 -> 0000:3000: store the pushed IP, HLT.
        f.poke_as<uint16_t>(13 * 4, 0x3000);
        f.poke_as<uint16_t>(13 * 4 + 2, 0);
        f.poke(0x3000, {0x58, 0xa3, 0x00, 0x50, 0xf4}); // pop ax ; mov [0x5000], ax ; hlt
        f.code({0x40, 0x40, 0x8b, 0x07, 0x40, 0xf4});   // inc ax x2 ; mov ax, [bx] ; inc ax
        f.s().gpr[EBX] = 0xffff;
    };
    compare(setup);
    CpuFixture f;
    setup(f);
    auto engine = make_engine(ExecMode::Jit);
    f.interp->set_code_tier(engine.get());
    f.run();
    CHECK(f.peek<uint16_t>(0x5000) == 0x1002); // the faulting MOV
    CHECK((f.s().gpr[EAX] & 0xffff) == 0x1002);
    CHECK(engine->stats().compiled >= 1);
}

TEST_CASE("jit: self-modifying code patches the next instruction of the running block") {
    auto setup = [](CpuFixture& f) {
        f.code({
            0xc6, 0x06, 0x06, 0x10, 0x42, // mov byte [0x1006], 0x42  (imm of the next insn)
            0xb0, 0x00,                   // mov al, 0x00 -> 0x42
            0xa2, 0x00, 0x50,             // mov [0x5000], al
            0xfe, 0x06, 0x06, 0x10,       // inc byte [0x1006]
            0x49,                         // dec cx
            0x75, 0xef,                   // jnz 0x1000
            0xf4,                         // hlt
        });
        f.s().gpr[ECX] = 5;
    };
    for (uint64_t slice : {0, 2})
        compare(setup, ExecMode::Jit, slice);
    CpuFixture f;
    setup(f);
    auto engine = make_engine(ExecMode::Jit);
    f.interp->set_code_tier(engine.get());
    f.run();
    CHECK(f.peek<uint8_t>(0x5000) == 0x42);
}

TEST_CASE("jit: REP string instructions across budget boundaries") {
    auto setup = [](CpuFixture& f) {
        for (uint32_t i = 0; i < 3000; ++i)
            f.poke_as<uint8_t>(0x10000 + i, uint8_t(i * 7));
        f.code({
            0xb8, 0x00, 0x10, // mov ax, 0x1000
            0x8e, 0xd8,       // mov ds, ax
            0xb8, 0x00, 0x30, // mov ax, 0x3000
            0x8e, 0xc0,       // mov es, ax
            0x31, 0xf6,       // xor si, si
            0x31, 0xff,       // xor di, di
            0xb9, 0xb8, 0x0b, // mov cx, 3000
            0xfc,             // cld
            0xf3, 0xa4,       // rep movsb
            0xb9, 0x64, 0x00, // mov cx, 100
            0x31, 0xff,       // xor di, di
            0xf3, 0xa6,       // repe cmpsb (from si=3000 vs di=0: stops early)
            0xb0, 0x55,       // mov al, 0x55
            0xb9, 0x10, 0x00, // mov cx, 16
            0xf3, 0xaa,       // rep stosb
            0xf4,             // hlt
        });
    };
    for (uint64_t slice : {0, 1, 10, 999, 1001}) {
        CAPTURE(slice);
        compare(setup, ExecMode::Jit, slice);
    }
}

TEST_CASE("jit: 32-bit protected mode program with stack and calls") {
    auto setup = [](CpuFixture& f) {
        f.flat32();
        f.s().gpr[ESP] = 0x9000;
        f.code({
            0xb9, 0x00, 0x01, 0x00, 0x00,             // mov ecx, 256
            0x31, 0xc0,                               // xor eax, eax
            0x51,                                     // l: push ecx
            0xe8, 0x05, 0x00, 0x00, 0x00,             // call f
            0x59,                                     // pop ecx
            0xe2, 0xf7,                               // loop l
            0xf4,                                     // hlt
            0x90,                                     // nop
            0x01, 0xc8,                               // f: add eax, ecx
            0xc1, 0xc0, 0x03,                         // rol eax, 3
            0x89, 0x04, 0x8d, 0x00, 0x40, 0x00, 0x00, // mov [ecx*4+0x4000], eax
            0xc3,                                     // ret
        });
    };
    for (uint64_t slice : {0, 4, 13})
        compare(setup, ExecMode::Jit, slice);
}

TEST_CASE("jit: a dropped block's code never runs again") {
    CpuFixture f;
    f.code({0xb0, 0x11, 0xa2, 0x00, 0x50, 0xf4}); // mov al, 0x11 ; mov [0x5000], al ; hlt
    auto engine = make_engine(ExecMode::Jit);
    f.interp->set_code_tier(engine.get());
    f.run();
    CHECK(f.peek<uint8_t>(0x5000) == 0x11);
    // A host write bypasses the code-page tracking: drop the blocks as a map change does.
    f.s().halted = 0;
    f.s().eip = 0x1000;
    f.poke(0x1001, {0x22});
    f.interp->flush_code();
    f.run();
    CHECK(f.peek<uint8_t>(0x5000) == 0x22);
    CHECK(engine->stats().compiled >= 2);
}

// ---- guest programs (tests/guests), run by both engines ---------------------------------------

namespace {

class TestPorts : public PortHandler {
  public:
    explicit TestPorts(Cpu& c) : cpu_(c) {
        cpu_.intr_ack = [](void* ctx) {
            auto* p = static_cast<TestPorts*>(ctx);
            int v = p->pending_;
            p->pending_ = -1;
            p->cpu_.intr = false;
            return v;
        };
        cpu_.intr_ctx = this;
    }
    void port_write(uint16_t port, unsigned, uint32_t value) override {
        if (port == 0xf4) {
            status = int(((value & 0xff) << 1) | 1);
            cpu_.request_exit(cpu_exit::REQUEST);
        } else if (port == 0xf5) {
            pending_ = int(value & 0xff);
            cpu_.intr = true;
        }
    }
    uint32_t port_read(uint16_t, unsigned size) override {
        return size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
    }
    std::optional<int> status;

  private:
    Cpu& cpu_;
    int pending_ = -1;
};

struct GuestRun {
    CpuFixture f;
    TestPorts ports{f.cpu};
    GuestRun() {
        f.io.claim(0xf4, 1, &ports);
        f.io.claim(0xe9, 1, &ports);
        f.io.claim(0xf5, 1, &ports);
        f.s().eip = 0x7c00;
    }
    void run(uint64_t limit, uint64_t slice) {
        uint64_t end = f.s().icount + limit;
        for (;;) {
            f.cpu.icount_limit = slice ? std::min(end, f.s().icount + slice) : end;
            f.cpu.exit_reasons = 0;
            f.interp->run();
            if (f.cpu.exit_reasons || ports.status || f.s().icount >= end) break;
        }
    }
};

std::filesystem::path guest_dir() {
    char buf[4096];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = 0;
    return std::filesystem::path(buf).parent_path() / "guests";
}

} // namespace

TEST_CASE("jit and tiered: every guest program ends as under the interpreter") {
    std::vector<std::filesystem::path> images;
    for (const char* family : {"real", "pmode", "paging", "faults"}) {
        std::error_code ec;
        for (auto& e : std::filesystem::directory_iterator(guest_dir() / family, ec))
            if (e.path().extension() == ".bin") images.push_back(e.path());
    }
    if (images.empty()) {
        MESSAGE("no guest images next to the test binary (build guest_images): skipped");
        return;
    }
    for (const auto& img : images) {
        std::ifstream in(img, std::ios::binary);
        std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), {});
        for (ExecMode mode : {ExecMode::Jit, ExecMode::Tiered}) {
            for (uint64_t slice : {0, 3}) {
                CAPTURE(img.string());
                CAPTURE(jit::exec_mode_name(mode));
                CAPTURE(slice);
                GuestRun ref, run;
                ref.f.mem.write_ram(0x7c00, bytes.data(), bytes.size());
                run.f.mem.write_ram(0x7c00, bytes.data(), bytes.size());
                auto engine = make_engine(mode);
                run.f.interp->set_code_tier(engine.get());
                ref.run(2'000'000, 0);
                run.run(2'000'000, slice);
                engine->drain();
                CHECK(ref.ports.status == run.ports.status);
                check_same(ref.f, run.f);
            }
        }
    }
}
