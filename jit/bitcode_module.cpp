#include "jit/bitcode_module.h"

#include <llvm/Bitcode/BitcodeReader.h>
#include <llvm/IR/Function.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>
#include <llvm/Support/Error.h>
#include <llvm/Support/MemoryBuffer.h>

#include <dlfcn.h>

extern "C" const char rr86_semantics_bc[];
extern "C" const char rr86_semantics_bc_end[];

namespace rr86::jit {

const char* handler_symbol(Handler fn) {
    Dl_info info{};
    bool exact = dladdr(reinterpret_cast<void*>(fn), &info) && info.dli_sname &&
                 info.dli_saddr == reinterpret_cast<void*>(fn);
    return exact ? info.dli_sname : nullptr;
}

BitcodeModule::BitcodeModule(std::unique_ptr<llvm::Module> m) : module_(std::move(m)) {}
BitcodeModule::~BitcodeModule() = default;

std::unique_ptr<BitcodeModule> BitcodeModule::load(llvm::LLVMContext& ctx, std::string& error) {
    llvm::StringRef bytes(rr86_semantics_bc, size_t(rr86_semantics_bc_end - rr86_semantics_bc));
    // Lazily: function bodies are read when a block first needs them (see materialize), which
    // takes LLVM's set-up from ~27 ms to a few.
    auto m = llvm::getLazyBitcodeModule(llvm::MemoryBufferRef(bytes, "semantics.bc"), ctx);
    if (!m) {
        error = "semantics bitcode: " + llvm::toString(m.takeError());
        return nullptr;
    }
    return std::unique_ptr<BitcodeModule>(new BitcodeModule(std::move(*m)));
}

const llvm::Function* BitcodeModule::handler(Handler fn) {
    auto it = by_address_.find(fn);
    if (it != by_address_.end()) return it->second;
    const llvm::Function* f = nullptr;
    if (const char* name = handler_symbol(fn)) {
        f = module_->getFunction(name);
        if (f && !materialize(f)) f = nullptr;
    }
    by_address_.emplace(fn, f);
    return f;
}

bool BitcodeModule::materialize(const llvm::GlobalValue* gv) {
    auto* g = const_cast<llvm::GlobalValue*>(gv);
    if (g->isMaterializable()) {
        if (llvm::Error err = g->materialize()) {
            llvm::consumeError(std::move(err));
            return false;
        }
    }
    return !g->isDeclaration();
}

} // namespace rr86::jit
