#include "jit/block_translator.h"

#include "engine/cpu/cpu.h"
#include "engine/cpu/exceptions.h"
#include "jit/bitcode_module.h"

#include <llvm/IR/Constants.h>
#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/Module.h>
#include <llvm/IR/Verifier.h>
#include <llvm/Passes/PassBuilder.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/Transforms/IPO/AlwaysInliner.h>
#include <llvm/Transforms/IPO/GlobalDCE.h>
#include <llvm/Transforms/InstCombine/InstCombine.h>
#include <llvm/Transforms/Scalar/DeadStoreElimination.h>
#include <llvm/Transforms/Scalar/EarlyCSE.h>
#include <llvm/Transforms/Scalar/GVN.h>
#include <llvm/Transforms/Scalar/SROA.h>
#include <llvm/Transforms/Scalar/SimplifyCFG.h>
#include <llvm/Transforms/Utils/Cloning.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>
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
constexpr size_t kHookCtx = offsetof(Cpu, hook_ctx);

// Every definition `f` needs (callees, constants), so that only those are cloned per block.
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

void collect(const llvm::GlobalValue* gv, std::unordered_set<const llvm::GlobalValue*>& keep,
             std::unordered_set<const llvm::Constant*>& seen) {
    if (gv->isDeclaration() || !keep.insert(gv).second) return;
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

std::unique_ptr<llvm::Module> BlockTranslator::translate(const std::vector<Insn>& insns,
                                                         const std::string& name,
                                                         TranslateInfo& info) {
    std::vector<const llvm::Function*> sem(insns.size());
    std::unordered_set<const llvm::GlobalValue*> keep;
    std::unordered_set<const llvm::Constant*> seen;
    for (size_t k = 0; k < insns.size(); ++k) {
        sem[k] = bc_.handler(insns[k].fn);
        if (sem[k]) collect(sem[k], keep, seen);
        ++(sem[k] ? info.inlined : info.native);
    }
    llvm::ValueToValueMapTy vmap;
    std::unique_ptr<llvm::Module> m = llvm::CloneModule(
        bc_.module(), vmap, [&](const llvm::GlobalValue* gv) { return keep.count(gv) != 0; });
    m->setModuleIdentifier(name);
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
    llvm::FunctionType* block_ty = llvm::FunctionType::get(void_ty, {ptr}, false);
    llvm::FunctionType* hook_ty = llvm::FunctionType::get(void_ty, {ptr}, false);

    // The block's Insns as constant bytes (fn zeroed: the code must not depend on host addresses
    // of handlers), so every operand field the semantics load folds to a constant.
    std::vector<uint8_t> bytes(insns.size() * sizeof(Insn));
    for (size_t k = 0; k < insns.size(); ++k) {
        Insn copy = insns[k];
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
    auto* exit = llvm::BasicBlock::Create(ctx, "exit", fn);
    auto field = [&](size_t off) { return b.CreateConstInBoundsGEP1_64(i8, cpu, off); };
    b.SetInsertPoint(entry);
    // IP wraps at 64 KiB unless CS is a 32-bit segment, read once per block as run_block does.
    llvm::Value* cs32 = b.CreateICmpNE(
        b.CreateAnd(b.CreateLoad(i16, field(kCsAttr)), uint64_t(seg_attr::DB)), b.getInt16(0));
    llvm::Value* ip_mask = b.CreateSelect(cs32, b.getInt32(0xffffffffu), b.getInt32(0xffff));

    for (size_t k = 0; k < insns.size(); ++k) {
        const Insn& in = insns[k];
        llvm::Value* start = b.CreateLoad(i32, field(kEip), "start");
        b.CreateStore(start, field(kInsnEip));
        b.CreateStore(b.CreateAnd(b.CreateAdd(start, b.getInt32(in.len)), ip_mask), field(kEip));
        llvm::Value* insn_ptr = b.CreateConstInBoundsGEP1_64(i8, table, k * sizeof(Insn));
        if (sem[k]) {
            auto* callee = llvm::cast<llvm::Function>(vmap[sem[k]]);
            callee->removeFnAttr(llvm::Attribute::NoInline);
            callee->addFnAttr(llvm::Attribute::AlwaysInline);
            b.CreateCall(callee, {cpu, insn_ptr});
        } else {
            llvm::Value* native = b.CreateIntToPtr(
                b.getInt64(reinterpret_cast<uint64_t>(reinterpret_cast<void*>(in.fn))), ptr);
            b.CreateCall(handler_ty, native, {cpu, insn_ptr});
        }
        auto* on_fault = llvm::BasicBlock::Create(ctx, "fault", fn);
        auto* retired = llvm::BasicBlock::Create(ctx, "retired", fn);
        llvm::Value* faulted = b.CreateICmpNE(b.CreateLoad(i8, field(kFaultActive)), b.getInt8(0));
        b.CreateCondBr(faulted, on_fault, retired);

        b.SetInsertPoint(on_fault);
        b.CreateStore(start, field(kEip));
        b.CreateCall(deliver, {cpu});
        b.CreateBr(exit);

        b.SetInsertPoint(retired);
        llvm::Value* ic = b.CreateLoad(i64, field(kIcount));
        b.CreateStore(b.CreateAdd(ic, b.getInt64(1)), field(kIcount));
        // The asynchronous-request window after every instruction (seed 002), as run_block.
        llvm::Value* poll = b.CreateLoad(ptr, field(kAsyncPoll));
        auto* do_poll = llvm::BasicBlock::Create(ctx, "poll", fn);
        auto* after_poll = llvm::BasicBlock::Create(ctx, "after_poll", fn);
        b.CreateCondBr(b.CreateIsNotNull(poll), do_poll, after_poll);
        b.SetInsertPoint(do_poll);
        b.CreateCall(hook_ty, poll, {b.CreateLoad(ptr, field(kHookCtx))});
        b.CreateBr(after_poll);
        b.SetInsertPoint(after_poll);
        if (k + 1 == insns.size()) {
            b.CreateBr(exit);
        } else {
            auto* next = llvm::BasicBlock::Create(ctx, "next", fn);
            llvm::Value* ends = b.CreateICmpNE(b.CreateLoad(i8, field(kEndBlock)), b.getInt8(0));
            b.CreateCondBr(ends, exit, next);
            b.SetInsertPoint(next);
        }
    }
    b.SetInsertPoint(exit);
    b.CreateStore(b.getInt8(0), field(kEndBlock));
    b.CreateRetVoid();

    optimise(*m);
    if (const char* dump = std::getenv("RR86_JIT_DUMP"); dump && name == dump)
        m->print(llvm::errs(), nullptr);
    return m;
}

void BlockTranslator::optimise(llvm::Module& m) {
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
    // The semantics arrive optimised (-O2 in the bitcode): what is left to do is inlining them
    // into the block with their Insn constant, folding what that constant decides, and passing
    // values (EIP, flags, registers) from one instruction to the next. A full -O2 pipeline on the
    // inlined code costs several times more for little gain.
    llvm::ModulePassManager mpm;
    mpm.addPass(llvm::AlwaysInlinerPass());
    llvm::FunctionPassManager fpm;
    fpm.addPass(llvm::SROAPass(llvm::SROAOptions::ModifyCFG));
    fpm.addPass(llvm::EarlyCSEPass(true));
    fpm.addPass(llvm::InstCombinePass());
    fpm.addPass(llvm::SimplifyCFGPass());
    fpm.addPass(llvm::GVNPass());
    fpm.addPass(llvm::DSEPass());
    fpm.addPass(llvm::SimplifyCFGPass());
    mpm.addPass(llvm::createModuleToFunctionPassAdaptor(std::move(fpm)));
    mpm.addPass(llvm::GlobalDCEPass());
    if (const char* env = std::getenv("RR86_JIT_OPT"); env && *env == '2')
        mpm = pb.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O2);
    mpm.run(m, mam);
}

} // namespace rr86::jit
