#include "jit/block_translator.h"

#include "engine/cpu/cpu.h"
#include "engine/cpu/exceptions.h"
#include "jit/bitcode_module.h"
#include "jit/cpu_promotion.h"
#include "jit/flag_passes.h"

#include <llvm/Analysis/ValueTracking.h>
#include <llvm/IR/Constants.h>
#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/IntrinsicInst.h>
#include <llvm/IR/MDBuilder.h>
#include <llvm/IR/Module.h>
#include <llvm/IR/PatternMatch.h>
#include <llvm/IR/Verifier.h>
#include <llvm/Passes/PassBuilder.h>
#include <llvm/Support/KnownBits.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/Transforms/IPO/GlobalDCE.h>
#include <llvm/Transforms/InstCombine/InstCombine.h>
#include <llvm/Transforms/Scalar/DeadStoreElimination.h>
#include <llvm/Transforms/Scalar/EarlyCSE.h>
#include <llvm/Transforms/Scalar/SROA.h>
#include <llvm/Transforms/Scalar/SimplifyCFG.h>
#include <llvm/Transforms/Scalar/Sink.h>
#include <llvm/Transforms/Utils/Cloning.h>
#include <llvm/Transforms/Utils/Local.h>
#include <llvm/Transforms/Utils/ValueMapper.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <optional>
#include <unordered_map>
#include <unordered_set>

