// Conformance runner for the SingleStepTests 80286 real-mode corpus
// (../shared/conformance/README.md: record format, procedure, masks, quirks).
//
// Each test is one instruction from a random real-mode state; the runner loads it into a bare CPU
// (RAM only, A20 on, every port reads all ones), runs until one HLT has executed, and compares the
// 14 registers (FLAGS under the file's flags_mask) and memory, strictly: a write to a byte that
// the test does not list is an error.
//
// Where a real 286 and the P6-class CPU this emulator models differ (README, "Where a 286 differs
// from a P6-class CPU"), the runner applies an explicit, named rule: an exclusion (the test is run
// but not counted) or a relaxation (some FLAGS bits are not compared). Each rule prints its count.
//
// --exec jit runs every test through the JIT tier (jit/): each decoded block, the test's
// instruction included, is compiled before it runs and runs as compiled code. Every test then also
// runs on the interpreter, and the two engines must leave the same CPU state (icount counted from
// the test's start), memory, stray writes and delivered vector (DESIGN.md, determinism contract
// point 6). The run fails if the JIT module cannot be loaded, if any block failed to compile (it
// would have been interpreted), or if a test's instruction did not run as compiled code for a
// reason other than the interpreter's step() path (TF set, code on page 0, which is routed
// through MMIO, an instruction crossing a page or the 64 KiB CS limit); each reason prints its
// count. --shard K/N runs every Nth test record, starting with the Kth (ctest runs the shards in
// parallel).
//
// Usage: conformance_runner [--dir DIR] [--file NAME]... [--idx N] [--verbose] [--list]
//                           [--list-excluded] [--uncached] [--exec interp|jit] [--shard K/N]
//                           [--log PATH]
#include "engine/cpu/cpu.h"
#include "engine/cpu/decode.h"
#include "engine/cpu/flags.h"
#include "engine/cpu/interp.h"
#include "engine/memory/io_ports.h"
#include "engine/memory/phys_map.h"
#include "jit/jit_tier.h"

#include <Zydis/Zydis.h>
#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#ifndef RR86_CONFORMANCE_DIR
#define RR86_CONFORMANCE_DIR "../shared/conformance/80286-real"
#endif

using namespace rr86;

namespace {

// ---- a small JSON reader (the corpus is plain objects, arrays, integers and strings) ----------

struct Json {
    enum Kind : uint8_t { Null, Bool, Num, Str, Arr, Obj } kind = Null;
    int64_t num = 0;
    std::string str;
    std::vector<Json> arr;
    std::vector<std::pair<std::string, Json>> obj;

    const Json* get(std::string_view key) const {
        for (const auto& [k, v] : obj)
            if (k == key) return &v;
        return nullptr;
    }
    int64_t int_or(std::string_view key, int64_t dflt) const {
        const Json* v = get(key);
        return v && v->kind == Num ? v->num : dflt;
    }
};

class JsonParser {
  public:
    JsonParser(const char* p, const char* end) : p_(p), end_(end) {}

    bool parse(Json& out) {
        if (!value(out)) return false;
        ws();
        return p_ == end_;
    }

  private:
    void ws() {
        while (p_ < end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t'))
            ++p_;
    }
    bool lit(const char* s) {
        size_t n = std::strlen(s);
        if (size_t(end_ - p_) < n || std::memcmp(p_, s, n) != 0) return false;
        p_ += n;
        return true;
    }
    bool string(std::string& out) {
        if (p_ >= end_ || *p_ != '"') return false;
        ++p_;
        while (p_ < end_ && *p_ != '"') {
            char ch = *p_++;
            if (ch == '\\' && p_ < end_) {
                char e = *p_++;
                switch (e) {
                case 'n': out += '\n'; break;
                case 't': out += '\t'; break;
                case 'r': out += '\r'; break;
                case 'b': out += '\b'; break;
                case 'f': out += '\f'; break;
                case 'u': // keep \uXXXX escapes as '?': names are for display only
                    p_ = std::min(end_, p_ + 4);
                    out += '?';
                    break;
                default: out += e; break;
                }
            } else {
                out += ch;
            }
        }
        if (p_ >= end_) return false;
        ++p_;
        return true;
    }
    bool number(Json& out) {
        bool neg = p_ < end_ && *p_ == '-';
        if (neg) ++p_;
        if (p_ >= end_ || *p_ < '0' || *p_ > '9') return false;
        int64_t v = 0;
        while (p_ < end_ && *p_ >= '0' && *p_ <= '9')
            v = v * 10 + (*p_++ - '0');
        // Fractions and exponents do not occur in the corpus; skip them if they ever do.
        while (p_ < end_ && (*p_ == '.' || *p_ == 'e' || *p_ == 'E' || *p_ == '+' || *p_ == '-' ||
                             (*p_ >= '0' && *p_ <= '9')))
            ++p_;
        out.kind = Json::Num;
        out.num = neg ? -v : v;
        return true;
    }
    bool value(Json& out) {
        ws();
        if (p_ >= end_) return false;
        switch (*p_) {
        case '{': {
            ++p_;
            out.kind = Json::Obj;
            ws();
            if (p_ < end_ && *p_ == '}') return ++p_, true;
            for (;;) {
                ws();
                std::string key;
                if (!string(key)) return false;
                ws();
                if (p_ >= end_ || *p_++ != ':') return false;
                out.obj.emplace_back(std::move(key), Json{});
                if (!value(out.obj.back().second)) return false;
                ws();
                if (p_ >= end_) return false;
                if (*p_ == ',') {
                    ++p_;
                    continue;
                }
                if (*p_ == '}') return ++p_, true;
                return false;
            }
        }
        case '[': {
            ++p_;
            out.kind = Json::Arr;
            ws();
            if (p_ < end_ && *p_ == ']') return ++p_, true;
            for (;;) {
                out.arr.emplace_back();
                if (!value(out.arr.back())) return false;
                ws();
                if (p_ >= end_) return false;
                if (*p_ == ',') {
                    ++p_;
                    continue;
                }
                if (*p_ == ']') return ++p_, true;
                return false;
            }
        }
        case '"': out.kind = Json::Str; return string(out.str);
        case 't':
            out.kind = Json::Bool;
            out.num = 1;
            return lit("true");
        case 'f': out.kind = Json::Bool; return lit("false");
        case 'n': return lit("null");
        default: return number(out);
        }
    }

    const char* p_;
    const char* end_;
};

bool read_gz(const std::string& path, std::string& out) {
    gzFile f = gzopen(path.c_str(), "rb");
    if (!f) return false;
    char buf[1 << 16];
    int n;
    while ((n = gzread(f, buf, sizeof buf)) > 0)
        out.append(buf, size_t(n));
    bool ok = n == 0;
    gzclose(f);
    return ok;
}

// ---- the corpus ------------------------------------------------------------------------------

enum RegId { AX, BX, CX, DX, CS_, SS_, DS_, ES_, SP, BP, SI, DI, IP, FLAGS, kNumRegs };
constexpr const char* kRegNames[kNumRegs] = {"ax", "bx", "cx", "dx", "cs", "ss", "ds",
                                             "es", "sp", "bp", "si", "di", "ip", "flags"};

struct TestCase {
    int64_t idx = -1;
    std::string name, hash;
    std::vector<uint8_t> bytes;
    uint16_t init[kNumRegs]{};
    int32_t fin[kNumRegs]; // -1: unchanged
    std::vector<std::pair<uint32_t, uint8_t>> init_ram, final_ram;
    int exception = -1;

