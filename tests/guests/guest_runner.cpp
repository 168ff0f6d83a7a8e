// Runs a guest program (a flat nasm binary) on a bare machine and checks its expected final state.
//
// The machine: RAM only, the image loaded at physical 0x7C00 and entered at 0000:7C00 in real
// mode (as a BIOS enters a boot sector), A20 on. Two ports exist:
//   0xF4  test exit, as QEMU's isa-debug-exit: writing v ends the run with status (v << 1) | 1
//   0xE9  debug console: bytes written go to stderr
//   0xF5  interrupt request: writing v raises INTR; the CPU's acknowledge returns vector v once
// The run ends on HLT with no interrupt pending (nothing else can wake the CPU), on a write to
// the exit port, on a triple fault, or at the instruction limit.
//
// Expectations come from the guest source, in comment lines of the form
//   ; expect: eax=0x1234 flags&0x8d5=0x44 mem32[0x5000]=0xcafe exit=halt
// Keys: eax..edi, ax..di, eip, eflags, flags (alias of eflags), es cs ss ds fs gs (selectors),
// <seg>.base <seg>.limit <seg>.attr, cr0 cr2 cr3 cr4, cpl, icount, a20, mem8/16/32[phys];
// any key may carry a mask (`key&mask=value`). exit= is halt | triple-fault | port:<status> |
// limit. A line `; limit: N` sets the instruction limit.
//
// Usage: guest_runner [--asm SOURCE] [--limit N] [--slices N,M,...] [--exec interp|jit|tiered]
//                     [--jit-threshold N] [--bench] IMAGE
// Prints PASS/FAIL, the instructions retired and a state hash (XXH3 of CpuState). --slices
// re-runs the guest with the run loop stopped every N instructions (as timer deadlines stop it)
// and requires the same final CPU state and RAM: icount-exact stops, REP resumption. --exec runs
// it on another engine (jit: every block compiled before its first run, or before its run N + 1
// with --jit-threshold N, when the code covers a region of the blocks seen after it); any
// engine but interp
// also runs the guest on the interpreter and requires the same exit and final machine hash (CPU
// state and RAM), as DESIGN.md's determinism contract (point 6) asks, and fails if the JIT
// module cannot be loaded.
#include "engine/cpu/cpu.h"
#include "engine/cpu/flags.h"
#include "engine/cpu/interp.h"
#include "engine/memory/io_ports.h"
#include "engine/memory/phys_map.h"
#include "jit/jit_tier.h"

#include <xxhash.h>

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

using namespace rr86;

namespace {

constexpr uint64_t kRamBytes = 32u << 20;
constexpr uint32_t kLoadAddress = 0x7c00;
constexpr uint16_t kExitPort = 0xf4, kIrqPort = 0xf5, kConsolePort = 0xe9;
constexpr uint64_t kDefaultLimit = 100'000'000;
constexpr uint64_t kBenchLimit = 10'000'000'000;

// isa-debug-exit, a debug console, and an interrupt request port.
class TestPorts : public PortHandler {
  public:
    explicit TestPorts(Cpu& cpu) : cpu_(cpu) {
        cpu_.intr_ack = [](void* ctx) { return static_cast<TestPorts*>(ctx)->acknowledge(); };
        cpu_.intr_ctx = this;
    }
    std::optional<int> status;

    // INTA: the pending vector, once (an edge-triggered request).
    int acknowledge() {
        int v = pending_;
        pending_ = -1;
        cpu_.intr = false;
        return v;
    }

    void port_write(uint16_t port, unsigned size, uint32_t value) override {
        if (port == kExitPort) {
            status = int(((value & 0xff) << 1) | 1);
            cpu_.request_exit(cpu_exit::REQUEST);
        } else if (port == kConsolePort) {
            std::fputc(int(value & 0xff), stderr);
        } else if (port == kIrqPort) {
            pending_ = int(value & 0xff);
            cpu_.intr = true;
        }
    }
    uint32_t port_read(uint16_t, unsigned size) override {
        return size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
    }

