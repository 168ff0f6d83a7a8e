#include "jit/cpu_promotion.h"

#include <llvm/IR/Constants.h>
#include <llvm/IR/DerivedTypes.h>
#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/Instructions.h>
#include <llvm/IR/IntrinsicInst.h>
#include <llvm/IR/Metadata.h>
#include <llvm/IR/Module.h>

#include <algorithm>
#include <optional>
#include <unordered_map>

namespace rr86::jit {

namespace {

constexpr const char* kNotCpu = "rr86.not_cpu";
constexpr const char* kSameValue = "rr86.same_value";

// Where a pointer may point inside the Cpu: start offsets lo..hi (inclusive), or nowhere in it.
struct Offsets {
    bool outside = false;
    int64_t lo = 0, hi = 0;
};

// The Cpu offsets `v` may hold; nullopt when it may point anywhere (a pointer loaded from memory,
// pointer arithmetic the walk does not follow). A variable index into an array of the Cpu stays
// inside that array (the semantics index c.tlb[] and friends only within bounds).
std::optional<Offsets> offsets(const llvm::Value* v, const llvm::Value* cpu,
                               const llvm::DataLayout& dl, int depth = 0) {
    v = v->stripPointerCasts();
    if (v == cpu) return Offsets{};
    if (llvm::isa<llvm::AllocaInst>(v) || llvm::isa<llvm::GlobalVariable>(v) ||
        llvm::isa<llvm::IntToPtrInst>(v))
        return Offsets{true};
    if (depth > 8) return std::nullopt;
    auto join = [](std::optional<Offsets> a, std::optional<Offsets> b) -> std::optional<Offsets> {
        if (!a || !b) return std::nullopt;
        if (a->outside) return b;
        if (b->outside) return a;
        return Offsets{false, std::min(a->lo, b->lo), std::max(a->hi, b->hi)};
    };
    if (auto* sel = llvm::dyn_cast<llvm::SelectInst>(v))
        return join(offsets(sel->getTrueValue(), cpu, dl, depth + 1),
                    offsets(sel->getFalseValue(), cpu, dl, depth + 1));
    if (auto* phi = llvm::dyn_cast<llvm::PHINode>(v)) {
        std::optional<Offsets> r = Offsets{true};
        for (const llvm::Value* in : phi->incoming_values())
            r = join(r, offsets(in, cpu, dl, depth + 1));
        return r;
    }
    auto* gep = llvm::dyn_cast<llvm::GEPOperator>(v);
    if (!gep) return std::nullopt;
    std::optional<Offsets> base = offsets(gep->getPointerOperand(), cpu, dl, depth + 1);
    if (!base || base->outside) return base;
    Offsets r = *base;
    llvm::Type* t = gep->getSourceElementType();
    for (unsigned k = 1; k < gep->getNumOperands(); ++k) {
        const llvm::Value* idx = gep->getOperand(k);
        auto* c = llvm::dyn_cast<llvm::ConstantInt>(idx);
        if (auto* st = llvm::dyn_cast<llvm::StructType>(t); st && k > 1) {
            unsigned field = unsigned(c->getZExtValue());
            int64_t off = int64_t(dl.getStructLayout(st)->getElementOffset(field));
            r.lo += off;
            r.hi += off;
            t = st->getElementType(field);
            continue;
        }
        llvm::Type* elem = k == 1 ? t : nullptr;
        uint64_t count = 0;
        if (auto* at = llvm::dyn_cast<llvm::ArrayType>(t); at && k > 1) {
            elem = at->getElementType();
            count = at->getNumElements();
        }
        if (!elem) return std::nullopt;
        int64_t stride = int64_t(dl.getTypeAllocSize(elem));
        if (c) {
            r.lo += c->getSExtValue() * stride;
            r.hi += c->getSExtValue() * stride;
        } else if (count > 0) {
            r.hi += int64_t(count - 1) * stride;
        } else {
            return std::nullopt; // variable pointer arithmetic
        }
        if (k > 1) t = elem;
    }
    return r;
}

// A byte range of the Cpu, [lo, hi).
struct Span {
    int64_t lo, hi;
    bool overlaps(const Span& o) const { return lo < o.hi && o.lo < hi; }
};
constexpr Span kWholeCpu{INT64_MIN / 2, INT64_MAX / 2};

// What an instruction does to the Cpu.
struct Effect {
    enum Kind { None, Promotable, Sync } kind = None;
    Span span{0, 0};
    bool writes = false;
    const CalleeRule* narrow = nullptr; // a call that follows this rule
};

class Promoter {
  public:
    Promoter(llvm::Function& fn, const PromotionRules& rules)
        : fn_(fn), cpu_(fn.getArg(0)), dl_(fn.getParent()->getDataLayout()), rules_(rules) {}