    uint16_t expected(int r) const { return fin[r] >= 0 ? uint16_t(fin[r]) : init[r]; }
};

bool load_regs(const Json* j, uint16_t* out16, int32_t* out32) {
    if (!j || j->kind != Json::Obj) return false;
    for (int r = 0; r < kNumRegs; ++r) {
        const Json* v = j->get(kRegNames[r]);
        if (out16) {
            if (!v) return false;
            out16[r] = uint16_t(v->num);
        } else {
            out32[r] = v ? int32_t(v->num & 0xffff) : -1;
        }
    }
    return true;
}

void load_ram(const Json* j, std::vector<std::pair<uint32_t, uint8_t>>& out) {
    if (!j) return;
    for (const Json& e : j->arr)
        if (e.arr.size() == 2) out.emplace_back(uint32_t(e.arr[0].num), uint8_t(e.arr[1].num));
}

bool parse_test(const char* b, const char* e, TestCase& t) {
    Json j;
    if (!JsonParser(b, e).parse(j) || j.kind != Json::Obj) return false;
    const Json* ini = j.get("initial");
    const Json* fin = j.get("final");
    if (!ini || !fin) return false;
    t.idx = j.int_or("idx", -1);
    if (const Json* n = j.get("name")) t.name = n->str;
    if (const Json* h = j.get("hash")) t.hash = h->str;
    if (const Json* by = j.get("bytes"))
        for (const Json& x : by->arr)
            t.bytes.push_back(uint8_t(x.num));
    if (!load_regs(ini->get("regs"), t.init, nullptr)) return false;
    load_regs(fin->get("regs"), nullptr, t.fin);
    load_ram(ini->get("ram"), t.init_ram);
    load_ram(fin->get("ram"), t.final_ram);
    if (const Json* ex = j.get("exception")) t.exception = int(ex->int_or("number", -1));
    return true;
}

struct FileInfo {
    std::string name, mnemonic, status;
    uint16_t flags_mask = 0xffff;
};

// ---- instruction shape, for the exclusion rules ----------------------------------------------

struct Shape {
    bool lock = false;
    unsigned prefixes = 0;
    uint8_t opcode = 0;
    int modrm = -1; // -1: no byte after the opcode
    unsigned reg() const { return (unsigned(modrm) >> 3) & 7; }
    bool mem() const { return modrm >= 0 && (modrm >> 6) != 3; }
};

Shape shape_of(const std::vector<uint8_t>& bytes) {
    Shape s;
    size_t i = 0;
    // The 286's prefixes: segment overrides, LOCK, REPNE, REP (64h-67h do not exist on it).
    for (; i < bytes.size(); ++i) {
        uint8_t b = bytes[i];
        if (b == 0xf0)
            s.lock = true;
        else if (b != 0x26 && b != 0x2e && b != 0x36 && b != 0x3e && b != 0xf2 && b != 0xf3)
            break;
        ++s.prefixes;
    }
    if (i < bytes.size()) s.opcode = bytes[i];
    if (i + 1 < bytes.size()) s.modrm = bytes[i + 1];
    return s;
}

// Instructions a P6 accepts LOCK on (SDM vol. 2, LOCK): memory-destination forms only.
bool p6_lockable(const Shape& s) {
    if (!s.mem()) return false;
    uint8_t op = s.opcode;
    if (op <= 0x31 && (op & 7) <= 1) return true;      // ADD..XOR r/m, r (CMP is 38h)
    if (op >= 0x80 && op <= 0x83) return s.reg() != 7; // group 1 except CMP
    if (op == 0x86 || op == 0x87) return true;         // XCHG
    if (op == 0xfe || op == 0xff) return s.reg() <= 1; // INC, DEC
    if (op == 0xf6 || op == 0xf7) return s.reg() == 2 || s.reg() == 3; // NOT, NEG
    return false;
}

// Whether the instruction makes an SS-relative access: an implicit stack access or an SS-based
// memory operand. Where such an instruction raised interrupt 13 on the 286, a P6 may raise #SS;
// the runner decides after the run, from the vector the emulator fetched.
bool has_ss_access(const TestCase& t) {
    ZydisDecoder dec;
    ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_REAL_16, ZYDIS_STACK_WIDTH_16);
    ZydisDecodedInstruction zi;
    ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
    if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(&dec, t.bytes.data(), t.bytes.size(), &zi, ops)))
        return false;
    for (unsigned n = 0; n < zi.operand_count; ++n)
        if (ops[n].type == ZYDIS_OPERAND_TYPE_MEMORY && ops[n].mem.type == ZYDIS_MEMOP_TYPE_MEM &&
            ops[n].mem.segment == ZYDIS_REGISTER_SS)
            return true;
    return false;
}

unsigned masked_shift_count(const TestCase& t, const Shape& s) {
    if (s.opcode == 0xd0 || s.opcode == 0xd1) return 1;
    if (s.opcode == 0xd2 || s.opcode == 0xd3) return t.init[CX] & 0x1f;
    // C0/C1: the imm8 is the last byte before the HLT.
    return t.bytes.size() >= 2 ? t.bytes[t.bytes.size() - 2] & 0x1f : 0;
}

// ---- rules -------------------------------------------------------------------------------------

struct Rule {
    const char* name;
    const char* reason;
    bool exclude;         // false: relaxation (FLAGS bits not compared)
    uint64_t matched = 0; // tests the rule applied to
    uint64_t needed = 0;  // of those, tests that fail without the rule
};

enum RuleId {
    kTooLong,
    kLockUd,
    kFpuEscape,
    kMovSregFsGs,
    kAamZero,
    kSsOverrun,
    kPopfIoplNt,
    kShiftOfCf,
    kStringOverrun,
    kNumRules
};