  private:
    Cpu& cpu_;
    int pending_ = -1;
};

struct Expect {
    std::string key; // as written, for messages
    std::string name;
    uint64_t mask = ~0ull;
    uint64_t value = 0;
    std::string text; // exit=
};

bool parse_number(const std::string& s, uint64_t& v) {
    if (s.empty()) return false;
    char* end = nullptr;
    v = std::strtoull(s.c_str(), &end, 0);
    return end && *end == 0;
}

// Reads `; expect:` and `; limit:` lines from the guest source.
bool parse_source(const std::string& path, std::vector<Expect>& out, uint64_t& limit) {
    std::ifstream in(path);
    if (!in) {
        std::fprintf(stderr, "guest_runner: cannot read %s\n", path.c_str());
        return false;
    }
    std::string line;
    while (std::getline(in, line)) {
        size_t p = line.find_first_not_of(" \t");
        if (p == std::string::npos || line[p] != ';') continue;
        std::string rest = line.substr(p + 1);
        size_t q = rest.find_first_not_of(" \t");
        if (q == std::string::npos) continue;
        rest = rest.substr(q);
        if (rest.rfind("limit:", 0) == 0) {
            std::string v = rest.substr(6);
            v.erase(0, v.find_first_not_of(" \t"));
            if (!parse_number(v.substr(0, v.find_first_of(" \t")), limit)) return false;
            continue;
        }
        if (rest.rfind("expect:", 0) != 0) continue;
        std::istringstream words(rest.substr(7));
        std::string w;
        while (words >> w) {
            size_t eq = w.find('=');
            if (eq == std::string::npos) {
                std::fprintf(stderr, "guest_runner: bad expectation '%s'\n", w.c_str());
                return false;
            }
            Expect e;
            e.key = w.substr(0, eq);
            std::string val = w.substr(eq + 1);
            e.name = e.key;
            size_t amp = e.key.find('&');
            if (amp != std::string::npos) {
                e.name = e.key.substr(0, amp);
                if (!parse_number(e.key.substr(amp + 1), e.mask)) {
                    std::fprintf(stderr, "guest_runner: bad mask in '%s'\n", w.c_str());
                    return false;
                }
            }
            if (e.name == "exit") {
                e.text = val;
            } else if (!parse_number(val, e.value)) {
                std::fprintf(stderr, "guest_runner: bad value in '%s'\n", w.c_str());
                return false;
            }
            out.push_back(e);
        }
    }
    return true;
}

class GuestMachine {
  public:
    GuestMachine() : ports_(cpu_) {
        mem_.map_memory(0, kRamBytes, mem_.ram(), mem_.ram(), "ram");
        io_.claim(kExitPort, 1, &ports_);
        io_.claim(kConsolePort, 1, &ports_);
        io_.claim(kIrqPort, 1, &ports_);
        cpu_.mem = &mem_;
        cpu_.io = &io_;
        cpu_reset(cpu_);
        // A BIOS hands a boot sector control at 0000:7C00 with the IVT at 0.
        cpu_.s.seg[CS] = {0, 0xffff, 0, cpu_.s.seg[CS].attr};
        cpu_.s.eip = kLoadAddress;
        cpu_.s.idtr = {0, 0x3ff};
        cpu_.state_changed();
        interp_ = std::make_unique<Interpreter>(cpu_);
    }

    // Runs under `mode` (jit: every block compiled before it runs). False with `error` if the
    // JIT cannot be loaded.
    bool set_exec(jit::ExecMode mode, uint32_t jit_threshold, std::string& error) {
        if (mode == jit::ExecMode::Interp) return true;
        jit::JitOptions opts;
        opts.mode = mode;
        opts.jit_threshold = jit_threshold;
        tier_ = jit::load_jit_tier(opts, error);
        if (tier_) interp_->set_code_tier(tier_.get());
        return tier_ != nullptr;
    }
    jit::JitTier* tier() { return tier_.get(); }

    bool load(const std::string& path) {
        std::ifstream in(path, std::ios::binary);
        if (!in) return false;
        std::vector<char> img((std::istreambuf_iterator<char>(in)), {});
        return !img.empty() && mem_.write_ram(kLoadAddress, img.data(), img.size());
    }

    // Runs to the end of the session; returns the exit kind as the expect syntax spells it.
    // A `slice` makes the run loop stop every `slice` instructions and go on (as the machine
    // does at timer deadlines): the outcome must not depend on where those stops fall.
    std::string run(uint64_t limit, uint64_t slice = 0) {
        uint64_t end = cpu_.s.icount + limit;
        for (;;) {
            cpu_.icount_limit = slice ? std::min(end, cpu_.s.icount + slice) : end;
            cpu_.exit_reasons = 0;
            interp_->run();
            uint32_t why = cpu_.exit_reasons;
            if (why & cpu_exit::TRIPLE_FAULT) return "triple-fault";
            if (ports_.status) return "port:" + std::to_string(*ports_.status);
            if (why & cpu_exit::HALTED) return "halt";
            if (cpu_.s.icount >= end) return "limit";
            if (why) return "exit:" + std::to_string(why);
        }
    }