    void run() {
        unify_returns();
        std::vector<std::pair<llvm::Instruction*, Effect>> effects;
        for (llvm::BasicBlock& bb : fn_)
            for (llvm::Instruction& in : bb)
                if (Effect e = effect(in); e.kind != Effect::None) effects.emplace_back(&in, e);
        make_slots(effects);
        if (slots_.empty()) return;
        for (auto& [in, e] : effects)
            if (e.kind == Effect::Promotable && e.writes && !in->getMetadata(kSameValue))
                slot_of(e.span).written = true;
        init_slots();
        for (auto& [in, e] : effects) {
            if (e.kind == Effect::Promotable) {
                redirect(*in, e.span);
                continue;
            }
            llvm::IRBuilder<> b(in);
            const CpuRange* skip = e.narrow ? &e.narrow->unread : nullptr;
            spill(b, e.span,
                  skip ? Span{int64_t(skip->offset), int64_t(skip->offset + skip->size)}
                       : Span{0, 0});
            if (!e.writes) continue;
            b.SetInsertPoint(in->getNextNode());
            if (!e.narrow) {
                reload(b, e.span);
                continue;
            }
            for (const CpuRange& r : e.narrow->writes)
                reload(b, Span{int64_t(r.offset), int64_t(r.offset + r.size)});
        }
        llvm::IRBuilder<> b(ret_);
        spill(b, kWholeCpu);
    }

  private:
    struct Slot {
        Span span;
        llvm::AllocaInst* copy = nullptr;
        bool written = false;
    };

    // One return, so that the write-back on the way out exists once.
    void unify_returns() {
        std::vector<llvm::ReturnInst*> rets;
        for (llvm::BasicBlock& bb : fn_)
            if (auto* r = llvm::dyn_cast<llvm::ReturnInst>(bb.getTerminator())) rets.push_back(r);
        llvm::LLVMContext& ctx = fn_.getContext();
        auto* exit = llvm::BasicBlock::Create(ctx, "return", &fn_);
        auto* value =
            llvm::PHINode::Create(fn_.getReturnType(), unsigned(rets.size()), "ret", exit);
        ret_ = llvm::ReturnInst::Create(ctx, value, exit);
        for (llvm::ReturnInst* r : rets) {
            value->addIncoming(r->getReturnValue(), r->getParent());
            llvm::BranchInst::Create(exit, r->getParent());
            r->eraseFromParent();
        }
    }

    Effect access(const llvm::Value* ptr, uint64_t size, bool writes, bool simple) {
        std::optional<Offsets> o = offsets(ptr, cpu_, dl_);
        if (o && o->outside) return {};
        if (!o) return {Effect::Sync, kWholeCpu, writes};
        Span s{o->lo, o->hi + int64_t(size)};
        bool exact = o->lo == o->hi && o->lo >= 0;
        return {exact && simple ? Effect::Promotable : Effect::Sync, s, writes};
    }

    Effect effect(llvm::Instruction& in) {
        if (in.getMetadata(kNotCpu)) return {};
        if (auto* ld = llvm::dyn_cast<llvm::LoadInst>(&in))
            return access(ld->getPointerOperand(), dl_.getTypeStoreSize(ld->getType()), false,
                          ld->isSimple());
        if (auto* st = llvm::dyn_cast<llvm::StoreInst>(&in))
            return access(st->getPointerOperand(),
                          dl_.getTypeStoreSize(st->getValueOperand()->getType()), true,
                          st->isSimple());
        if (llvm::isa<llvm::AtomicRMWInst>(in) || llvm::isa<llvm::AtomicCmpXchgInst>(in) ||
            llvm::isa<llvm::FenceInst>(in))
            return {Effect::Sync, kWholeCpu, true};
        auto* cb = llvm::dyn_cast<llvm::CallBase>(&in);
        if (!cb || !cb->mayReadOrWriteMemory() || llvm::isa<llvm::AssumeInst>(cb)) return {};
        if (!llvm::isa<llvm::IntrinsicInst>(cb) || !cb->onlyAccessesArgMemory())
            return {Effect::Sync, kWholeCpu, true, narrow_rule(*cb)};
        // An intrinsic reaching memory only through its pointer arguments (memcpy, memset, ...).
        Effect e;
        for (const llvm::Use& arg : cb->args()) {
            if (!arg->getType()->isPointerTy()) continue;
            std::optional<Offsets> o = offsets(arg.get(), cpu_, dl_);
            if (o && o->outside) continue;
            e = {Effect::Sync, kWholeCpu, true};
        }
        return e;
    }

    const CalleeRule* narrow_rule(const llvm::CallBase& cb) const {
        for (const CalleeRule& r : rules_.narrow)
            if (calls_one_of(cb, r.names)) return &r;
        return nullptr;
    }

    // Promotable accesses that overlap share one slot.
    void make_slots(const std::vector<std::pair<llvm::Instruction*, Effect>>& effects) {
        std::vector<Span> spans;
        for (auto& [in, e] : effects)
            if (e.kind == Effect::Promotable) spans.push_back(e.span);
        std::sort(spans.begin(), spans.end(),
                  [](const Span& a, const Span& b) { return a.lo < b.lo; });
        for (const Span& s : spans) {
            if (!slots_.empty() && s.lo < slots_.back().span.hi)
                slots_.back().span.hi = std::max(slots_.back().span.hi, s.hi);
            else
                slots_.push_back({s});
        }
    }