Rule g_rules_init[kNumRules] = {
    {"too-long", "instruction over 10 bytes: the 286 raises int 13, a P6 allows 15 bytes", true},
    {"lock-ud",
     "LOCK on an instruction that is not a memory-destination ADD/ADC/AND/OR/SBB/SUB/XOR, XCHG, "
     "INC/DEC or NOT/NEG: the 286 ignores it, a P6 raises #UD",
     true},
    {"fpu-escape",
     "file D8: no 80287 was fitted; the 286 only does the coprocessor handshake, a P6 runs the "
     "x87 instruction or raises #NM",
     true},
    {"mov-sreg-fs-gs", "8C/8E with reg 4 or 5: #UD on the 286, MOV to/from FS/GS on a P6", true},
    {"aam-zero",
     "AAM 0: the 286 updates SF/ZF/PF and clears OF/AF/CF before the divide error; the P6 "
     "behaviour is undocumented",
     true},
    {"ss-overrun",
     "SS-relative word straddling FFFFh: the 286 raises int 13, a P6 raises #SS (12) (applied "
     "when the emulator delivered #SS for an instruction with an SS-relative access)",
     true},
    {"popf-iret-iopl-nt",
     "POPF/IRET popping FLAGS bits 12-14: the 286 keeps them 0 in real mode, a P6 loads IOPL "
     "and NT (relaxed: FLAGS bits 12-14 not compared)",
     false},
    {"shift-rotate-of-cf",
     "multi-bit shift/rotate: OF is undefined for counts other than 1, CF for SHL/SHR counts "
     ">= the operand width (relaxed: those flags not compared)",
     false},
    {"string-overrun",
     "word string access straddling FFFFh: the 286 has already advanced SI/DI (and CX) when it "
     "raises int 13, a P6 faults precisely (SDM vol. 3 6.5) (SI/DI/CX compared with the "
     "precise values instead)",
     false},
};

struct RuleResult {
    int exclusion = -1;      // RuleId or -1
    uint16_t relax = 0xffff; // FLAGS bits still compared
    int relax_rule = -1;
    int32_t expect[kNumRegs];  // P6 values replacing the 286's, or -1
    bool ss_candidate = false; // int 13 from an instruction with an SS-relative access
    RuleResult() { std::fill(std::begin(expect), std::end(expect), -1); }
};

uint16_t read_word(const TestCase& t, uint32_t seg, uint16_t off) {
    auto byte = [&](uint32_t a) -> uint16_t {
        for (const auto& [addr, v] : t.init_ram)
            if (addr == a) return v;
        return 0;
    };
    uint32_t base = seg << 4;
    return uint16_t(byte(base + off) | (byte(base + uint16_t(off + 1)) << 8));
}

// A P6 string instruction faults precisely: SI/DI/CX hold the values of the iteration that
// faulted (for REP, after the iterations that completed). Only word forms can straddle FFFFh.
bool precise_string_fault(const TestCase& t, const Shape& s, RuleResult& r) {
    static constexpr uint8_t kSi[] = {0x6e, 0x6f, 0xa4, 0xa5, 0xa6, 0xa7, 0xac, 0xad};
    static constexpr uint8_t kDi[] = {0x6c, 0x6d, 0xa4, 0xa5, 0xa6, 0xa7, 0xaa, 0xab, 0xae, 0xaf};
    bool si = std::find(std::begin(kSi), std::end(kSi), s.opcode) != std::end(kSi);
    bool di = std::find(std::begin(kDi), std::end(kDi), s.opcode) != std::end(kDi);
    if ((!si && !di) || !(s.opcode & 1)) return false;
    bool rep = false;
    for (size_t k = 0; k < s.prefixes; ++k)
        rep |= t.bytes[k] == 0xf2 || t.bytes[k] == 0xf3;
    uint16_t d = (t.init[FLAGS] & fl::DF) ? uint16_t(-2) : 2;
    unsigned iterations = rep ? t.init[CX] : 1;
    for (unsigned k = 0; k < iterations; ++k) {
        uint16_t s_off = uint16_t(t.init[SI] + k * d), d_off = uint16_t(t.init[DI] + k * d);
        if (!((si && s_off == 0xffff) || (di && d_off == 0xffff))) continue;
        if (rep) r.expect[CX] = uint16_t(t.init[CX] - k);
        if (si) r.expect[SI] = s_off;
        if (di) r.expect[DI] = d_off;
        return true;
    }
    return false;
}

RuleResult classify(const FileInfo& f, const TestCase& t) {
    RuleResult r;
    Shape s = shape_of(t.bytes);
    if (t.bytes.size() - 1 > 10)
        r.exclusion = kTooLong;
    else if (s.lock && !p6_lockable(s))
        r.exclusion = kLockUd;
    else if (f.name == "D8")
        r.exclusion = kFpuEscape;
    else if ((s.opcode == 0x8c || s.opcode == 0x8e) && (s.reg() == 4 || s.reg() == 5))
        r.exclusion = kMovSregFsGs;
    else if (f.name == "D4" && t.exception == 0)
        r.exclusion = kAamZero;
    if (r.exclusion >= 0) return r;
    r.ss_candidate = t.exception == 13 && has_ss_access(t);

    if (s.opcode == 0x9d || s.opcode == 0xcf) {
        uint16_t off = s.opcode == 0x9d ? t.init[SP] : uint16_t(t.init[SP] + 4);
        if (read_word(t, t.init[SS_], off) & 0x7000) {
            r.relax = 0x8fff;
            r.relax_rule = kPopfIoplNt;
        }
    }
    if (s.opcode >= 0xc0 && s.opcode <= 0xd3 && (s.opcode <= 0xc1 || s.opcode >= 0xd0) &&
        s.modrm >= 0) {
        unsigned count = masked_shift_count(t, s);
        unsigned width = (s.opcode & 1) ? 16 : 8;
        uint16_t m = 0xffff;
        if (count > 1) m &= uint16_t(~fl::OF);
        bool shl_shr = s.reg() == 4 || s.reg() == 5 || s.reg() == 6;
        if (shl_shr && count >= width) m &= uint16_t(~fl::CF);
        if (m != 0xffff) {
            r.relax = m;
            r.relax_rule = kShiftOfCf;
        }
    }
    if (t.exception == 13 && precise_string_fault(t, s, r)) r.relax_rule = kStringOverrun;
    return r;
}

// ---- the machine -------------------------------------------------------------------------------