namespace rr86::jit {

extern "C" void rr86_jit_deliver_fault(Cpu* c) {
    deliver_pending_fault(*c);
    ++c->s.icount; // a fault costs one icount (Interpreter::deliver_fault)
}

namespace {

// Cpu field offsets the block function touches itself (the semantics reach the rest).
constexpr size_t kEip = offsetof(Cpu, s) + offsetof(CpuState, eip);
constexpr size_t kIcount = offsetof(Cpu, s) + offsetof(CpuState, icount);
constexpr size_t kCsAttr =
    offsetof(Cpu, s) + offsetof(CpuState, seg) + CS * sizeof(Segment) + offsetof(Segment, attr);
constexpr size_t kInsnEip = offsetof(Cpu, insn_eip);
constexpr size_t kFaultActive = offsetof(Cpu, fault) + offsetof(PendingFault, active);
constexpr size_t kEndBlock = offsetof(Cpu, end_block);
constexpr size_t kAsyncPoll = offsetof(Cpu, async_poll);
constexpr size_t kIcountLimit = offsetof(Cpu, icount_limit);
constexpr size_t kExitReasons = offsetof(Cpu, exit_reasons);
constexpr size_t kIntr = offsetof(Cpu, intr);
constexpr size_t kNmiPending = offsetof(Cpu, nmi_pending);
constexpr size_t kIntrShadow = offsetof(Cpu, s) + offsetof(CpuState, intr_shadow);
constexpr size_t kEflags = offsetof(Cpu, s) + offsetof(CpuState, eflags);
constexpr size_t kHostKick = offsetof(Cpu, host_kick);
constexpr size_t kTlbEpoch = offsetof(Cpu, tlb_epoch);
constexpr size_t kCsBase =
    offsetof(Cpu, s) + offsetof(CpuState, seg) + CS * sizeof(Segment) + offsetof(Segment, base);
constexpr size_t kCsLimit =
    offsetof(Cpu, s) + offsetof(CpuState, seg) + CS * sizeof(Segment) + offsetof(Segment, limit);

// Every global `f` needs (callees, constants, and the declarations they refer to), so that only
// those are copied into a block's module.
void collect(const llvm::GlobalValue* gv, std::unordered_set<const llvm::GlobalValue*>& keep,
             std::unordered_set<const llvm::Constant*>& seen);

void collect_value(const llvm::Value* v, std::unordered_set<const llvm::GlobalValue*>& keep,
                   std::unordered_set<const llvm::Constant*>& seen) {
    if (auto* gv = llvm::dyn_cast<llvm::GlobalValue>(v)) return collect(gv, keep, seen);
    auto* c = llvm::dyn_cast<llvm::Constant>(v);
    if (!c || !seen.insert(c).second) return;
    for (const llvm::Use& op : c->operands())
        collect_value(op.get(), keep, seen);
}

// Semantics mark the slow paths compiled code should call rather than inline [[gnu::noinline]]
// (str_rep_loop): their bodies are not copied, and the call resolves to the executable's own
// instantiation (exported by -rdynamic, like the engine's other functions).
bool out_of_line(const llvm::GlobalValue* gv) {
    auto* f = llvm::dyn_cast<llvm::Function>(gv);
    return f && f->hasFnAttribute(llvm::Attribute::NoInline);
}

void collect(const llvm::GlobalValue* gv, std::unordered_set<const llvm::GlobalValue*>& keep,
             std::unordered_set<const llvm::Constant*>& seen) {
    if (!keep.insert(gv).second || out_of_line(gv) || !BitcodeModule::materialize(gv)) return;
    if (auto* var = llvm::dyn_cast<llvm::GlobalVariable>(gv)) {
        collect_value(var->getInitializer(), keep, seen);
    } else if (auto* f = llvm::dyn_cast<llvm::Function>(gv)) {
        for (const llvm::BasicBlock& bb : *f)
            for (const llvm::Instruction& in : bb)
                for (const llvm::Use& op : in.operands())
                    collect_value(op.get(), keep, seen);
    } else if (auto* a = llvm::dyn_cast<llvm::GlobalAlias>(gv)) {
        collect_value(a->getAliasee(), keep, seen);
    }
}

} // namespace

// What inlining a handler brings along, or null when the handler is called natively instead:
// no IR for it, or so much IR (far transfers, task and descriptor work, string instructions)
// that compiling it would cost more than a call saves. The hot instructions of guest loops
// (moves, arithmetic, branches, stack) are small.
const BlockTranslator::Closure* BlockTranslator::closure(Handler h) {
    auto it = closures_.find(h);
    if (it != closures_.end()) return it->second.fn ? &it->second : nullptr;
    Closure& cl = closures_[h];
    const llvm::Function* f = bc_.handler(h);
    if (!f) return nullptr;
    std::unordered_set<const llvm::GlobalValue*> keep;
    std::unordered_set<const llvm::Constant*> seen;
    collect(f, keep, seen);
    size_t size = 0;
    for (const llvm::GlobalValue* gv : keep)
        if (auto* g = llvm::dyn_cast<llvm::Function>(gv); g && !out_of_line(g))
            size += g->getInstructionCount();
    if (size > kMaxInlineIr) return nullptr;
    cl.fn = f;
    cl.globals.assign(keep.begin(), keep.end());
    return &cl;
}

namespace {

// A module holding copies of `keep` only. llvm::CloneModule would also declare every other
// function of the semantics module (thousands), which cost ~2 ms a block.
std::unique_ptr<llvm::Module> clone_subset(const llvm::Module& src,
                                           const std::unordered_set<const llvm::GlobalValue*>& keep,
                                           const std::string& name, llvm::ValueToValueMapTy& vmap) {
    auto m = std::make_unique<llvm::Module>(name, src.getContext());
    m->setDataLayout(src.getDataLayout());
    m->setTargetTriple(src.getTargetTriple());
    std::vector<const llvm::GlobalAlias*> aliases;
    for (const llvm::GlobalValue* gv : keep) {
        if (auto* f = llvm::dyn_cast<llvm::Function>(gv)) {
            auto* nf = llvm::Function::Create(f->getFunctionType(),
                                              out_of_line(f) ? llvm::GlobalValue::ExternalLinkage
                                                             : f->getLinkage(),
                                              f->getAddressSpace(), f->getName(), m.get());
            nf->copyAttributesFrom(f);
            vmap[f] = nf;
        } else if (auto* v = llvm::dyn_cast<llvm::GlobalVariable>(gv)) {
            auto* nv = new llvm::GlobalVariable(
                *m, v->getValueType(), v->isConstant(), v->getLinkage(), nullptr, v->getName(),
                nullptr, v->getThreadLocalMode(), v->getType()->getAddressSpace());
            nv->copyAttributesFrom(v);
            vmap[v] = nv;
        } else if (auto* a = llvm::dyn_cast<llvm::GlobalAlias>(gv)) {
            aliases.push_back(a);
        }
    }
    // An alias stands for its target's copy (pointers are opaque: no cast needed).
    for (const llvm::GlobalAlias* a : aliases)
        if (auto it = vmap.find(a->getAliaseeObject()); it != vmap.end()) vmap[a] = it->second;
    for (const llvm::GlobalValue* gv : keep) {
        if (gv->isDeclaration() || out_of_line(gv)) continue;
        if (auto* f = llvm::dyn_cast<llvm::Function>(gv)) {
            auto* nf = llvm::cast<llvm::Function>(vmap[f]);
            auto arg = nf->arg_begin();
            for (const llvm::Argument& a : f->args())
                vmap[&a] = &*arg++;
            llvm::SmallVector<llvm::ReturnInst*, 8> returns;
            llvm::CloneFunctionInto(nf, f, vmap, llvm::CloneFunctionChangeType::DifferentModule,
                                    returns);
        } else if (auto* v = llvm::dyn_cast<llvm::GlobalVariable>(gv)) {
            llvm::cast<llvm::GlobalVariable>(vmap[v])->setInitializer(
                llvm::MapValue(v->getInitializer(), vmap));
        }
    }
    return m;
}

} // namespace

namespace {

// The out-of-line paths of the memory intrinsics (engine/cpu/intrinsics.h).
const std::vector<std::string> kTlbReadMissPaths = {"read_linear_slow", "read_linear64_slow"};
const std::vector<std::string> kTlbMissPaths = {"read_linear_slow", "read_linear64_slow",
                                                "write_linear_slow"};

// The places in one instruction's inlined code (`region`) where it takes a slow path: a TLB-miss
// call or a raised fault (the first store to Cpu::fault). Those that run before the instruction
// did anything (no store other than the translator's own `markers` and locals' and no other
// call can run between the instruction's start and them) can leave the block instead: the
// interpreter runs the instruction again from its start and takes the slow path itself.
std::vector<llvm::Instruction*> restartable(const std::vector<llvm::BasicBlock*>& region,
                                            const std::unordered_set<llvm::Instruction*>& markers,
                                            const llvm::Value* cpu, const llvm::DataLayout& dl) {
    auto is_site = [&](const llvm::Instruction& x) {
        if (auto* c = llvm::dyn_cast<llvm::CallBase>(&x)) return calls_one_of(*c, kTlbMissPaths);
        auto* st = llvm::dyn_cast<llvm::StoreInst>(&x);
        int64_t off = 0;
        return st &&
               llvm::GetPointerBaseWithConstantOffset(st->getPointerOperand(), off, dl) == cpu &&
               off >= int64_t(offsetof(Cpu, fault)) &&
               off < int64_t(offsetof(Cpu, fault) + sizeof(PendingFault));
    };
    auto commits = [&](const llvm::Instruction& x) {
        if (markers.count(const_cast<llvm::Instruction*>(&x))) return false;
        auto local = [](const llvm::Value* p) {
            return llvm::isa<llvm::AllocaInst>(llvm::getUnderlyingObject(p));
        };
        if (auto* st = llvm::dyn_cast<llvm::StoreInst>(&x)) return !local(st->getPointerOperand());
        if (auto* mi = llvm::dyn_cast<llvm::MemIntrinsic>(&x)) return !local(mi->getDest());
        if (llvm::isa<llvm::IntrinsicInst>(x)) return false; // lifetime markers, arithmetic
        if (auto* c = llvm::dyn_cast<llvm::CallBase>(&x))
            return !calls_one_of(*c, kTlbReadMissPaths);
        return x.mayWriteToMemory();
    };
    std::unordered_set<const llvm::BasicBlock*> in_region(region.begin(), region.end());
    // Blocks some path from the instruction's start reaches after a commit.
    std::unordered_set<const llvm::BasicBlock*> dirty;
    std::vector<const llvm::BasicBlock*> work;
    auto taint_successors = [&](const llvm::BasicBlock* bb) {
        for (const llvm::BasicBlock* succ : llvm::successors(bb))
            if (in_region.count(succ) && dirty.insert(succ).second) work.push_back(succ);
    };
    for (const llvm::BasicBlock* bb : region)
        if (std::any_of(bb->begin(), bb->end(), commits)) taint_successors(bb);
    while (!work.empty()) {
        const llvm::BasicBlock* bb = work.back();
        work.pop_back();
        taint_successors(bb);
    }
    std::vector<llvm::Instruction*> sites;
    for (llvm::BasicBlock* bb : region) {
        if (dirty.count(bb)) continue;
        for (llvm::Instruction& x : *bb) {
            if (is_site(x)) {
                sites.push_back(&x);
                break; // the rest of the block goes with it
            }
            if (commits(x)) break;
        }
    }
    return sites;
}

} // namespace

// Checks that the segments a region's code was specialised for are still flat, and stores of
// their flat values once they are, for the segments the code turns out to use: check() and
// assume() emit placeholders, materialise() replaces them once every instruction is inlined.
class FlatSegments {
  public:
    FlatSegments(llvm::Module& m, uint8_t segs) : segs_(segs) {
        llvm::LLVMContext& ctx = m.getContext();
        check_ = llvm::Function::Create(llvm::FunctionType::get(llvm::Type::getInt1Ty(ctx), false),
                                        llvm::GlobalValue::ExternalLinkage, "rr86.flat_check", m);
        assume_ = llvm::Function::Create(llvm::FunctionType::get(llvm::Type::getVoidTy(ctx), false),
                                         llvm::GlobalValue::ExternalLinkage, "rr86.flat_assume", m);
    }
    llvm::Value* check(llvm::IRBuilder<>& b) {
        return segs_ ? static_cast<llvm::Value*>(b.CreateCall(check_)) : b.getTrue();
    }
    void assume(llvm::IRBuilder<>& b) {
        if (segs_) b.CreateCall(assume_);
    }
    void materialise(llvm::Function& fn) {
        const llvm::DataLayout& dl = fn.getParent()->getDataLayout();
        uint8_t used = 0;
        for (llvm::BasicBlock& bb : fn)
            for (llvm::Instruction& in : bb)
                if (auto* ld = llvm::dyn_cast<llvm::LoadInst>(&in)) used |= segment_of(*ld, dl);
        used &= segs_;
        std::vector<llvm::CallInst*> calls;
        for (llvm::Function* f : {check_, assume_})
            for (llvm::User* u : f->users())
                calls.push_back(llvm::cast<llvm::CallInst>(u));
        for (llvm::CallInst* call : calls) {
            llvm::IRBuilder<> b(call);
            llvm::Value* ok = b.getTrue();
            for (auto [off, value] : fields(b, used)) {
                llvm::Value* at = b.CreateConstInBoundsGEP1_64(b.getInt8Ty(), fn.getArg(0), off);
                if (call->getCalledFunction() == assume_)
                    mark_same_value(*b.CreateStore(value, at));
                else
                    ok = b.CreateAnd(ok, b.CreateICmpEQ(b.CreateLoad(value->getType(), at), value));
            }
            if (call->getCalledFunction() == check_) call->replaceAllUsesWith(ok);
            call->eraseFromParent();
        }
        check_->eraseFromParent();
        assume_->eraseFromParent();
    }