    // Digest of the whole machine: CPU state and RAM.
    uint64_t machine_hash() {
        XXH3_state_t* st = XXH3_createState();
        XXH3_64bits_reset(st);
        XXH3_64bits_update(st, &cpu_.s, sizeof cpu_.s);
        XXH3_64bits_update(st, mem_.ram(), mem_.ram_size());
        uint64_t h = XXH3_64bits_digest(st);
        XXH3_freeState(st);
        return h;
    }

    Cpu& cpu() { return cpu_; }
    PhysMap& mem() { return mem_; }

  private:
    PhysMap mem_{kRamBytes};
    IoPorts io_;
    Cpu cpu_;
    TestPorts ports_;
    std::unique_ptr<jit::JitTier> tier_; // outlives the interpreter's use of it
    std::unique_ptr<Interpreter> interp_;
};

// Register names in CpuState order (gpr[], seg[]).
constexpr const char* k32[] = {"eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"};
constexpr const char* k16[] = {"ax", "cx", "dx", "bx", "sp", "bp", "si", "di"};
constexpr const char* kSeg[] = {"es", "cs", "ss", "ds", "fs", "gs"};

std::optional<uint64_t> actual_value(GuestMachine& m, const std::string& name) {
    const CpuState& s = m.cpu().s;
    for (unsigned i = 0; i < 8; ++i) {
        if (name == k32[i]) return s.gpr[i];
        if (name == k16[i]) return s.gpr[i] & 0xffff;
    }
    for (unsigned i = 0; i < kNumSegs; ++i) {
        std::string sn = kSeg[i];
        if (name == sn) return s.seg[i].selector;
        if (name == sn + ".base") return s.seg[i].base;
        if (name == sn + ".limit") return s.seg[i].limit;
        if (name == sn + ".attr") return s.seg[i].attr;
    }
    if (name == "eip") return s.eip;
    if (name == "eflags" || name == "flags") return read_eflags(s);
    if (name == "cr0") return s.cr0;
    if (name == "cr2") return s.cr2;
    if (name == "cr3") return s.cr3;
    if (name == "cr4") return s.cr4;
    if (name == "cpl") return s.cpl;
    if (name == "icount") return s.icount;
    if (name == "a20") return s.a20;
    for (unsigned bits : {8u, 16u, 32u}) {
        std::string pre = "mem" + std::to_string(bits) + "[";
        if (name.rfind(pre, 0) == 0 && name.back() == ']') {
            uint64_t addr;
            if (!parse_number(name.substr(pre.size(), name.size() - pre.size() - 1), addr))
                return std::nullopt;
            uint32_t v = 0;
            if (!m.mem().read_ram(addr, &v, bits / 8)) return std::nullopt;
            return v;
        }
    }
    return std::nullopt;
}

// CPU time of this process: the machine is shared, so wall time alone is noisy.
double cpu_seconds() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
}

uint64_t state_hash(const CpuState& s) { return XXH3_64bits(&s, sizeof s); }

void print_state(const CpuState& s) {
    std::printf("  eax=%08x ecx=%08x edx=%08x ebx=%08x esp=%08x ebp=%08x esi=%08x edi=%08x\n",
                s.gpr[0], s.gpr[1], s.gpr[2], s.gpr[3], s.gpr[4], s.gpr[5], s.gpr[6], s.gpr[7]);
    std::printf("  eip=%08x eflags=%08x cr0=%08x cr2=%08x cr3=%08x cr4=%08x cpl=%u\n", s.eip,
                read_eflags(s), s.cr0, s.cr2, s.cr3, s.cr4, s.cpl);
    for (unsigned i = 0; i < kNumSegs; ++i)
        std::printf("  %s=%04x base=%08x limit=%08x attr=%03x%s", kSeg[i], s.seg[i].selector,
                    s.seg[i].base, s.seg[i].limit, s.seg[i].attr, i % 2 ? "\n" : "");
}