// Pages a test does not mention are mapped to this handler: a write there is a stray write
// (the corpus lists every byte the CPU writes); reads return 0 (the emulator may prefetch).
class StrayWatch : public MmioHandler {
  public:
    struct Write {
        uint32_t addr;
        unsigned size;
        uint32_t value;
    };
    static constexpr size_t kMaxWrites = 64; // a runaway guest: stop it
    Cpu* cpu = nullptr;
    std::vector<Write> writes;
    uint32_t mmio_read(uint64_t, unsigned) override { return 0; }
    void mmio_write(uint64_t off, unsigned size, uint32_t v) override {
        writes.push_back({uint32_t(off), size, v});
        if (writes.size() >= kMaxWrites) cpu->request_exit(cpu_exit::REQUEST);
    }
};

// Page 0 (the IVT) is always routed through this handler, backed by RAM, so that the runner sees
// every vector fetch: a fault whose delivery faults again retires no instruction and would loop
// forever, so the runner stops the CPU after too many deliveries.
class IvtPage : public MmioHandler {
  public:
    static constexpr unsigned kMaxReads = 512;
    Cpu* cpu = nullptr;
    uint8_t* ram = nullptr;
    bool listed = false; // the test lists bytes on page 0
    unsigned reads = 0;
    int first_vector = -1; // the first vector fetched: the event the emulator delivered
    StrayWatch* watch = nullptr;
    uint32_t mmio_read(uint64_t off, unsigned size) override {
        if (++reads >= kMaxReads) cpu->request_exit(cpu_exit::REQUEST);
        if (first_vector < 0 && off < 0x400) first_vector = int(off / 4);
        uint32_t v = 0;
        std::memcpy(&v, ram + off, size);
        return v;
    }
    void mmio_write(uint64_t off, unsigned size, uint32_t v) override {
        if (listed)
            std::memcpy(ram + off, &v, size);
        else
            watch->mmio_write(off, size, v);
    }
};

// RAM seen through the MMIO path (--uncached): no host pointer for the page, so the interpreter
// runs its code through step() and every access takes the slow paths.
class RamWindow : public MmioHandler {
  public:
    explicit RamWindow(uint8_t* base) : base_(base) {}
    uint32_t mmio_read(uint64_t off, unsigned size) override {
        uint32_t v = 0;
        std::memcpy(&v, base_ + off, size);
        return v;
    }
    void mmio_write(uint64_t off, unsigned size, uint32_t v) override {
        std::memcpy(base_ + off, &v, size);
    }

  private:
    uint8_t* base_;
};

constexpr uint64_t kRamBytes = 2u << 20; // the corpus reaches 0x10FFEF
constexpr uint64_t kStepLimit = 2000;    // REP counts are below 128

struct Outcome {
    bool pass = false;
    bool pass_strict = false; // without the relaxation
    int vector = -1;          // first interrupt vector the emulator fetched
    bool compiled = false;    // --exec jit: the test's first block ran as compiled code
    std::string why;          // first mismatch, for --list
    std::string detail;       // --verbose
};

// Where a test ended, for comparing two engines: the CPU state with icount counted from the
// test's start, the test's pages, the stray writes and the delivered vector.
struct Final {
    CpuState s;
    uint32_t exit_reasons = 0;
    int vector = -1;
    std::vector<uint32_t> pages;
    std::vector<uint8_t> ram; // the pages, in order
    std::vector<StrayWatch::Write> writes;
};

// The difference between two engines' final states, or empty.
std::string compare_finals(const Final& a, const Final& b) {
    char buf[160];
    if (a.exit_reasons != b.exit_reasons) {
        std::snprintf(buf, sizeof buf, "exit reasons %x/%x", a.exit_reasons, b.exit_reasons);
        return buf;
    }
    if (a.vector != b.vector) {
        std::snprintf(buf, sizeof buf, "first vector %d/%d", a.vector, b.vector);
        return buf;
    }
    if (std::memcmp(&a.s, &b.s, sizeof a.s) != 0) {
        static const char* k32[] = {"eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"};
        for (unsigned g = 0; g < 8; ++g)
            if (a.s.gpr[g] != b.s.gpr[g]) {
                std::snprintf(buf, sizeof buf, "%s %08X/%08X", k32[g], a.s.gpr[g], b.s.gpr[g]);
                return buf;
            }
        if (a.s.eip != b.s.eip) {
            std::snprintf(buf, sizeof buf, "eip %08X/%08X", a.s.eip, b.s.eip);
            return buf;
        }
        if (read_eflags(a.s) != read_eflags(b.s)) {
            std::snprintf(buf, sizeof buf, "eflags %08X/%08X", read_eflags(a.s), read_eflags(b.s));
            return buf;
        }
        if (a.s.icount != b.s.icount) {
            std::snprintf(buf, sizeof buf, "instructions retired %llu/%llu",
                          (unsigned long long)a.s.icount, (unsigned long long)b.s.icount);
            return buf;
        }
        const auto* p = reinterpret_cast<const uint8_t*>(&a.s);
        const auto* q = reinterpret_cast<const uint8_t*>(&b.s);
        size_t k = 0;
        while (p[k] == q[k])
            ++k;
        std::snprintf(buf, sizeof buf, "CpuState byte %zu %02X/%02X", k, p[k], q[k]);
        return buf;
    }
    for (size_t k = 0; k < a.ram.size(); ++k)
        if (a.ram[k] != b.ram[k]) {
            std::snprintf(buf, sizeof buf, "mem[%06X] %02X/%02X",
                          unsigned(a.pages[k / kPageSize] * kPageSize + k % kPageSize), a.ram[k],
                          b.ram[k]);
            return buf;
        }
    if (a.writes.size() != b.writes.size()) {
        std::snprintf(buf, sizeof buf, "%zu/%zu stray writes", a.writes.size(), b.writes.size());
        return buf;
    }
    for (size_t k = 0; k < a.writes.size(); ++k) {
        const auto &x = a.writes[k], &y = b.writes[k];
        if (x.addr != y.addr || x.size != y.size || x.value != y.value) {
            std::snprintf(buf, sizeof buf,
                          "stray write %zu: %u bytes at %06X = %X / %u at %06X = %X", k, x.size,
                          x.addr, x.value, y.size, y.addr, y.value);
            return buf;
        }
    }
    return {};
}

// The JIT as the interpreter's code tier, watched: notes whether the block holding the test's
// instruction (the one starting at the test's CS:IP) was compiled before it ran.
class WatchedTier : public CodeTier {
  public:
    explicit WatchedTier(jit::JitTier& tier) : tier_(tier) {}
    uint64_t start_phys = ~0ull;
    bool start_compiled = false;
    void on_block(Block& b) override {
        tier_.on_block(b);
        if (b.phys == start_phys && b.jit && b.jit->fn.load(std::memory_order_acquire))
            start_compiled = true;
    }
    uint32_t threshold() const override { return tier_.threshold(); }

  private:
    jit::JitTier& tier_;
};