  private:
    static size_t seg_at(unsigned i) {
        return offsetof(Cpu, s) + offsetof(CpuState, seg) + i * sizeof(Segment);
    }
    static size_t segc_at(unsigned i) { return offsetof(Cpu, segc) + i * sizeof(SegCheck); }
    // The segment whose base, limit or checks `ld` reads, as a bit (0: none).
    static uint8_t segment_of(const llvm::LoadInst& ld, const llvm::DataLayout& dl) {
        int64_t off = 0;
        const llvm::Value* base =
            llvm::GetPointerBaseWithConstantOffset(ld.getPointerOperand(), off, dl);
        if (!base || !llvm::isa<llvm::Argument>(base)) return 0;
        for (unsigned i = 0; i < kNumSegs; ++i) {
            bool seg = off >= int64_t(seg_at(i)) && off < int64_t(seg_at(i) + sizeof(Segment));
            bool segc = off >= int64_t(segc_at(i)) && off < int64_t(segc_at(i) + sizeof(SegCheck));
            if (seg || segc) return uint8_t(1u << i);
        }
        return 0;
    }
    // Flat values (flat_segments()): base 0 and limit 4 GiB - 1 (CS); base 0, offsets 0..4 GiB - 1,
    // readable and writable (data), SegCheck::flat. Adjacent fields are compared as one.
    static std::vector<std::pair<size_t, llvm::Constant*>> fields(llvm::IRBuilder<>& b,
                                                                  uint8_t segs) {
        static_assert(offsetof(Segment, limit) == offsetof(Segment, base) + 4 &&
                      offsetof(SegCheck, hi) == offsetof(SegCheck, lo) + 4 &&
                      offsetof(SegCheck, writable) == offsetof(SegCheck, readable) + 1 &&
                      offsetof(SegCheck, flat) == offsetof(SegCheck, writable) + 1);
        std::vector<std::pair<size_t, llvm::Constant*>> f;
        for (unsigned i = 0; i < kNumSegs; ++i) {
            if (!(segs >> i & 1)) continue;
            if (i == CS) {
                f.emplace_back(seg_at(i) + offsetof(Segment, base),
                               b.getInt64(uint64_t(kFlatLimit) << 32));
                continue;
            }
            f.emplace_back(seg_at(i) + offsetof(Segment, base), b.getInt32(0));
            f.emplace_back(segc_at(i) + offsetof(SegCheck, lo),
                           b.getInt64(uint64_t(kFlatData.hi) << 32 | kFlatData.lo));
            f.emplace_back(segc_at(i) + offsetof(SegCheck, readable),
                           b.getInt16(uint16_t(kFlatData.writable) << 8 | kFlatData.readable));
            f.emplace_back(segc_at(i) + offsetof(SegCheck, flat), b.getInt8(kFlatData.flat));
        }
        return f;
    }
    uint8_t segs_;
    llvm::Function *check_, *assume_;
};

Region region_of(const Block& head) {
    Region r{{}, head.mode, head.flat_segs, std::nullopt};
    if (!head.region.empty()) r.head_eip = head.region_eip;
    for (const Block* m : head.region) {
        r.members.push_back({int32_t(m->start - head.start), m->insns, {}});
        for (const Block::Successor& s : m->next) {
            auto it = std::find(head.region.begin(), head.region.end(), s.block);
            uint8_t j = uint8_t(it - head.region.begin());
            std::vector<uint8_t>& next = r.members.back().next;
            if (it != head.region.end() && std::find(next.begin(), next.end(), j) == next.end())
                next.push_back(j);
        }
    }
    if (r.members.empty()) r.members.push_back({0, head.insns, {}});
    return r;
}

std::unique_ptr<llvm::Module>
BlockTranslator::translate(const Region& region, const std::string& name, TranslateInfo& info) {
    const std::vector<RegionMember>& blocks = region.members;
    CodeMode mode = region.mode;
    std::vector<Insn> all; // every member's instructions, one after the other
    for (const RegionMember& mb : blocks)
        all.insert(all.end(), mb.insns.begin(), mb.insns.end());
    std::vector<const llvm::Function*> sem(all.size());
    std::unordered_set<const llvm::GlobalValue*> keep;
    for (size_t k = 0; k < all.size(); ++k) {
        const Closure* cl = closure(all[k].fn);
        sem[k] = cl ? cl->fn : nullptr;
        if (cl) keep.insert(cl->globals.begin(), cl->globals.end());
        ++(sem[k] ? info.inlined : info.native);
    }
    llvm::ValueToValueMapTy vmap;
    std::unique_ptr<llvm::Module> m = clone_subset(bc_.module(), keep, name, vmap);
    // The clones are this block's private copies: the optimiser may inline and drop them.
    for (llvm::GlobalObject& go : m->global_objects()) {
        if (go.isDeclaration()) continue;
        go.setLinkage(llvm::GlobalValue::InternalLinkage);
        go.setVisibility(llvm::GlobalValue::DefaultVisibility);
        go.setComdat(nullptr);
    }

    llvm::LLVMContext& ctx = m->getContext();
    llvm::Type* i8 = llvm::Type::getInt8Ty(ctx);
    llvm::Type* i16 = llvm::Type::getInt16Ty(ctx);
    llvm::Type* i32 = llvm::Type::getInt32Ty(ctx);
    llvm::Type* i64 = llvm::Type::getInt64Ty(ctx);
    llvm::PointerType* ptr = llvm::PointerType::getUnqual(ctx);
    llvm::Type* void_ty = llvm::Type::getVoidTy(ctx);
    llvm::FunctionType* handler_ty = llvm::FunctionType::get(void_ty, {ptr, ptr}, false);
    llvm::FunctionType* block_ty = llvm::FunctionType::get(i32, {ptr, i32}, false);
    llvm::FunctionType* hook_ty = llvm::FunctionType::get(void_ty, {ptr}, false);

    // The Insns as constant bytes (fn zeroed: the code must not depend on host addresses of
    // handlers), so every operand field the semantics load folds to a constant.
    std::vector<uint8_t> bytes(all.size() * sizeof(Insn));
    for (size_t k = 0; k < all.size(); ++k) {
        Insn copy = all[k];
        copy.fn = nullptr;
        std::memcpy(bytes.data() + k * sizeof(Insn), &copy, sizeof(Insn));
    }
    auto* table = new llvm::GlobalVariable(
        *m, llvm::ArrayType::get(i8, bytes.size()), true, llvm::GlobalValue::PrivateLinkage,
        llvm::ConstantDataArray::get(ctx, llvm::ArrayRef<uint8_t>(bytes)), "insns");
    table->setAlignment(llvm::Align(8));

    llvm::Function* fn =
        llvm::Function::Create(block_ty, llvm::GlobalValue::ExternalLinkage, name, *m);
    llvm::Argument* cpu = fn->getArg(0);
    llvm::FunctionCallee deliver = m->getOrInsertFunction("rr86_jit_deliver_fault", hook_ty);

    llvm::IRBuilder<> b(ctx);
    auto* entry = llvm::BasicBlock::Create(ctx, "entry", fn);
    std::vector<llvm::BasicBlock*> tops; // where each member starts
    for (size_t mi = 0; mi < blocks.size(); ++mi)
        tops.push_back(llvm::BasicBlock::Create(ctx, "top", fn));
    auto* exit = llvm::BasicBlock::Create(ctx, "exit", fn);
    auto field = [&](size_t off) { return b.CreateConstInBoundsGEP1_64(i8, cpu, off); };
    auto load = [&](llvm::Type* t, size_t off) { return b.CreateLoad(t, field(off)); };
    auto is_zero = [&](llvm::Value* v) {
        return b.CreateICmpEQ(v, llvm::Constant::getNullValue(v->getType()));
    };
    b.SetInsertPoint(entry);
    // IP wraps at 64 KiB unless CS is a 32-bit segment, read once per block as run_block does
    // (known in 32-bit protected mode; real mode may run with a 32-bit CS).
    llvm::Value* cs32 =
        b.CreateICmpNE(b.CreateAnd(load(i16, kCsAttr), uint64_t(seg_attr::DB)), b.getInt16(0));
    llvm::Value* ip_mask = mode == CodeMode::Prot32
                               ? b.getInt32(0xffffffffu)
                               : b.CreateSelect(cs32, b.getInt32(0xffffffffu), b.getInt32(0xffff));
    // `entry_eip` is the head's EIP: the code is entered at the start of member `entry`.
    llvm::Value* entry_member = fn->getArg(1);
    llvm::Value* entry_eip = load(i32, kEip);
    if (blocks.size() > 1) {
        std::vector<uint32_t> offsets(kMaxRegionBlocks); // padded: any 4-bit index is in bounds
        for (size_t mi = 0; mi < blocks.size(); ++mi)
            offsets[mi] = uint32_t(blocks[mi].offset);
        auto* table = new llvm::GlobalVariable(
            *m, llvm::ArrayType::get(i32, offsets.size()), true, llvm::GlobalValue::PrivateLinkage,
            llvm::ConstantDataArray::get(ctx, offsets), "member_offsets");
        llvm::Value* at = b.CreateInBoundsGEP(
            table->getValueType(), table,
            {b.getInt64(0), b.CreateZExt(b.CreateAnd(entry_member, kMaxRegionBlocks - 1), i64)});
        entry_eip = b.CreateSub(entry_eip, b.CreateLoad(i32, at));
    }
    // Code specialised for the head's EIP runs only there (else the member is interpreted).
    llvm::Value* at_head_eip = b.getTrue();
    if (region.head_eip) {
        at_head_eip = b.CreateICmpEQ(entry_eip, b.getInt32(*region.head_eip));
        entry_eip = b.getInt32(*region.head_eip);
    }
    // The segments the code is specialised for (Region::flat_segs) must be flat still: their
    // fields are then constants, and the base and limit checks of each access fold away. Only
    // those the code uses are checked; which those are is known once it is all inlined, so the
    // checks (and the stores saying they hold) are placeholders until then (FlatSegments).
    FlatSegments flat(*m, region.flat_segs);
    if (region.flat_segs) {
        auto* flat_bb = llvm::BasicBlock::Create(ctx, "flat", fn);
        auto* refused = llvm::BasicBlock::Create(ctx, "refused", fn);
        b.CreateCondBr(flat.check(b), flat_bb, refused);
        b.SetInsertPoint(refused);
        b.CreateRet(b.getInt32(kCompiledRefused));
        b.SetInsertPoint(flat_bb);
    }
    bool flat_cs = region.flat_segs >> CS & 1;
    llvm::Value* entry_cs_base =
        flat_cs ? b.getInt32(0) : static_cast<llvm::Value*>(load(i32, kCsBase));
    llvm::Value* entry_cs_attr = load(i16, kCsAttr);
    llvm::Value* entry_cs_limit =
        flat_cs ? b.getInt32(kFlatLimit) : static_cast<llvm::Value*>(load(i32, kCsLimit));
    llvm::Value* entry_tlb_epoch = load(i64, kTlbEpoch);
    // What lets one member go on to the next (Interpreter::may_chain and chained, but for the
    // budget and the kick): nothing to deliver or to stop for, and CS and the TLB as they were.
    // With `if_tf` false, INTR, IF and TF are known unchanged since the last check.
    auto chain_conditions = [&](bool if_tf) {
        llvm::Value* ok = b.CreateICmpEQ(load(i32, kCsBase), entry_cs_base);
        ok = b.CreateAnd(ok, b.CreateICmpEQ(load(i16, kCsAttr), entry_cs_attr));
        ok = b.CreateAnd(ok, b.CreateICmpEQ(load(i32, kCsLimit), entry_cs_limit));
        ok = b.CreateAnd(ok, b.CreateICmpEQ(load(i64, kTlbEpoch), entry_tlb_epoch));
        ok = b.CreateAnd(ok, is_zero(load(i32, kExitReasons)));
        ok = b.CreateAnd(ok, is_zero(load(i8, kNmiPending)));
        ok = b.CreateAnd(ok, is_zero(load(i8, kIntrShadow)));
        ok = b.CreateAnd(ok, is_zero(load(ptr, kAsyncPoll)));
        ok = b.CreateAnd(ok, flat.check(b));
        if (!if_tf) return ok;
        llvm::Value* eflags = load(i32, kEflags);
        llvm::Value* intr_on =
            b.CreateAnd(b.CreateICmpNE(load(i8, kIntr), b.getInt8(0)),
                        b.CreateICmpNE(b.CreateAnd(eflags, fl::IF), b.getInt32(0)));
        ok = b.CreateAnd(ok, b.CreateNot(intr_on));
        return b.CreateAnd(ok, is_zero(b.CreateAnd(eflags, b.getInt32(fl::TF))));
    };
    // Once they hold, saying so (stores of what is there) makes them constants for the
    // optimiser: every way into a member's top then carries the same values, and on the paths
    // that made no call the checks at the next member's end fold away.
    // (Stores of what memory holds: they do not make a copy "written", cpu_promotion.h.)
    auto assume = [&](llvm::Value* v, size_t off) {
        mark_same_value(*b.CreateStore(v, field(off)));
    };
    auto assume_chain_conditions = [&]() {
        assume(entry_cs_base, kCsBase);
        assume(entry_cs_attr, kCsAttr);
        assume(entry_cs_limit, kCsLimit);
        assume(entry_tlb_epoch, kTlbEpoch);
        flat.assume(b);
        assume(b.getInt32(0), kExitReasons);
        assume(b.getInt8(0), kNmiPending);
        assume(b.getInt8(0), kIntrShadow);
        assume(b.CreateAnd(load(i32, kEflags), ~fl::TF), kEflags);
    };
    // Entered only where the interpreter would chain (run_either checks what may_chain does),
    // and the interpreter checked that the entered member lies within CS. So must every other
    // member, so that the transitions below, with the CS limit unchanged, need no limit check.
    llvm::Value* enter_ok = at_head_eip;
    for (size_t mi = 0; blocks.size() > 1 && mi < blocks.size(); ++mi) {
        uint32_t len = 0;
        for (const Insn& x : blocks[mi].insns)
            len += x.len;
        llvm::Value* eip =
            b.CreateAnd(b.CreateAdd(entry_eip, b.getInt32(uint32_t(blocks[mi].offset))), ip_mask);
        llvm::Value* last = b.CreateAdd(b.CreateZExt(eip, i64), b.getInt64(len - 1));
        enter_ok = b.CreateAnd(enter_ok, b.CreateICmpULE(last, b.CreateZExt(entry_cs_limit, i64)));
        enter_ok = b.CreateAnd(enter_ok, b.CreateICmpULE(last, b.CreateZExt(ip_mask, i64)));
    }
    auto* enter_bb = llvm::BasicBlock::Create(ctx, "enter", fn);
    auto* refuse = llvm::BasicBlock::Create(ctx, "refuse", fn);
    b.CreateCondBr(enter_ok, enter_bb, refuse);
    b.SetInsertPoint(refuse);
    static_assert(compiled_resume(0, 0) == 16 << 1);
    b.CreateRet(b.CreateShl(b.CreateOr(entry_member, 16), 1));
    b.SetInsertPoint(enter_bb);
    assume_chain_conditions();
    // The host's kick flag, or one never set when there is none: one load a transition.
    auto* never_kicked = new llvm::GlobalVariable(*m, i8, true, llvm::GlobalValue::PrivateLinkage,
                                                  b.getInt8(0), "never_kicked");
    llvm::Value* kick = load(ptr, kHostKick);
    kick = b.CreateSelect(is_zero(kick), never_kicked, kick);
    auto* enter = b.CreateSwitch(entry_member, tops[0], unsigned(blocks.size() - 1));
    for (size_t mi = 1; mi < blocks.size(); ++mi)
        enter->addCase(b.getInt32(uint32_t(mi)), tops[mi]);

    // EIP, icount and insn_eip are values here, not memory round trips: within a block only the
    // last instruction branches or adds to icount itself (a REP string instruction), so
    // instruction k starts at the block's EIP + the lengths before it with icount I + k. They are
    // stored at each instruction's start (for the semantics' own reads), and again wherever the
    // machine could look: before every out-of-line call an instruction's code makes (TLB-miss
    // paths, native handlers) and on every way out of the block. The start stores are then dead
    // on the paths the guest usually takes and the optimiser drops them. An instruction that
    // may write EIP itself ("opaque": branches, far transfers, anything calling out except the
    // TLB-miss paths) keeps its EIP store and gets no others.
    const llvm::DataLayout& dl = m->getDataLayout();
    std::unordered_set<llvm::BasicBlock*> known;
    for (llvm::BasicBlock& bb : *fn)
        known.insert(&bb);
    // Whether a store of `size` bytes at `p` may write the Cpu field at `field_off`.
    auto may_write = [&](llvm::Value* p, uint64_t size, size_t field_off, size_t field_size) {
        int64_t off = 0;
        const llvm::Value* base = llvm::GetPointerBaseWithConstantOffset(p, off, dl);
        if (base == cpu)
            return off < int64_t(field_off + field_size) &&
                   off + int64_t(size) > int64_t(field_off);
        const llvm::Value* obj = llvm::getUnderlyingObject(p);
        return !(llvm::isa<llvm::IntToPtrInst>(obj) || llvm::isa<llvm::AllocaInst>(obj) ||
                 llvm::isa<llvm::GlobalVariable>(obj));
    };
    auto maybe_writes_eip = [&](llvm::Value* p, uint64_t size) {
        return may_write(p, size, kEip, sizeof(uint32_t));
    };
    // Whether a store of `v` to EFLAGS keeps IF and TF: the value loaded from EFLAGS, masked
    // with a mask that keeps them and merged (OR, XOR) with values known to have them clear, as
    // the arithmetic flags' updates are (flags.h set_arith_flags).
    constexpr uint32_t kIfTf = fl::IF | fl::TF;
    auto clear_if_tf = [&](const llvm::Value* v) {
        return (llvm::computeKnownBits(v, dl).Zero.getZExtValue() & kIfTf) == kIfTf;
    };
    std::function<bool(const llvm::Value*, int)> keeps_if_tf = [&](const llvm::Value* v,
                                                                   int depth) {
        using namespace llvm::PatternMatch;
        int64_t off = 0;
        if (auto* ld = llvm::dyn_cast<llvm::LoadInst>(v))
            return llvm::GetPointerBaseWithConstantOffset(ld->getPointerOperand(), off, dl) ==
                       cpu &&
                   off == int64_t(kEflags) && ld->getType()->isIntegerTy(32);
        const llvm::Value *x = nullptr, *y = nullptr;
        const llvm::APInt* mask = nullptr;
        if (depth > 8) return false;
        if (match(v, m_And(m_Value(x), m_APInt(mask))))
            return (mask->getZExtValue() & kIfTf) == kIfTf && keeps_if_tf(x, depth + 1);
        if (match(v, m_Or(m_Value(x), m_Value(y))) || match(v, m_Xor(m_Value(x), m_Value(y))))
            return (keeps_if_tf(x, depth + 1) && clear_if_tf(y)) ||
                   (keeps_if_tf(y, depth + 1) && clear_if_tf(x));
        return false;
    };
    size_t first = 0; // index in `all` of the member's instruction 0
    for (size_t mi = 0; mi < blocks.size(); ++mi) {
        const std::vector<Insn>& insns = blocks[mi].insns;
        b.SetInsertPoint(tops[mi]);
        // Compiled code runs with TF clear (the interpreter steps while it is set, and the way
        // from a member to the next checks it): said for InstCombine and defer_loop_flags.
        b.CreateAssumption(is_zero(b.CreateAnd(load(i32, kEflags), b.getInt32(fl::TF))));
        llvm::Value* icount0 = load(i64, kIcount);
        // The state after the last instruction, for the clean end and the way to the next member.
        std::function<void()> store_end_state;
        llvm::Value* end_eip = nullptr;    // null: the last instruction may write EIP (load it)
        llvm::Value* end_icount = nullptr; // null: the last instruction is a REP (load it)
        uint32_t offset = uint32_t(blocks[mi].offset);
        // Nothing in the member can change IF, TF or INTR: no call on a way that goes on, and
        // EFLAGS written only by the arithmetic flags' merge.
        bool member_keeps_if_tf = true;
        for (size_t k = 0; k < insns.size(); ++k) {
            const Insn& in = insns[k];
            bool rep = in.attr & (insn_attr::REP | insn_attr::REPNE);
            llvm::Value* start = b.CreateAnd(b.CreateAdd(entry_eip, b.getInt32(offset)), ip_mask);
            offset += in.len;
            llvm::Value* next_eip =
                b.CreateAnd(b.CreateAdd(entry_eip, b.getInt32(offset)), ip_mask);
            llvm::Value* icount_k = b.CreateAdd(icount0, b.getInt64(k));
            llvm::Value* icount_after = b.CreateAdd(icount0, b.getInt64(k + 1));
            // The instruction's own code starts in a block of its own: simplifying that code below
            // must not touch the values above, which the exits use.
            auto* body = llvm::BasicBlock::Create(ctx, "insn", fn);
            b.CreateBr(body);
            b.SetInsertPoint(body);
            std::unordered_set<llvm::Instruction*> markers;
            markers.insert(b.CreateStore(start, field(kInsnEip)));
            markers.insert(b.CreateStore(next_eip, field(kEip)));
            markers.insert(b.CreateStore(icount_k, field(kIcount)));
            llvm::Value* insn_ptr =
                b.CreateConstInBoundsGEP1_64(i8, table, (first + k) * sizeof(Insn));
            llvm::CallInst* call;
            if (const llvm::Function* f = sem[first + k]) {
                call = b.CreateCall(llvm::cast<llvm::Function>(vmap[f]), {cpu, insn_ptr});
            } else {
                // By symbol, never by address: the object may be cached and loaded by another
                // process.
                const char* symbol = handler_symbol(in.fn);
                if (!symbol) return nullptr;
                call = b.CreateCall(m->getOrInsertFunction(symbol, handler_ty), {cpu, insn_ptr});
            }
            auto* after = llvm::BasicBlock::Create(ctx, "after", fn);
            b.CreateBr(after);
            // The instruction's code, inlined here with its callees so that it can be looked at.
            std::vector<llvm::CallBase*> work{call};
            while (!work.empty()) {
                llvm::CallBase* cb = work.back();
                work.pop_back();
                llvm::Function* callee = cb->getCalledFunction();
                if (!callee || callee->isDeclaration()) continue;
                llvm::InlineFunctionInfo ifi;
                if (!llvm::InlineFunction(*cb, ifi).isSuccess()) continue;
                for (llvm::CallBase* c : ifi.InlinedCallSites)
                    work.push_back(c);
            }
            std::vector<llvm::BasicBlock*> code; // the instruction's inlined code
            for (llvm::BasicBlock& bb : *fn)
                if (known.insert(&bb).second) code.push_back(&bb);
            for (llvm::BasicBlock* bb : code) // fold the Insn constant into operand selection
                llvm::SimplifyInstructionsInBlock(bb);
            bool transparent = true;
            std::vector<llvm::CallBase*> calls;
            for (llvm::BasicBlock* bb : code) {
                for (llvm::Instruction& x : *bb) {
                    if (auto* st = llvm::dyn_cast<llvm::StoreInst>(&x)) {
                        uint64_t size = dl.getTypeStoreSize(st->getValueOperand()->getType());
                        if (!markers.count(st) && maybe_writes_eip(st->getPointerOperand(), size))
                            transparent = false;
                        if (may_write(st->getPointerOperand(), size, kEflags, sizeof(uint32_t)) &&
                            !keeps_if_tf(st->getValueOperand(), 0))
                            member_keeps_if_tf = false;
                    } else if (auto* mi = llvm::dyn_cast<llvm::MemIntrinsic>(&x)) {
                        if (maybe_writes_eip(mi->getDest(), uint64_t(1) << 32)) transparent = false;
                        if (may_write(mi->getDest(), uint64_t(1) << 32, kEflags, sizeof(uint32_t)))
                            member_keeps_if_tf = false;
                    } else if (auto* cb = llvm::dyn_cast<llvm::CallBase>(&x)) {
                        if (llvm::isa<llvm::IntrinsicInst>(cb)) continue;
                        calls.push_back(cb);
                        if (!calls_one_of(*cb, kTlbMissPaths)) transparent = false;
                    }
                }
            }
            // The state as the machine sees it while instruction k runs (`done`: once it retired).
            auto store_state = [&b, &field, start, next_eip, icount_k, icount_after, transparent,
                                rep](bool done) {
                b.CreateStore(start, field(kInsnEip));
                if (!rep) b.CreateStore(done ? icount_after : icount_k, field(kIcount));
                if (transparent) b.CreateStore(next_eip, field(kEip));
            };
            // TLB misses that nothing of the instruction precedes leave the block (side exits):
            // the interpreter runs the instruction again and takes the slow path; the hot path then
            // rejoins no cold one, so registers and scratch fields stay plain values across it.
            std::vector<llvm::Instruction*> exits = restartable(code, markers, cpu, dl);
            if (!exits.empty()) {
                auto* restart = llvm::BasicBlock::Create(ctx, "restart", fn);
                b.SetInsertPoint(restart);
                b.CreateStore(start, field(kInsnEip));
                b.CreateStore(icount_k, field(kIcount));
                b.CreateStore(start, field(kEip));
                b.CreateRet(b.getInt32(compiled_resume(unsigned(mi), k)));
                for (llvm::Instruction* x : exits) {
                    llvm::BasicBlock* bb = x->getParent();
                    // The rest of the block loses its only way in: removeUnreachableBlocks drops
                    // it.
                    llvm::BasicBlock* rest = bb->splitBasicBlock(x);
                    bb->getTerminator()->eraseFromParent();
                    llvm::BranchInst::Create(restart, bb);
                    for (llvm::Instruction& y : *rest)
                        if (auto* cb = llvm::dyn_cast<llvm::CallBase>(&y))
                            calls.erase(std::remove(calls.begin(), calls.end(), cb), calls.end());
                }
            }
            for (llvm::CallBase* cb : calls) {
                b.SetInsertPoint(cb);
                store_state(false);
            }
            if (!calls.empty()) member_keeps_if_tf = false; // a call may raise INTR, or write IF
            b.SetInsertPoint(after);

            auto* on_fault = llvm::BasicBlock::Create(ctx, "fault", fn);
            auto* retired = llvm::BasicBlock::Create(ctx, "retired", fn);
            b.CreateCondBr(is_zero(load(i8, kFaultActive)), retired, on_fault);

            b.SetInsertPoint(on_fault);
            b.CreateStore(start, field(kInsnEip));
            if (!rep) b.CreateStore(icount_k, field(kIcount));
            b.CreateStore(start, field(kEip));
            b.CreateCall(deliver, {cpu});
            b.CreateBr(exit);

            // On the way on, the scratch fields are known clear: saying so (a store of what is
            // there) lets the optimiser see them as constants after a cold path rejoined.
            b.SetInsertPoint(retired);
            static_assert(sizeof(PendingFault) == sizeof(uint64_t));
            b.CreateStore(b.getInt64(0), field(offsetof(Cpu, fault)));
            if (rep) b.CreateStore(b.CreateAdd(load(i64, kIcount), b.getInt64(1)), field(kIcount));
            // The asynchronous-request window after every instruction (seed 002): once a request is
            // in flight, the interpreter polls it and runs the rest of this very block (its stale
            // view), from instruction k + 1.
            auto* resume = llvm::BasicBlock::Create(ctx, "resume", fn);
            auto* no_poll = llvm::BasicBlock::Create(ctx, "no_poll", fn);
            b.CreateCondBr(is_zero(load(ptr, kAsyncPoll)), no_poll, resume);
            b.SetInsertPoint(resume);
            store_state(true);
            b.CreateRet(b.getInt32(compiled_resume(unsigned(mi), k + 1)));
            b.SetInsertPoint(no_poll);
            b.CreateStore(llvm::ConstantPointerNull::get(ptr), field(kAsyncPoll));
            auto* next = llvm::BasicBlock::Create(ctx, "next", fn);
            auto* ended = llvm::BasicBlock::Create(ctx, "ended", fn);
            b.CreateCondBr(is_zero(load(i8, kEndBlock)), next, ended);
            b.SetInsertPoint(ended);
            store_state(true);
            b.CreateBr(exit);
            b.SetInsertPoint(next);
            b.CreateStore(b.getInt8(0), field(kEndBlock));
            for (llvm::BasicBlock& bb : *fn)
                known.insert(&bb);
            if (k + 1 == insns.size()) {
                store_end_state = [store_state] { store_state(true); };
                end_eip = transparent ? next_eip : nullptr;
                end_icount = rep ? nullptr : icount_after;
            }
        }
        // Every instruction ran and none ended the block. If it went on to a member of the region
        // (itself, for a loop), that member runs here without returning to the dispatcher, under
        // the same conditions as Interpreter::may_chain and chained (plus the member's budget check
        // run_either makes for the first): the hot loops of a compute-bound guest stay in compiled
        // code. On the paths that made no call, most of what is checked is a known constant.
        {
            auto* clean = llvm::BasicBlock::Create(ctx, "clean", fn);
            auto* chain = llvm::BasicBlock::Create(ctx, "chain", fn);
            llvm::Value* eip_now = end_eip ? end_eip : load(i32, kEip);
            llvm::Value* icount_now = end_icount ? end_icount : load(i64, kIcount);
            llvm::Value* limit = load(i64, kIcountLimit);
            // (The budget check below implies icount_now < limit.)
            b.CreateCondBr(chain_conditions(!member_keeps_if_tf), chain, clean);
            // Which member starts at the new EIP, if any; then its budget.
            b.SetInsertPoint(chain);
            assume_chain_conditions();
            // Its successors seen in the interpreter, and the head: a loop can end in any member.
            std::vector<uint8_t> to_members = blocks[mi].next;
            if (std::find(to_members.begin(), to_members.end(), 0) == to_members.end())
                to_members.push_back(0);
            auto* sw =
                b.CreateSwitch(b.CreateSub(eip_now, entry_eip), clean, unsigned(to_members.size()));
            for (uint8_t j : to_members) {
                auto* to = llvm::BasicBlock::Create(ctx, "to", fn);
                sw->addCase(b.getInt32(uint32_t(blocks[j].offset)), to);
                b.SetInsertPoint(to);
                llvm::Value* fits = b.CreateICmpUGE(b.CreateSub(limit, icount_now),
                                                    b.getInt64(blocks[j].insns.size()));
                auto* go = llvm::BasicBlock::Create(ctx, "go", fn);
                b.CreateCondBr(fits, go, clean);
                // The host's kick last: a load another thread writes.
                b.SetInsertPoint(go);
                b.CreateStore(icount_now, field(kIcount)); // read by the member's `top`
                auto* flag = b.CreateLoad(i8, kick);
                flag->setAtomic(llvm::AtomicOrdering::Monotonic);
                flag->setAlignment(llvm::Align(1));
                mark_not_cpu(*flag);
                b.CreateCondBr(is_zero(flag), tops[j], clean);
            }
            b.SetInsertPoint(clean);
            store_end_state();
            b.CreateRet(b.getInt32(1 | uint32_t(mi) << 1));
        }
        for (llvm::BasicBlock& bb : *fn) // the way on is not the next instruction's code
            known.insert(&bb);
        first += insns.size();
    }
    b.SetInsertPoint(exit);
    b.CreateStore(b.getInt8(0), field(kEndBlock));
    b.CreateRet(b.getInt32(0));
    flat.materialise(*fn);
    llvm::removeUnreachableBlocks(*fn);

    optimise(*m, *fn);
    if (const char* dump = std::getenv("RR86_JIT_DUMP");
        dump && (name == dump || std::string(dump) == "all"))
        m->print(llvm::errs(), nullptr);
    return m;
}

// Alias scopes for the block function, which the semantics cannot state in C++: guest memory
// (host RAM reached through the soft TLB's integer addends) and locals never overlap the Cpu, so
// a guest store does not force registers, flags or EIP to be reloaded. A pointer whose origin
// is not clearly one or the other (loaded from memory, passed in) gets no scope. This relies on
// the rule in engine/cpu/state.h: nothing stores a pointer into the Cpu where guest memory is.
void tag_alias_scopes(llvm::Function& fn) {
    llvm::LLVMContext& ctx = fn.getContext();
    llvm::MDBuilder mdb(ctx);
    llvm::MDNode* domain = mdb.createAnonymousAliasScopeDomain("rr86.block");
    llvm::MDNode* cpu_scope = mdb.createAnonymousAliasScope(domain, "cpu");
    llvm::MDNode* other_scope = mdb.createAnonymousAliasScope(domain, "guest+locals");
    llvm::MDNode* cpu_list = llvm::MDNode::get(ctx, {cpu_scope});
    llvm::MDNode* other_list = llvm::MDNode::get(ctx, {other_scope});
    const llvm::Value* cpu = fn.getArg(0);
    for (llvm::BasicBlock& bb : fn) {
        for (llvm::Instruction& in : bb) {
            const llvm::Value* p = llvm::getLoadStorePointerOperand(&in);
            if (!p) continue;
            llvm::SmallVector<const llvm::Value*, 4> objs;
            llvm::getUnderlyingObjects(p, objs);
            bool all_cpu = true, all_other = true;
            for (const llvm::Value* o : objs) {
                all_cpu &= o == cpu;
                all_other &= llvm::isa<llvm::IntToPtrInst>(o) || llvm::isa<llvm::AllocaInst>(o) ||
                             llvm::isa<llvm::GlobalVariable>(o);
            }
            if (objs.empty() || (!all_cpu && !all_other)) continue;
            in.setMetadata(llvm::LLVMContext::MD_alias_scope, all_cpu ? cpu_list : other_list);
            in.setMetadata(llvm::LLVMContext::MD_noalias, all_cpu ? other_list : cpu_list);
        }
    }
}

// A phi's incoming select whose condition a branch on the way in has already decided takes
// that side. A loop's exits then each store the EIP they know, instead of the way round
// computing the one the exit would store (CorrelatedValuePropagation misses these).
static void fold_decided_selects(llvm::Function& fn) {
    for (llvm::BasicBlock& bb : fn)
        for (llvm::PHINode& phi : bb.phis())
            for (unsigned i = 0; i < phi.getNumIncomingValues(); ++i) {
                auto* sel = llvm::dyn_cast<llvm::SelectInst>(phi.getIncomingValue(i));
                llvm::BasicBlock* to = &bb;
                unsigned steps = 0;
                for (llvm::BasicBlock* from = phi.getIncomingBlock(i); sel && from && steps < 16;
                     to = from, from = from->getSinglePredecessor(), ++steps) {
                    auto* br = llvm::dyn_cast<llvm::BranchInst>(from->getTerminator());
                    if (!br || !br->isConditional() || br->getCondition() != sel->getCondition() ||
                        br->getSuccessor(0) == br->getSuccessor(1))
                        continue;
                    phi.setIncomingValue(i, br->getSuccessor(0) == to ? sel->getTrueValue()
                                                                      : sel->getFalseValue());
                    break;
                }
            }
}

void BlockTranslator::optimise(llvm::Module& m, llvm::Function& block_fn) {
    llvm::LoopAnalysisManager lam;
    llvm::FunctionAnalysisManager fam;
    llvm::CGSCCAnalysisManager cgam;
    llvm::ModuleAnalysisManager mam;
    llvm::PassBuilder pb(tm_);
    pb.registerModuleAnalyses(mam);
    pb.registerCGSCCAnalyses(cgam);
    pb.registerFunctionAnalyses(fam);
    pb.registerLoopAnalyses(lam);
    pb.crossRegisterProxies(lam, fam, cgam, mam);
    // The semantics arrive optimised (-O2 in the bitcode) and translate() inlined them: what is
    // left is dropping the now unused copies, folding what the Insn constants decide, then (once
    // pointers are plain enough to see where they point) passing EIP, icount, flags and registers
    // from one instruction to the next and dropping what the next one overwrites (dead flags
    // included: FlagPruner). A full -O2 pipeline costs several times more.
    {
        llvm::ModulePassManager mpm;
        mpm.addPass(llvm::GlobalDCEPass());
        llvm::FunctionPassManager fpm;
        fpm.addPass(llvm::SROAPass(llvm::SROAOptions::ModifyCFG));
        fpm.addPass(llvm::EarlyCSEPass(true));
        fpm.addPass(llvm::InstCombinePass());
        mpm.addPass(llvm::createModuleToFunctionPassAdaptor(std::move(fpm)));
        mpm.run(m, mam);
    }
    // Registers, flags, EIP and the scratch fields become locals (see cpu_promotion.h). Compiled
    // code is entered with no fault pending, end_block clear and no asynchronous request in
    // flight (Interpreter::run_either). The TLB-miss paths (engine/memory/linear.cpp, paging.cpp)
    // never read the general registers, EIP or EFLAGS, and of the Cpu they write only CR2, the
    // TLB, the interrupt inputs and the scratch fields: a page walk, a #PF, a device's MMIO
    // handler (which may raise INTR, move the run's end, ask for an exit or a reset, or hit
    // decoded code) change nothing else.
    static_assert(kIcountLimit > offsetof(Cpu, fault) &&
                      offsetof(Cpu, tlb_epoch) > offsetof(Cpu, tlb),
                  "the ranges below are spans of consecutive Cpu fields");
    static const PromotionRules rules = [] {
        constexpr size_t kState = offsetof(Cpu, s);
        const CalleeRule tlb_miss{
            kTlbMissPaths,
            {kState + offsetof(CpuState, gpr), offsetof(CpuState, cr0)},
            {{kState + offsetof(CpuState, cr2), sizeof(uint32_t)},
             {offsetof(Cpu, tlb), offsetof(Cpu, tlb_epoch) + sizeof(uint64_t) - offsetof(Cpu, tlb)},
             {offsetof(Cpu, intr), sizeof(bool)},
             {offsetof(Cpu, nmi_pending), sizeof(bool)},
             {kAsyncPoll, sizeof(void*)},
             {offsetof(Cpu, fault), kIcountLimit + sizeof(uint64_t) - offsetof(Cpu, fault)}}};
        // The REP string instructions without I/O (called out of line: their loops are large)
        // change registers, flags, EIP, icount, memory and what a memory access may (the TLB-miss
        // paths' fields above), never a segment, a descriptor table, the CPL, the interrupt shadow
        // or the hooks the machine set up (host_kick).
        const CalleeRule rep_string{
            {"str_rep_loopINS_7StrMovs", "str_rep_loopINS_7StrStos", "str_rep_loopINS_7StrLods",
             "str_rep_loopINS_7StrCmps", "str_rep_loopINS_7StrScas"},
            {0, 0},
            all_but({{kState + offsetof(CpuState, seg),
                      offsetof(CpuState, icount) - offsetof(CpuState, seg)},
                     {offsetof(Cpu, segc), sizeof(Cpu::segc)},
                     {kState + offsetof(CpuState, cpl), sizeof(uint8_t)},
                     {kIntrShadow, sizeof(uint8_t)},
                     {offsetof(Cpu, hook_ctx), offsetof(Cpu, insn_eip) - offsetof(Cpu, hook_ctx)}},
                    sizeof(Cpu))};
        return PromotionRules{{{offsetof(Cpu, fault), sizeof(PendingFault)},
                               {kEndBlock, sizeof(bool)},
                               {kAsyncPoll, sizeof(void*)}},
                              {tlb_miss, rep_string}};
    }();
    promote_cpu_fields(block_fn, rules);
    tag_alias_scopes(block_fn);
    fam.clear();
    {
        llvm::FunctionPassManager fpm;
        fpm.addPass(llvm::SROAPass(llvm::SROAOptions::ModifyCFG));
        // EarlyCSE over MemorySSA, not GVN: the same code here at 20 % less compile time.
        fpm.addPass(llvm::EarlyCSEPass(true));
        fpm.run(block_fn, fam);
    }
    prune_dead_flags(block_fn);
    defer_loop_flags(block_fn);
    fam.clear();
    {
        // Sinking moves what only the exits use (the flags of an instruction followed by a
        // memory access, kept for that access's side exit) off the hot path; before
        // SimplifyCFG, which merges the exits into one block. EarlyCSE then finds the checks
        // that InstCombine made identical (a store's page check after its load's, on one
        // address) and drops those a dominating branch has decided.
        llvm::FunctionPassManager fpm;
        fpm.addPass(llvm::InstCombinePass());
        fpm.addPass(llvm::SinkingPass());
        fpm.addPass(llvm::SimplifyCFGPass());
        fpm.addPass(llvm::EarlyCSEPass(true));
        fpm.addPass(llvm::DSEPass());
        fpm.run(block_fn, fam);
    }
    fold_decided_selects(block_fn);
}

} // namespace rr86::jit
