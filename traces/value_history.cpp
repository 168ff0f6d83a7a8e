#include "traces/value_history.h"

#include <algorithm>

namespace rr86::trace {

void ValueHistory::clear() {
    if (used_ == 0) return;
    std::fill(table_.begin(), table_.end(), Entry{});
    used_ = 0;
}

size_t ValueHistory::slot(uint8_t tag, uint64_t address) const {
    uint64_t h = (address ^ (uint64_t{tag} << 56)) * 0x9e3779b97f4a7c15ull;
    size_t mask = table_.size() - 1;
    size_t i = static_cast<size_t>(h >> 32) & mask;
    while (table_[i].used && (table_[i].address != address || table_[i].tag != tag))
        i = (i + 1) & mask;
    return i;
}

void ValueHistory::grow() {
    std::vector<Entry> old(table_.size() * 2);
    old.swap(table_);
    for (const Entry& e : old) {
        if (e.used) table_[slot(e.tag, e.address)] = e;
    }
}

uint64_t& ValueHistory::previous(uint8_t tag, uint64_t address) {
    if ((used_ + 1) * 2 > table_.size()) grow(); // before probing: the reference must stay valid
    Entry& e = table_[slot(tag, address)];
    if (!e.used) {
        e = Entry{address, 0, tag, true};
        ++used_;
    }
    return e.value;
}

} // namespace rr86::trace
