// CodeCache: translated blocks as object files on disk, so that the next run of the same
// firmware (replaying and exploring one recording many times is the usual case) compiles
// nothing it compiled before.
//
// Layout: <dir>/<build id>/<key hash>.o, where the build id hashes the JIT module itself
// (translator, embedded semantics bitcode) plus LLVM's version and the host CPU, and the key is
// the region: its code mode and, per member block, its offset and, per instruction, the
// handler's symbol name and the decoded Insn.
// Each file holds a header (magic, full key, object size, checksum) before the object: a stale,
// truncated, colliding or corrupt entry is detected and ignored (and later overwritten). Files
// are written to a temporary name and renamed, so concurrent rr86 processes never see half a
// file.
#pragma once

#include "engine/cpu/block_cache.h"
#include "jit/block_translator.h"

#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace rr86::jit {

class CodeCache {
  public:
    // Disabled when `dir` is empty or cannot be created.
    CodeCache(const std::string& dir, const std::string& build_id);
    bool enabled() const { return !dir_.empty(); }

    // The identity of a region's translation (what the key hash names and the file repeats).
    std::string key(const Region& region);
    static uint64_t key_hash(const std::string& key);

    std::optional<std::string> load(const std::string& key) const;
    void store(const std::string& key, const std::string& object) const;

  private:
    std::string path(const std::string& key) const;
    std::string dir_;
    std::unordered_map<Handler, std::string> names_; // dladdr is a linear search: once each
};

} // namespace rr86::jit
