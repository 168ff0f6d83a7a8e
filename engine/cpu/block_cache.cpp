#include "engine/cpu/block_cache.h"

#include <algorithm>

namespace rr86 {

Block* BlockCache::find(const uint8_t* start, CodeMode mode) const {
    auto it = map_.find(key(start, mode));
    return it == map_.end() ? nullptr : it->second.get();
}

Block* BlockCache::insert(std::unique_ptr<Block> b) {
    uint64_t k = key(b->start, b->mode);
    Block* raw = b.get();
    if (b->host) {
        PageBlocks& p = by_page_[b->host];
        p.keys.push_back(k);
        p.cover(*b);
    }
    map_[k] = std::move(b);
    return raw;
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

bool BlockCache::invalidate_range(const uint8_t* page, const uint8_t* lo, const uint8_t* hi,
                                  bool& page_empty) {
    auto it = by_page_.find(page);
    if (it == by_page_.end()) {
        page_empty = true;
        return false;
    }
    PageBlocks& p = it->second;
    size_t first = size_t(lo - page), last = std::min<size_t>(size_t(hi - page), kPageSize);
    bool touched = false;
    for (size_t i = first; i < last && !touched; ++i)
        touched = p.covered[i];
    if (!touched) {
        page_empty = false;
        return false;
    }
    std::vector<uint64_t>& keys = p.keys;
    p.covered.reset();
    bool dropped = false;
    for (size_t i = 0; i < keys.size();) {
        auto b = map_.find(keys[i]);
        if (b == map_.end()) { // dropped earlier by another path
            keys[i] = keys.back();
            keys.pop_back();
            continue;
        }
        Block& blk = *b->second;
        if (blk.start < hi && lo < blk.start + blk.bytes) {
            graveyard_.push_back(std::move(b->second));
            map_.erase(b);
            keys[i] = keys.back();
            keys.pop_back();
            dropped = true;
            continue;
        }
        // A region's code also holds the instructions of its other members.
        if (blk.jit && blk.region.size() > 1 && page + blk.region_lo < hi &&
            lo < page + blk.region_hi) {
            dead_code_.push_back(blk.take_code());
        }
        p.cover(blk);
        ++i;
    }
    page_empty = keys.empty();
    if (page_empty) by_page_.erase(it);
    if (dropped) ++epoch_;
    return dropped;
}

void BlockCache::PageBlocks::cover(const Block& b) {
    size_t off = size_t(b.start - b.host);
    for (size_t i = off; i < off + b.bytes && i < kPageSize; ++i)
        covered.set(i);
}

void BlockCache::invalidate_all() {
    for (auto& [k, b] : map_)
        graveyard_.push_back(std::move(b));
    map_.clear();
    by_page_.clear();
    ++epoch_;
}

} // namespace rr86