// Where two machines' final states differ: the CPU state's fields and the first RAM bytes.
std::string diff_machines(GuestMachine& a, GuestMachine& b) {
    std::string out;
    auto field = [&](const char* name, uint64_t x, uint64_t y) {
        if (x == y) return;
        char buf[96];
        std::snprintf(buf, sizeof buf, " %s=0x%" PRIx64 "/0x%" PRIx64, name, x, y);
        out += buf;
    };
    const CpuState &s = a.cpu().s, &r = b.cpu().s;
    for (unsigned i = 0; i < 8; ++i)
        field(k32[i], s.gpr[i], r.gpr[i]);
    field("eip", s.eip, r.eip);
    field("eflags", read_eflags(s), read_eflags(r));
    for (unsigned i = 0; i < kNumSegs; ++i) {
        field(kSeg[i], s.seg[i].selector, r.seg[i].selector);
        field((std::string(kSeg[i]) + ".base").c_str(), s.seg[i].base, r.seg[i].base);
        field((std::string(kSeg[i]) + ".limit").c_str(), s.seg[i].limit, r.seg[i].limit);
        field((std::string(kSeg[i]) + ".attr").c_str(), s.seg[i].attr, r.seg[i].attr);
    }
    field("cr0", s.cr0, r.cr0);
    field("cr2", s.cr2, r.cr2);
    field("cr3", s.cr3, r.cr3);
    field("cr4", s.cr4, r.cr4);
    field("icount", s.icount, r.icount);
    if (out.empty() && std::memcmp(&s, &r, sizeof s) != 0) {
        const auto* p = reinterpret_cast<const uint8_t*>(&s);
        const auto* q = reinterpret_cast<const uint8_t*>(&r);
        size_t k = 0;
        while (p[k] == q[k])
            ++k;
        char buf[96];
        std::snprintf(buf, sizeof buf, " CpuState byte %zu=0x%02x/0x%02x", k, p[k], q[k]);
        out += buf;
    }
    const uint8_t *ma = a.mem().ram(), *mb = b.mem().ram();
    unsigned shown = 0;
    for (uint64_t k = 0; k < kRamBytes && shown < 8; ++k)
        if (ma[k] != mb[k]) {
            char buf[64];
            std::snprintf(buf, sizeof buf, " ram[0x%" PRIx64 "]=0x%02x/0x%02x", k, ma[k], mb[k]);
            out += buf;
            ++shown;
        }
    return out.empty() ? out : "differences (this engine/interp):" + out;
}

int usage() {
    std::fprintf(stderr,
                 "usage: guest_runner [--asm SOURCE] [--limit N] [--slices N,M,...] "
                 "[--exec interp|jit|tiered] [--jit-threshold N] [--bench] IMAGE\n"
                 "  --slices  also run in slices of N instructions; the final machine state "
                 "(CPU and RAM) must be the same\n");
    return 2;
}

} // namespace