    Slot& slot_of(const Span& s) {
        auto it = std::upper_bound(slots_.begin(), slots_.end(), s.lo,
                                   [](int64_t lo, const Slot& x) { return lo < x.span.lo; });
        return *(it - 1);
    }

    bool zero_on_entry(const Span& s) const {
        for (const CpuRange& z : rules_.zero_on_entry)
            if (int64_t(z.offset) <= s.lo && s.hi <= int64_t(z.offset + z.size)) return true;
        return false;
    }

    llvm::Value* cpu_at(llvm::IRBuilder<>& b, int64_t off) {
        return b.CreateConstInBoundsGEP1_64(b.getInt8Ty(), cpu_, uint64_t(off));
    }

    void init_slots() {
        llvm::BasicBlock& entry = fn_.getEntryBlock();
        llvm::IRBuilder<> b(&entry, entry.begin());
        for (Slot& s : slots_) {
            uint64_t size = uint64_t(s.span.hi - s.span.lo);
            s.copy = b.CreateAlloca(llvm::ArrayType::get(b.getInt8Ty(), size));
            s.copy->setAlignment(llvm::Align(8));
        }
        for (Slot& s : slots_) {
            uint64_t size = uint64_t(s.span.hi - s.span.lo);
            if (zero_on_entry(s.span))
                b.CreateMemSet(s.copy, b.getInt8(0), size, llvm::Align(8));
            else
                b.CreateMemCpy(s.copy, llvm::Align(8), cpu_at(b, s.span.lo), llvm::Align(1), size);
        }
    }

    void redirect(llvm::Instruction& in, const Span& span) {
        Slot& s = slot_of(span);
        llvm::IRBuilder<> b(&in);
        llvm::Value* p =
            b.CreateConstInBoundsGEP1_64(b.getInt8Ty(), s.copy, uint64_t(span.lo - s.span.lo));
        if (auto* ld = llvm::dyn_cast<llvm::LoadInst>(&in)) {
            ld->setOperand(ld->getPointerOperandIndex(), p);
            ld->setAlignment(llvm::Align(1));
        } else {
            auto* st = llvm::cast<llvm::StoreInst>(&in);
            st->setOperand(st->getPointerOperandIndex(), p);
            st->setAlignment(llvm::Align(1));
        }
    }

    // Writes back the copies overlapping `span`, except those inside `skip`.
    void spill(llvm::IRBuilder<>& b, const Span& span, const Span& skip = {0, 0}) {
        for (Slot& s : slots_)
            if (s.written && s.span.overlaps(span) &&
                !(skip.lo <= s.span.lo && s.span.hi <= skip.hi))
                b.CreateMemCpy(cpu_at(b, s.span.lo), llvm::Align(1), s.copy, llvm::Align(8),
                               uint64_t(s.span.hi - s.span.lo));
    }

    void reload(llvm::IRBuilder<>& b, const Span& span) {
        for (Slot& s : slots_)
            if (s.span.overlaps(span))
                b.CreateMemCpy(s.copy, llvm::Align(8), cpu_at(b, s.span.lo), llvm::Align(1),
                               uint64_t(s.span.hi - s.span.lo));
    }

    llvm::Function& fn_;
    llvm::Value* cpu_;
    const llvm::DataLayout& dl_;
    const PromotionRules& rules_;
    std::vector<Slot> slots_; // sorted, disjoint
    llvm::ReturnInst* ret_ = nullptr;
};

} // namespace

void promote_cpu_fields(llvm::Function& fn, const PromotionRules& rules) {
    Promoter(fn, rules).run();
}

std::vector<CpuRange> all_but(std::vector<CpuRange> keep, uint64_t size) {
    std::sort(keep.begin(), keep.end(),
              [](const CpuRange& a, const CpuRange& b) { return a.offset < b.offset; });
    std::vector<CpuRange> out;
    uint64_t at = 0;
    for (const CpuRange& k : keep) {
        if (k.offset > at) out.push_back({at, k.offset - at});
        at = std::max(at, k.offset + k.size);
    }
    if (at < size) out.push_back({at, size - at});
    return out;
}

bool calls_one_of(const llvm::CallBase& c, const std::vector<std::string>& names) {
    const llvm::Function* f = c.getCalledFunction();
    if (!f) return false;
    for (const std::string& n : names)
        if (f->getName().contains(n)) return true;
    return false;
}

void mark_same_value(llvm::StoreInst& store) {
    store.setMetadata(kSameValue, llvm::MDNode::get(store.getContext(), {}));
}

void mark_not_cpu(llvm::Instruction& access) {
    access.setMetadata(kNotCpu, llvm::MDNode::get(access.getContext(), {}));
}

} // namespace rr86::jit