class Bench {
  public:
    // `tier`: run through the JIT (it must outlive the bench).
    explicit Bench(bool uncached, jit::JitTier* tier = nullptr) : uncached_(uncached) {
        mem_.map_mmio(0, kRamBytes, &watch_, "watch");
        watch_.cpu = &cpu_;
        ivt_.cpu = &cpu_;
        ivt_.ram = mem_.ram();
        ivt_.watch = &watch_;
        cpu_.mem = &mem_;
        cpu_.io = &io_; // no devices: every port reads all ones, writes are dropped
        cpu_reset(cpu_);
        interp_ = std::make_unique<Interpreter>(cpu_);
        if (tier) {
            watched_ = std::make_unique<WatchedTier>(*tier);
            interp_->set_code_tier(watched_.get());
        }
    }

    // Runs one test and checks it against the corpus; `fin`, if given, receives the final state.
    Outcome run(const FileInfo& f, const TestCase& t, const RuleResult& rr, bool verbose,
                Final* fin = nullptr);

  private:
    void map_pages(const std::set<uint32_t>& pages);
    void load(const TestCase& t);
    uint16_t reg(int r) const;

    bool uncached_;
    std::vector<std::unique_ptr<RamWindow>> windows_;
    PhysMap mem_{kRamBytes};
    IoPorts io_;
    StrayWatch watch_;
    IvtPage ivt_;
    Cpu cpu_;
    std::unique_ptr<WatchedTier> watched_;
    std::unique_ptr<Interpreter> interp_;
    Decoder decoder_;
};

void Bench::map_pages(const std::set<uint32_t>& pages) {
    mem_.unmap("test");
    windows_.clear();
    uint8_t* ram = mem_.ram();
    for (auto it = pages.begin(); it != pages.end();) {
        uint32_t first = *it, last = *it;
        for (++it; it != pages.end() && *it == last + 1; ++it)
            last = *it;
        uint64_t start = uint64_t(first) * kPageSize, size = uint64_t(last - first + 1) * kPageSize;
        if (uncached_) {
            windows_.push_back(std::make_unique<RamWindow>(ram + start));
            mem_.map_mmio(start, size, windows_.back().get(), "test");
        } else {
            mem_.map_memory(start, size, ram + start, ram + start, "test");
        }
    }
    mem_.unmap("ivt");
    mem_.map_mmio(0, kPageSize, &ivt_, "ivt");
    ivt_.listed = pages.count(0) != 0;
    ivt_.reads = 0;
    ivt_.first_vector = -1;
}

void Bench::load(const TestCase& t) {
    // Through the physical map, so that blocks decoded from these bytes by an earlier test are
    // dropped (self-modifying-code tracking), as any write by the guest or a DMA would.
    for (const auto& [a, b] : t.init_ram) {
        uint8_t byte = uint8_t(b);
        mem_.write_ram(a, &byte, 1);
    }
    cpu_reset(cpu_);
    CpuState& s = cpu_.s;
    s.a20 = 1;
    s.idtr = {0, 0x3ff};
    const int gpr_of[] = {AX, CX, DX, BX, SP, BP, SI, DI};
    for (unsigned g = 0; g < 8; ++g)
        s.gpr[g] = t.init[gpr_of[g]];
    const int seg_of[kNumSegs] = {ES_, CS_, SS_, DS_, -1, -1};
    for (unsigned i = 0; i < kNumSegs; ++i) {
        uint16_t sel = seg_of[i] >= 0 ? t.init[seg_of[i]] : 0;
        s.seg[i].selector = sel;
        s.seg[i].base = uint32_t(sel) << 4;
        s.seg[i].limit = 0xffff;
    }
    s.eip = t.init[IP];
    // LOADALL image: the 286 never held IOPL, NT or bit 15 in real mode (README step 2).
    write_eflags(s, t.init[FLAGS] & 0x0fff);
    cpu_.state_changed();
}

uint16_t Bench::reg(int r) const {
    const CpuState& s = cpu_.s;
    switch (r) {
    case AX: return uint16_t(s.gpr[EAX]);
    case BX: return uint16_t(s.gpr[EBX]);
    case CX: return uint16_t(s.gpr[ECX]);
    case DX: return uint16_t(s.gpr[EDX]);
    case SP: return uint16_t(s.gpr[ESP]);
    case BP: return uint16_t(s.gpr[EBP]);
    case SI: return uint16_t(s.gpr[ESI]);
    case DI: return uint16_t(s.gpr[EDI]);
    case CS_: return s.seg[CS].selector;
    case SS_: return s.seg[SS].selector;
    case DS_: return s.seg[DS].selector;
    case ES_: return s.seg[ES].selector;
    case IP: return uint16_t(s.eip);
    default: return uint16_t(read_eflags(s));
    }
}

std::string hex(uint32_t v, int w = 4) {
    char b[16];
    std::snprintf(b, sizeof b, "%0*X", w, v);
    return b;
}

std::string regs_line(const uint16_t* v) {
    std::string out;
    for (int r = 0; r < kNumRegs; ++r)
        out += std::string(kRegNames[r]) + "=" + hex(v[r]) + " ";
    return out;
}