int main(int argc, char** argv) {
    std::string asm_path, image;
    uint64_t limit = kDefaultLimit;
    bool limit_given = false, bench = false;
    jit::ExecMode exec = jit::ExecMode::Interp;
    uint64_t jit_threshold = 0;
    std::vector<uint64_t> slices;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--asm" && i + 1 < argc) {
            asm_path = argv[++i];
        } else if (a == "--limit" && i + 1 < argc) {
            if (!parse_number(argv[++i], limit)) return usage();
            limit_given = true;
        } else if (a == "--slices" && i + 1 < argc) {
            std::stringstream list(argv[++i]);
            std::string item;
            uint64_t n;
            while (std::getline(list, item, ','))
                if (parse_number(item, n) && n > 0)
                    slices.push_back(n);
                else
                    return usage();
        } else if (a == "--exec" && i + 1 < argc) {
            auto m = jit::parse_exec_mode(argv[++i]);
            if (!m) return usage();
            exec = *m;
        } else if (a == "--jit-threshold" && i + 1 < argc) {
            if (!parse_number(argv[++i], jit_threshold) || jit_threshold > UINT32_MAX)
                return usage();
        } else if (a == "--bench") {
            bench = true;
        } else if (!a.empty() && a[0] != '-' && image.empty()) {
            image = a;
        } else {
            return usage();
        }
    }
    if (image.empty()) return usage();
    std::vector<Expect> expects;
    uint64_t src_limit = limit;
    if (!asm_path.empty() && !parse_source(asm_path, expects, src_limit)) return 2;
    if (!limit_given) limit = src_limit;
    if (bench && !limit_given && asm_path.empty()) limit = kBenchLimit;

    GuestMachine m;
    std::string error;
    if (!m.set_exec(exec, uint32_t(jit_threshold), error)) {
        std::fprintf(stderr, "guest_runner: %s\n", error.c_str());
        return 2;
    }
    if (!m.load(image)) {
        std::fprintf(stderr, "guest_runner: cannot load %s\n", image.c_str());
        return 2;
    }
    auto t0 = std::chrono::steady_clock::now();
    double cpu0 = cpu_seconds();
    std::string exit = m.run(limit);
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    double cpu_secs = cpu_seconds() - cpu0;
    const CpuState& s = m.cpu().s;

    if (bench) {
        std::printf("instructions retired: %" PRIu64 "\n", s.icount);
        std::printf("seconds: %.3f wall, %.3f CPU\n", secs, cpu_secs);
        if (m.tier()) {
            m.tier()->drain();
            std::printf("%s\n", m.tier()->stats_line().c_str());
        }
        std::printf("%s MIPS: %.1f (wall time), %.1f (CPU time)\n", jit::exec_mode_name(exec),
                    secs > 0 ? double(s.icount) / secs / 1e6 : 0.0,
                    cpu_secs > 0 ? double(s.icount) / cpu_secs / 1e6 : 0.0);
        std::printf("exit=%s state hash %016" PRIx64 "\n", exit.c_str(), state_hash(s));
        if (expects.empty()) return 0;
    }

    std::vector<std::string> fails;
    // Another engine must end exactly where the interpreter ends: same exit, CPU state and RAM.
    if (exec != jit::ExecMode::Interp) {
        GuestMachine ref;
        ref.load(image);
        std::string ref_exit = ref.run(limit);
        uint64_t h = m.machine_hash(), ref_h = ref.machine_hash();
        if (ref_exit != exit || h != ref_h) {
            char b[320];
            std::snprintf(b, sizeof b,
                          "%s and interp differ: %s exit=%s icount=%" PRIu64
                          " machine hash %016" PRIx64 ", interp exit=%s icount=%" PRIu64
                          " machine hash %016" PRIx64,
                          jit::exec_mode_name(exec), jit::exec_mode_name(exec), exit.c_str(),
                          s.icount, h, ref_exit.c_str(), ref.cpu().s.icount, ref_h);
            fails.push_back(b);
            std::string what = diff_machines(m, ref);
            if (!what.empty()) fails.push_back(what);
        }
    }
    for (const Expect& e : expects) {
        if (e.name == "exit") {
            if (e.text != exit) fails.push_back("exit=" + exit + " (want " + e.text + ")");
            continue;
        }
        std::optional<uint64_t> v = actual_value(m, e.name);
        if (!v) {
            fails.push_back("unknown key " + e.key);
            continue;
        }
        if ((*v & e.mask) != (e.value & e.mask)) {
            char b[160];
            std::snprintf(b, sizeof b, "%s=0x%" PRIx64 " (want 0x%" PRIx64 ")", e.key.c_str(),
                          *v & e.mask, e.value & e.mask);
            fails.push_back(b);
        }
    }
    // The same run stopped every N instructions must end in the same machine state.
    uint64_t reference = m.machine_hash();
    for (uint64_t n : slices) {
        GuestMachine sliced;
        sliced.set_exec(exec, uint32_t(jit_threshold), error);
        sliced.load(image);
        std::string sliced_exit = sliced.run(limit, n);
        if (sliced_exit != exit || sliced.machine_hash() != reference) {
            char b[200];
            std::snprintf(
                b, sizeof b,
                "run in slices of %" PRIu64 " instructions differs: exit=%s icount=%" PRIu64
                " state hash %016" PRIx64,
                n, sliced_exit.c_str(), sliced.cpu().s.icount, state_hash(sliced.cpu().s));
            fails.push_back(b);
        }
    }
    std::printf("%s %s: exit=%s icount=%" PRIu64 " state hash %016" PRIx64 "\n",
                fails.empty() ? "PASS" : "FAIL", image.c_str(), exit.c_str(), s.icount,
                state_hash(s));
    if (!fails.empty()) {
        for (const auto& f : fails)
            std::printf("  mismatch: %s\n", f.c_str());
        print_state(s);
    }
    if (m.tier() && !bench) {
        m.tier()->drain();
        std::printf("  %s\n", m.tier()->stats_line().c_str());
    }
    if (expects.empty() && !bench) {
        std::printf("  (no expectations in the source)\n");
        return 1;
    }
    return fails.empty() ? 0 : 1;
}
