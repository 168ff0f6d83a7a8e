#include "jit/code_cache.h"

#include "jit/bitcode_module.h"

#include <cstring>
#include <filesystem>
#include <fmt/core.h>
#include <fstream>
#include <sstream>
#include <unistd.h>
#include <xxhash.h>

namespace rr86::jit {

namespace {

constexpr char kMagic[8] = {'R', 'R', '8', '6', 'J', 'I', 'T', '1'};

struct Header {
    char magic[8];
    uint64_t key_size;
    uint64_t object_size;
    uint64_t object_hash; // XXH3-64 of the object bytes
};

} // namespace

CodeCache::CodeCache(const std::string& dir, const std::string& build_id) {
    if (dir.empty()) return;
    std::error_code ec;
    std::string d = dir + "/" + build_id;
    std::filesystem::create_directories(d, ec);
    if (!ec && access(d.c_str(), W_OK | X_OK) == 0) dir_ = d;
}

std::string CodeCache::key(const Region& region) {
    std::string k{char(region.mode), char(region.flat_segs), char(bool(region.head_eip))};
    uint32_t eip = region.head_eip.value_or(0);
    k.append(reinterpret_cast<const char*>(&eip), sizeof eip);
    for (const RegionMember& m : region.members) {
        k.append(reinterpret_cast<const char*>(&m.offset), sizeof m.offset);
        uint32_t n = uint32_t(m.insns.size());
        k.append(reinterpret_cast<const char*>(&n), sizeof n);
        k += char(m.next.size());
        k.append(m.next.begin(), m.next.end());
        for (const Insn& in : m.insns) {
            // The handler by name (stable across runs of one build), not by address.
            auto [it, fresh] = names_.try_emplace(in.fn);
            if (fresh) {
                const char* symbol = handler_symbol(in.fn);
                it->second = symbol ? symbol : "?"; // such a block is never translated
            }
            k += it->second;
            k += '\0';
            Insn copy = in;
            copy.fn = nullptr;
            k.append(reinterpret_cast<const char*>(&copy), sizeof copy);
        }
    }
    return k;
}

uint64_t CodeCache::key_hash(const std::string& key) { return XXH3_64bits(key.data(), key.size()); }

std::string CodeCache::path(const std::string& key) const {
    return fmt::format("{}/{:016x}.o", dir_, key_hash(key));
}

std::optional<std::string> CodeCache::load(const std::string& key) const {
    if (!enabled()) return std::nullopt;
    std::ifstream in(path(key), std::ios::binary);
    if (!in) return std::nullopt;
    std::stringstream ss;
    ss << in.rdbuf();
    std::string file = ss.str();
    Header h;
    if (file.size() < sizeof h) return std::nullopt;
    std::memcpy(&h, file.data(), sizeof h);
    if (std::memcmp(h.magic, kMagic, sizeof kMagic) != 0 || h.key_size != key.size() ||
        file.size() != sizeof h + h.key_size + h.object_size ||
        file.compare(sizeof h, key.size(), key) != 0)
        return std::nullopt;
    std::string object = file.substr(sizeof h + key.size());
    if (XXH3_64bits(object.data(), object.size()) != h.object_hash) return std::nullopt;
    return object;
}

void CodeCache::store(const std::string& key, const std::string& object) const {
    if (!enabled()) return;
    Header h{};
    std::memcpy(h.magic, kMagic, sizeof kMagic);
    h.key_size = key.size();
    h.object_size = object.size();
    h.object_hash = XXH3_64bits(object.data(), object.size());
    std::string final_path = path(key);
    std::string tmp = fmt::format("{}.{}.tmp", final_path, getpid());
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        out.write(reinterpret_cast<const char*>(&h), sizeof h);
        out << key << object;
        if (!out) {
            std::filesystem::remove(tmp);
            return;
        }
    }
    std::error_code ec;
    std::filesystem::rename(tmp, final_path, ec);
    if (ec) std::filesystem::remove(tmp, ec);
}

} // namespace rr86::jit