Outcome Bench::run(const FileInfo& f, const TestCase& t, const RuleResult& rr, bool verbose,
                   Final* fin) {
    std::set<uint32_t> pages;
    for (const auto& [a, b] : t.init_ram)
        pages.insert(a >> 12);
    for (const auto& [a, b] : t.final_ram)
        pages.insert(a >> 12);
    map_pages(pages);
    watch_.writes.clear();
    load(t);
    if (watched_) {
        watched_->start_phys = (uint32_t(t.init[CS_]) << 4) + t.init[IP];
        watched_->start_compiled = false;
    }

    cpu_.exit_reasons = 0;
    cpu_.icount_limit = cpu_.s.icount + kStepLimit;
    uint64_t start = cpu_.s.icount;
    interp_->run();
    uint64_t steps = cpu_.s.icount - start;

    Outcome o;
    std::vector<std::string> diffs;
    bool strict_only = false; // a mismatch that the relaxation hides
    auto fail = [&](std::string msg) { diffs.push_back(std::move(msg)); };

    if (cpu_.exit_reasons & cpu_exit::TRIPLE_FAULT)
        fail("triple fault");
    else if (ivt_.reads >= IvtPage::kMaxReads)
        fail("stopped: interrupt/fault storm");
    else if (watch_.writes.size() >= StrayWatch::kMaxWrites)
        fail("stopped: runaway stray writes");
    else if (!(cpu_.exit_reasons & cpu_exit::HALTED))
        fail("no HLT within " + std::to_string(kStepLimit) + " steps");

    uint16_t mask = f.flags_mask & rr.relax;
    uint16_t got[kNumRegs], want[kNumRegs];
    for (int r = 0; r < kNumRegs; ++r) {
        got[r] = reg(r);
        want[r] = rr.expect[r] >= 0 ? uint16_t(rr.expect[r]) : t.expected(r);
        if (got[r] != t.expected(r) && r != FLAGS) strict_only = true;
        if (r == FLAGS) {
            if ((got[r] & mask) != (want[r] & mask))
                fail("flags " + hex(got[r]) + " != " + hex(want[r]) + " (mask " + hex(mask) + ")");
            else if ((got[r] & f.flags_mask) != (want[r] & f.flags_mask))
                strict_only = true;
        } else if (got[r] != want[r]) {
            fail(std::string(kRegNames[r]) + " " + hex(got[r]) + " != " + hex(want[r]));
        }
    }
    // 16-bit code leaves the upper halves of the registers alone (they start at 0).
    for (unsigned g = 0; g < 8; ++g)
        if (cpu_.s.gpr[g] >> 16)
            fail("gpr " + std::to_string(g) + " upper half " + hex(cpu_.s.gpr[g], 8));
    if (cpu_.s.eip >> 16) fail("eip upper half " + hex(cpu_.s.eip, 8));
    if (read_eflags(cpu_.s) >> 16) fail("eflags upper half " + hex(read_eflags(cpu_.s), 8));
    // Real mode: each base is the selector times 16.
    for (unsigned i = 0; i < 4; ++i)
        if (cpu_.s.seg[i].base != uint32_t(cpu_.s.seg[i].selector) << 4)
            fail("segment " + std::to_string(i) + " base " + hex(cpu_.s.seg[i].base, 6) +
                 " != selector << 4");

    // Memory: the expected image is zeros + initial bytes + final bytes, on every listed page.
    std::map<uint32_t, uint8_t> expect;
    for (const auto& [a, b] : t.init_ram)
        expect[a] = b;
    for (const auto& [a, b] : t.final_ram)
        expect[a] = b;
    std::map<uint32_t, uint8_t> byte_mask; // the FLAGS word an exception pushed (README step 8)
    if (t.exception >= 0) {
        uint32_t base = uint32_t(t.expected(SS_)) << 4;
        uint16_t off = uint16_t(t.expected(SP) + 4);
        byte_mask[base + off] = uint8_t(mask);
        byte_mask[base + uint16_t(off + 1)] = uint8_t(mask >> 8);
    }
    const uint8_t* ram = mem_.ram();
    uint8_t page[kPageSize];
    for (uint32_t p : pages) {
        uint32_t lo = p * kPageSize;
        std::memset(page, 0, sizeof page);
        for (auto e = expect.lower_bound(lo); e != expect.end() && e->first < lo + kPageSize; ++e)
            page[e->first - lo] = e->second;
        if (std::memcmp(page, ram + lo, kPageSize) == 0) continue;
        for (uint32_t k = 0; k < kPageSize; ++k) {
            uint8_t g = ram[lo + k], w = page[k];
            if (g == w) continue;
            auto m = byte_mask.find(lo + k);
            if (m != byte_mask.end() && (g & m->second) == (w & m->second)) continue;
            fail("mem[" + hex(lo + k, 6) + "] " + hex(g, 2) + " != " + hex(w, 2));
        }
    }
    for (const auto& w : watch_.writes)
        fail("stray write of " + std::to_string(w.size) + " bytes at " + hex(w.addr, 6) + " = " +
             hex(w.value, 2 * w.size));

    o.vector = ivt_.first_vector;
    o.compiled = watched_ && watched_->start_compiled;
    if (fin) {
        fin->s = cpu_.s;
        fin->s.icount = steps;
        fin->exit_reasons = cpu_.exit_reasons;
        fin->vector = ivt_.first_vector;
        fin->pages.assign(pages.begin(), pages.end());
        fin->ram.clear();
        for (uint32_t p : pages)
            fin->ram.insert(fin->ram.end(), ram + uint64_t(p) * kPageSize,
                            ram + uint64_t(p + 1) * kPageSize);
        fin->writes = watch_.writes;
    }
    o.pass = diffs.empty();
    o.pass_strict = o.pass && !strict_only;
    if (!o.pass) {
        o.why = diffs[0];
        if (diffs.size() > 1) o.why += " (+" + std::to_string(diffs.size() - 1) + " more)";
        Insn in;
        if (decoder_.decode(t.bytes.data(), t.bytes.size(), CodeMode::Real16, in) ==
            DecodeStatus::Invalid)
            o.why += " [decodes to #UD: no semantics bound]";
    }
    if (verbose) {
        std::string d;
        d += "  test " + f.name + " idx " + std::to_string(t.idx) + ": " + t.name + "  bytes";
        for (uint8_t b : t.bytes)
            d += " " + hex(b, 2);
        d += "\n  hash " + t.hash +
             (t.exception >= 0 ? "  exception " + std::to_string(t.exception) : std::string()) +
             "\n";
        d += "  initial:  " + regs_line(t.init) + "\n";
        d += "  expected: " + regs_line(want) + "\n";
        d += "  actual:   " + regs_line(got) + "\n";
        d += "  steps " + std::to_string(steps) + ", flags mask " + hex(mask) +
             ", decoded blocks " + std::to_string(interp_->blocks().size()) + "\n";
        d += "  initial ram:";
        for (const auto& [a, b] : t.init_ram)
            d += " " + hex(a, 6) + ":" + hex(b, 2);
        d += "\n  final ram:";
        for (const auto& [a, b] : t.final_ram)
            d += " " + hex(a, 6) + ":" + hex(b, 2);
        d += "\n";
        for (const auto& s : diffs)
            d += "  MISMATCH " + s + "\n";
        o.detail = d;
    }

    // Back to all zeros for the next test (through the map: see load()).
    static const uint8_t kZeros[kPageSize] = {};
    for (uint32_t p : pages)
        mem_.write_ram(uint64_t(p) * kPageSize, kZeros, kPageSize);
    return o;
}

// ---- driver ------------------------------------------------------------------------------------

struct Options {
    std::string dir = RR86_CONFORMANCE_DIR;
    std::vector<std::string> files;
    int64_t idx = -1;
    bool verbose = false, list = false, list_excluded = false, uncached = false;
    jit::ExecMode exec = jit::ExecMode::Interp;
    uint64_t shard = 0, shards = 1; // this run: records with ordinal % shards == shard
    std::string log = "conformance.log";
};

