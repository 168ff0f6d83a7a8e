#include "engine/cpu/block_cache.h"

namespace rr86 {

Block* BlockCache::find(const uint8_t* start, CodeMode mode) const {
    auto it = map_.find(key(start, mode));
    return it == map_.end() ? nullptr : it->second.get();
}

Block* BlockCache::insert(std::unique_ptr<Block> b) {
    uint64_t k = key(b->start, b->mode);
    Block* raw = b.get();
    if (b->host) by_page_[b->host].push_back(k);
    map_[k] = std::move(b);
    return raw;
}

void BlockCache::invalidate_page(const uint8_t* page) {
    auto it = by_page_.find(page);
    if (it == by_page_.end()) return;
    for (uint64_t k : it->second) {
        auto b = map_.find(k);
        if (b == map_.end()) continue;
        graveyard_.push_back(std::move(b->second));
        map_.erase(b);
    }
    by_page_.erase(it);
    ++epoch_;
}

void BlockCache::invalidate_untracked() {
    bool any = false;
    for (auto it = map_.begin(); it != map_.end();) {
        if (it->second->host) {
            ++it;
            continue;
        }
        graveyard_.push_back(std::move(it->second));
        it = map_.erase(it);
        any = true;
    }
    if (any) ++epoch_;
}

void BlockCache::invalidate_all() {
    for (auto& [k, b] : map_) graveyard_.push_back(std::move(b));
    map_.clear();
    by_page_.clear();
    ++epoch_;
}

} // namespace rr86
