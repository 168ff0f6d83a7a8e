#include "engine/memory/phys_map.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <sys/mman.h>

namespace rr86 {

PhysMap::PhysMap(uint64_t ram_bytes) : ram_size_(ram_bytes) {
    // mmap gives zeroed, lazily committed memory: a 128 MiB guest costs only what it touches.
    void* p = mmap(nullptr, ram_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::runtime_error("cannot allocate guest RAM");
    ram_ = static_cast<uint8_t*>(p);
    code_pages_.assign(ram_bytes / kPageSize, 0);
    written_pages_.assign(ram_bytes / kPageSize, 0);
}

PhysMap::~PhysMap() { munmap(ram_, ram_size_); }

void PhysMap::map_memory(uint64_t start, uint64_t size, uint8_t* read, uint8_t* write,
                         std::string name) {
    regions_.push_back({start, start + size, read, write, nullptr, std::move(name)});
    ++generation_;
}

void PhysMap::map_mmio(uint64_t start, uint64_t size, MmioHandler* handler, std::string name) {
    regions_.push_back({start, start + size, nullptr, nullptr, handler, std::move(name)});
    ++generation_;
}

void PhysMap::unmap(const std::string& name) {
    std::erase_if(regions_, [&](const Region& r) { return r.name == name; });
    ++generation_;
}

const PhysMap::Region* PhysMap::find(uint64_t paddr) const {
    for (auto it = regions_.rbegin(); it != regions_.rend(); ++it)
        if (paddr >= it->start && paddr < it->end) return &*it;
    return nullptr;
}

PageTarget PhysMap::lookup(uint64_t paddr) const {
    const Region* r = find(paddr);
    if (!r) return {};
    uint64_t page = (paddr & ~uint64_t(kPageSize - 1)) - r->start;
    PageTarget t;
    if (r->mmio) {
        t.mmio = r->mmio;
        t.mmio_offset = page;
        return t;
    }
    t.read = r->read ? r->read + page : nullptr;
    t.write = r->write ? r->write + page : nullptr;
    return t;
}

uint32_t PhysMap::read(uint64_t paddr, unsigned size) {
    uint32_t v = 0;
    for (unsigned done = 0; done < size;) {
        // Split at page boundaries: the two halves may belong to different regions.
        unsigned in_page = std::min<unsigned>(size - done, kPageSize - ((paddr + done) & 0xfff));
        PageTarget t = lookup(paddr + done);
        uint32_t part;
        if (t.read) {
            part = 0;
            std::memcpy(&part, t.read + ((paddr + done) & 0xfff), in_page);
        } else {
            part = t.mmio ? t.mmio->mmio_read(t.mmio_offset + ((paddr + done) & 0xfff), in_page)
                          : 0xffffffffu;
            if (in_page < 4) part &= (1u << (in_page * 8)) - 1;
            if (mmio_observer) mmio_observer(paddr + done, in_page, false, part);
        }
        if (in_page < 4) part &= (1u << (in_page * 8)) - 1;
        v |= part << (done * 8);
        done += in_page;
    }
    return v;
}

void PhysMap::write(uint64_t paddr, unsigned size, uint32_t value) {
    for (unsigned done = 0; done < size;) {
        unsigned in_page = std::min<unsigned>(size - done, kPageSize - ((paddr + done) & 0xfff));
        PageTarget t = lookup(paddr + done);
        uint32_t part = value >> (done * 8);
        if (t.write) {
            write_slow(t.write + ((paddr + done) & 0xfff), paddr + done, in_page, part);
        } else {
            if (in_page < 4) part &= (1u << (in_page * 8)) - 1;
            if (t.mmio) t.mmio->mmio_write(t.mmio_offset + ((paddr + done) & 0xfff), in_page, part);
            if (mmio_observer) mmio_observer(paddr + done, in_page, true, part);
        }
        done += in_page;
    }
}

void PhysMap::write_slow(uint8_t* host, uint64_t paddr, unsigned size, uint32_t value) {
    note_write(host);
    std::memcpy(host, &value, size);
    if (is_code_page(host) && on_code_write) on_code_write(uint64_t(host - ram_), size);
}

bool PhysMap::read_ram(uint64_t paddr, void* dst, uint64_t len) const {
    if (paddr > ram_size_ || len > ram_size_ - paddr) return false;
    std::memcpy(dst, ram_ + paddr, len);
    return true;
}

bool PhysMap::write_ram(uint64_t paddr, const void* src, uint64_t len) {
    if (paddr > ram_size_ || len > ram_size_ - paddr) return false;
    std::memcpy(ram_ + paddr, src, len);
    for (uint64_t page = paddr & kPageMask; page < paddr + len; page += kPageSize) {
        written_pages_[page / kPageSize] = 1;
        if (code_pages_[page / kPageSize] && on_code_write) {
            uint64_t lo = std::max(page, paddr), hi = std::min(page + kPageSize, paddr + len);
            on_code_write(lo, hi - lo);
        }
    }
    return true;
}

bool PhysMap::is_code_page(const uint8_t* host) const {
    if (host < ram_ || host >= ram_ + ram_size_) return false;
    return code_pages_[uint64_t(host - ram_) / kPageSize];
}

void PhysMap::mark_code_page(const uint8_t* host) {
    if (host >= ram_ && host < ram_ + ram_size_) code_pages_[uint64_t(host - ram_) / kPageSize] = 1;
}

void PhysMap::clear_code_page(const uint8_t* host) {
    if (host >= ram_ && host < ram_ + ram_size_) code_pages_[uint64_t(host - ram_) / kPageSize] = 0;
}

} // namespace rr86