// Why a test's instruction did not run from a decoded block (so not as compiled code): the
// interpreter's step() path, which both engines share. Null: no such reason.
const char* step_reason(const TestCase& t, Decoder& decoder) {
    uint32_t start = (uint32_t(t.init[CS_]) << 4) + t.init[IP];
    Insn in;
    DecodeStatus st = decoder.decode(t.bytes.data(), t.bytes.size(), CodeMode::Real16, in);
    unsigned len = st == DecodeStatus::TooLong         ? 15
                   : st == DecodeStatus::NeedMoreBytes ? 1
                                                       : in.len;
    if (t.init[FLAGS] & fl::TF) return "TF set: single-stepped";
    if (start < kPageSize) return "code on page 0 (the IVT page, routed through MMIO)";
    if ((start & (kPageSize - 1)) + len > kPageSize) return "instruction crosses a page";
    if (uint32_t(t.init[IP]) + len > 0x10000) return "instruction crosses the CS limit";
    return nullptr;
}

bool load_index(const std::string& dir, std::vector<FileInfo>& out) {
    std::string text;
    FILE* fp = std::fopen((dir + "/index.json").c_str(), "rb");
    if (!fp) return false;
    char buf[1 << 16];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, fp)) > 0)
        text.append(buf, n);
    std::fclose(fp);
    Json j;
    if (!JsonParser(text.data(), text.data() + text.size()).parse(j)) return false;
    const Json* files = j.get("files");
    if (!files) return false;
    for (const Json& e : files->arr) {
        FileInfo f;
        if (const Json* v = e.get("name")) f.name = v->str;
        if (const Json* v = e.get("mnemonic")) f.mnemonic = v->str;
        if (const Json* v = e.get("status")) f.status = v->str;
        f.flags_mask = uint16_t(e.int_or("flags_mask", 0xffff));
        out.push_back(f);
    }
    return true;
}

int usage() {
    std::fprintf(stderr,
                 "usage: conformance_runner [--dir DIR] [--file NAME]... [--idx N] [--verbose] "
                 "[--list] [--list-excluded] [--uncached] [--exec interp|jit] [--shard K/N] "
                 "[--log PATH]\n"
                 "  --file NAME  run only this opcode file (repeatable; e.g. 00, F6.7)\n"
                 "  --idx N      run only the test with upstream index N\n"
                 "  --verbose    print the first failing test of each file in detail\n"
                 "  --list       print every failing test (file, idx, first mismatch)\n"
                 "  --list-excluded  print every excluded test, its rule, and how it fares\n"
                 "  --uncached   map the test's memory as MMIO: instructions run one at a time "
                 "(step()) and every access takes the slow path\n"
                 "  --exec jit   compile every block with the JIT before it runs; also run each "
                 "test on the interpreter and require the same final state\n"
                 "  --shard K/N  run only every Nth test record, starting with the Kth (1..N)\n");
    return 2;
}

} // namespace

