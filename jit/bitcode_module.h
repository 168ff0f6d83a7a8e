// BitcodeModule: the instruction semantics as LLVM IR (engine/cpu/semantics.cpp compiled by
// clang-19 at build time and embedded in the binary), and the map from a native handler pointer
// (Insn::fn, chosen by the binders at decode time) to its definition in that IR.
//
// How a native handler finds its IR: by name. The handlers are template instantiations that the
// binders take the address of, so both compilers emit them under the same Itanium-mangled name;
// dladdr() names the native address (the executable exports its symbols, see CMakeLists.txt) and
// the bitcode module is searched for that name. A table built alike in both compilations would need
// every binder to register every instantiation it can return, which the binders (switches over
// runtime operand shapes) cannot enumerate. A handler whose name differs between GCC and clang
// (a few instantiations clang never emits) or that lives outside semantics.cpp has no IR: the
// translator then calls the native function, which is slower but exact.
#pragma once

#include "engine/cpu/insn.h"

#include <memory>
#include <mutex>
#include <unordered_map>

namespace llvm {
class Function;
class GlobalValue;
class LLVMContext;
class Module;
} // namespace llvm

namespace rr86::jit {

// The exported symbol that is exactly native handler `fn` (the executable is linked with
// -rdynamic), or null if it has none. Handlers are named, never addressed, in anything that
// outlives the process (translated code, the disk cache's keys).
const char* handler_symbol(Handler fn);

class BitcodeModule {
  public:
    // Parses the embedded bitcode into `ctx`; null with `error` set if it does not parse.
    static std::unique_ptr<BitcodeModule> load(llvm::LLVMContext& ctx, std::string& error);
    ~BitcodeModule();

    const llvm::Module& module() const { return *module_; }
    // The IR definition of a native handler, or null when the bitcode has none.
    const llvm::Function* handler(Handler fn);
    // Reads a lazily loaded definition's body; false if it is (still) a declaration.
    static bool materialize(const llvm::GlobalValue* gv);

  private:
    explicit BitcodeModule(std::unique_ptr<llvm::Module> m);
    std::unique_ptr<llvm::Module> module_;
    std::unordered_map<Handler, const llvm::Function*> by_address_;
};

} // namespace rr86::jit