int main(int argc, char** argv) {
    Options opt;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto next = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
        if (a == "--dir" || a == "--file" || a == "--log" || a == "--idx" || a == "--exec" ||
            a == "--shard") {
            const char* v = next();
            if (!v) return usage();
            if (a == "--exec") {
                auto m = jit::parse_exec_mode(v);
                if (!m || *m == jit::ExecMode::Tiered) return usage();
                opt.exec = *m;
            } else if (a == "--shard") {
                unsigned long long k = 0, n = 0;
                char tail = 0;
                if (std::sscanf(v, "%llu/%llu%c", &k, &n, &tail) != 2 || n == 0 || k == 0 || k > n)
                    return usage();
                opt.shard = k - 1;
                opt.shards = n;
            } else if (a == "--dir")
                opt.dir = v;
            else if (a == "--file")
                opt.files.push_back(v);
            else if (a == "--log")
                opt.log = v;
            else
                opt.idx = std::atoll(v);
        } else if (a == "--verbose" || a == "-v") {
            opt.verbose = true;
        } else if (a == "--list") {
            opt.list = true;
        } else if (a == "--uncached") {
            opt.uncached = true;
        } else if (a == "--list-excluded") {
            opt.list_excluded = true;
        } else {
            return usage();
        }
    }
    if (opt.uncached && opt.exec != jit::ExecMode::Interp) {
        std::fprintf(stderr, "conformance_runner: --uncached runs no blocks: nothing to compile\n");
        return 2;
    }
    bool jit_mode = opt.exec == jit::ExecMode::Jit;
    std::unique_ptr<jit::JitTier> tier;
    if (jit_mode) {
        jit::JitOptions jo;
        jo.mode = jit::ExecMode::Jit;
        std::string error;
        tier = jit::load_jit_tier(jo, error);
        if (!tier) {
            std::fprintf(stderr, "conformance_runner: %s\n", error.c_str());
            return 2;
        }
    }
    std::vector<FileInfo> index;
    if (!load_index(opt.dir, index)) {
        std::fprintf(stderr, "conformance_runner: cannot read %s/index.json\n", opt.dir.c_str());
        return 2;
    }
    FILE* log = std::fopen(opt.log.c_str(), "w");
    if (!log) {
        std::fprintf(stderr, "conformance_runner: cannot write %s\n", opt.log.c_str());
        return 2;
    }
    auto t0 = std::chrono::steady_clock::now();
    std::vector<Rule> rules(std::begin(g_rules_init), std::end(g_rules_init));
    Bench bench(opt.uncached, tier.get());
    std::unique_ptr<Bench> reference; // --exec jit: the interpreter, for the engine comparison
    if (jit_mode) reference = std::make_unique<Bench>(false);
    Final fin, ref_fin;
    Decoder decoder;
    uint64_t ordinal = 0, compiled = 0, engine_mismatches = 0, unexplained = 0;
    std::map<std::string, uint64_t> step_reasons;
    uint64_t total = 0, applicable = 0, passed = 0, excluded = 0;
    std::vector<std::string> failing_files;
    std::fprintf(log, "%-6s %-8s %9s %8s %8s  %s\n", "file", "mnemonic", "pass/appl", "rate",
                 "excluded", "first failure");
    for (const FileInfo& f : index) {
        if (!opt.files.empty() &&
            std::find(opt.files.begin(), opt.files.end(), f.name) == opt.files.end())
            continue;
        std::string data;
        if (!read_gz(opt.dir + "/" + f.name + ".jsonl.gz", data)) {
            std::fprintf(stderr, "conformance_runner: cannot read %s.jsonl.gz\n", f.name.c_str());
            return 2;
        }
        uint64_t f_appl = 0, f_pass = 0, f_excl = 0;
        std::string first_fail;
        bool shown = false;
        for (size_t pos = 0; pos < data.size();) {
            size_t eol = data.find('\n', pos);
            if (eol == std::string::npos) eol = data.size();
            const char* b = data.data() + pos;
            const char* e = data.data() + eol;
            pos = eol + 1;
            if (b == e) continue;
            if (ordinal++ % opt.shards != opt.shard) continue;
            TestCase t;
            if (!parse_test(b, e, t)) {
                std::fprintf(stderr, "conformance_runner: bad record in %s\n", f.name.c_str());
                return 2;
            }
            if (opt.idx >= 0 && t.idx != opt.idx) continue;
            ++total;
            RuleResult rr = classify(f, t);
            bool want_detail = opt.verbose && !shown;
            Outcome o = bench.run(f, t, rr, want_detail || opt.idx >= 0, jit_mode ? &fin : nullptr);
            if (jit_mode) {
                // The same test on the interpreter must end in the same state, whatever the
                // corpus says (undefined flags included); excluded tests too.
                reference->run(f, t, rr, false, &ref_fin);
                std::string d = compare_finals(fin, ref_fin);
                if (!d.empty()) {
                    ++engine_mismatches;
                    std::printf("ENGINES DIFFER %s idx %lld (%s): jit/interp %s\n", f.name.c_str(),
                                (long long)t.idx, t.name.c_str(), d.c_str());
                }
                if (o.compiled) {
                    ++compiled;
                } else if (const char* why = step_reason(t, decoder)) {
                    ++step_reasons[why];
                } else {
                    ++unexplained;
                    std::printf("NOT COMPILED %s idx %lld (%s): the instruction did not run as "
                                "compiled code\n",
                                f.name.c_str(), (long long)t.idx, t.name.c_str());
                }
            }
            if (rr.ss_candidate && o.vector == vec::SS) rr.exclusion = kSsOverrun;
            if (rr.exclusion >= 0) {
                Rule& rule = rules[size_t(rr.exclusion)];
                ++rule.matched;
                rule.needed += !o.pass;
                ++f_excl;
                if (opt.list_excluded)
                    std::printf("EXCLUDED %s idx %lld (%s) by %s: %s\n", f.name.c_str(),
                                (long long)t.idx, t.name.c_str(), rule.name,
                                o.pass ? "passes anyway" : o.why.c_str());
                continue;
            }
            if (rr.relax_rule >= 0) {
                Rule& rule = rules[size_t(rr.relax_rule)];
                ++rule.matched;
                rule.needed += o.pass && !o.pass_strict;
            }
            ++f_appl;
            if (o.pass) {
                ++f_pass;
                if (opt.idx >= 0) std::printf("%s", o.detail.c_str());
                continue;
            }
            if (first_fail.empty()) first_fail = "idx " + std::to_string(t.idx) + ": " + o.why;
            if (opt.list)
                std::printf("FAIL %s idx %lld (%s): %s\n", f.name.c_str(), (long long)t.idx,
                            t.name.c_str(), o.why.c_str());
            if (want_detail || opt.idx >= 0) {
                std::printf("%s", o.detail.c_str());
                shown = true;
            }
        }
        applicable += f_appl;
        passed += f_pass;
        excluded += f_excl;
        double rate = f_appl ? 100.0 * double(f_pass) / double(f_appl) : 100.0;
        std::fprintf(log, "%-6s %-8s %4llu/%-4llu %7.2f%% %8llu  %s\n", f.name.c_str(),
                     f.mnemonic.c_str(), (unsigned long long)f_pass, (unsigned long long)f_appl,
                     rate, (unsigned long long)f_excl, first_fail.c_str());
        if (f_pass != f_appl) {
            char line[256];
            std::snprintf(line, sizeof line, "%-6s %-8s %4llu/%-4llu %6.1f%%  %s", f.name.c_str(),
                          f.mnemonic.c_str(), (unsigned long long)f_pass,
                          (unsigned long long)f_appl, rate, first_fail.substr(0, 120).c_str());
            failing_files.push_back(line);
        }
    }
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

    std::printf(
        "80286 real-mode conformance (%s), %s%s\n", opt.dir.c_str(), jit::exec_mode_name(opt.exec),
        opt.shards > 1
            ? (", shard " + std::to_string(opt.shard + 1) + "/" + std::to_string(opt.shards))
                  .c_str()
            : "");
    if (!failing_files.empty()) {
        std::printf("files below 100%% (pass/applicable, first failure):\n");
        for (const auto& l : failing_files)
            std::printf("  %s\n", l.c_str());
    }
    std::printf("rules (matched tests; for exclusions: how many would fail, for relaxations: how "
                "many need it):\n");
    for (const Rule& r : rules)
        std::printf("  %-8s %-20s %5llu  (%llu)  %s\n", r.exclude ? "exclude" : "relax", r.name,
                    (unsigned long long)r.matched, (unsigned long long)r.needed, r.reason);
    std::printf("TOTAL %llu tests, %llu excluded, %llu/%llu applicable passed (%.2f%%) in %.2f s; "
                "per-file results in %s\n",
                (unsigned long long)total, (unsigned long long)excluded, (unsigned long long)passed,
                (unsigned long long)applicable,
                applicable ? 100.0 * double(passed) / double(applicable) : 100.0, secs,
                opt.log.c_str());
    std::fprintf(log, "TOTAL %llu/%llu applicable passed, %llu excluded\n",
                 (unsigned long long)passed, (unsigned long long)applicable,
                 (unsigned long long)excluded);
    bool ok = passed == applicable;
    if (jit_mode) {
        tier->drain();
        jit::JitStats st = tier->stats();
        std::printf("%s\n", tier->stats_line().c_str());
        std::printf("jit: %llu/%llu tests ran their instruction as compiled code\n",
                    (unsigned long long)compiled, (unsigned long long)total);
        for (const auto& [why, n] : step_reasons)
            std::printf("  %6llu  through the interpreter's step() path: %s\n",
                        (unsigned long long)n, why.c_str());
        if (unexplained)
            std::printf("  %6llu  not compiled, no reason (listed above as NOT COMPILED): FAIL\n",
                        (unsigned long long)unexplained);
        std::printf("jit: %llu tests whose final state differs from the interpreter's%s\n",
                    (unsigned long long)engine_mismatches,
                    engine_mismatches ? " (listed above as ENGINES DIFFER): FAIL" : "");
        if (st.failed)
            std::printf("jit: %llu blocks failed to compile and ran interpreted: FAIL\n",
                        (unsigned long long)st.failed);
        std::fprintf(log, "%s\n", tier->stats_line().c_str());
        ok = ok && !st.failed && !unexplained && !engine_mismatches && compiled > 0;
    }
    std::fclose(log);
    return ok ? 0 : 1;
}
