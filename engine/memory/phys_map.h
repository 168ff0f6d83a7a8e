// PhysMap: the guest-physical address space of the machine (RAM, ROM, MMIO, unassigned).
//
// Regions are page-granular (4 KiB) and may overlap; the region mapped last wins, which is how the
// i440FX PAM registers overlay shadow RAM and the BIOS alias below 1 MiB. Each page resolves to a
// host pointer for reads and one for writes (either may be null: MMIO, ROM writes, unassigned).
// Unassigned reads return all ones and writes are dropped, as on a PC bus.
//
// The CPU caches these resolutions (TLB, decoded blocks). Any change of the map bumps
// generation(), and every cache keyed on it is flushed.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace rr86 {

constexpr uint32_t kPageSize = 4096;
constexpr uint32_t kPageMask = ~(kPageSize - 1);

class MmioHandler {
  public:
    virtual ~MmioHandler() = default;
    virtual uint32_t mmio_read(uint64_t offset, unsigned size) = 0;
    virtual void mmio_write(uint64_t offset, unsigned size, uint32_t value) = 0;
};

struct PageTarget {
    uint8_t* read = nullptr;  // host address of the page for reads, or null
    uint8_t* write = nullptr; // host address of the page for writes, or null
    MmioHandler* mmio = nullptr;
    uint64_t mmio_offset = 0; // offset of this page inside the MMIO region
};

class PhysMap {
  public:
    explicit PhysMap(uint64_t ram_bytes);
    ~PhysMap();
    PhysMap(const PhysMap&) = delete;
    PhysMap& operator=(const PhysMap&) = delete;

    uint8_t* ram() { return ram_; }
    uint64_t ram_size() const { return ram_size_; }

    // Maps [start, start+size) to host memory. `write` may be null (ROM) or differ from `read`
    // (PAM "read ROM, write RAM").
    void map_memory(uint64_t start, uint64_t size, uint8_t* read, uint8_t* write,
                    std::string name);
    void map_mmio(uint64_t start, uint64_t size, MmioHandler* handler, std::string name);
    // Removes every region named `name`.
    void unmap(const std::string& name);

    PageTarget lookup(uint64_t paddr) const;
    uint64_t generation() const { return generation_; }

    // Byte-exact physical accesses used by slow paths, DMA and debuggers. Sizes 1, 2, 4.
    uint32_t read(uint64_t paddr, unsigned size);
    void write(uint64_t paddr, unsigned size, uint32_t value);
    // Bulk copy for DMA; false (and nothing copied) if any byte is outside RAM.
    bool read_ram(uint64_t paddr, void* dst, uint64_t len) const;
    bool write_ram(uint64_t paddr, const void* src, uint64_t len);

    // Pages of RAM ever written (every write path marks them: the CPU's TLB fill and slow path,
    // DMA). Pages never written are still the zeros mmap gave, so a state hash can skip them
    // without touching (and faulting in) 128 MiB.
    void note_write(const uint8_t* host) {
        if (host >= ram_ && host < ram_ + ram_size_) written_pages_[uint64_t(host - ram_) / kPageSize] = 1;
    }
    bool page_written(uint64_t page_index) const { return written_pages_[page_index]; }

    // Decoded-code tracking, per page of RAM (SMC detection). A page marked as code gets no write
    // fast path; a write to it calls the code-write hook.
    bool is_ram(const uint8_t* host) const { return host >= ram_ && host < ram_ + ram_size_; }
    bool is_code_page(const uint8_t* host) const;
    void mark_code_page(const uint8_t* host);
    void clear_code_page(const uint8_t* host);
    std::function<void(uint64_t ram_offset, uint64_t len)> on_code_write;

    // Sees every access that does not go to plain memory: MMIO and unassigned space (reads of
    // unassigned space return all ones). Record/replay logs and checks them.
    std::function<void(uint64_t paddr, unsigned size, bool write, uint32_t value)> mmio_observer;

  private:
    struct Region {
        uint64_t start, end;
        uint8_t* read;
        uint8_t* write;
        MmioHandler* mmio;
        std::string name;
    };
    const Region* find(uint64_t paddr) const;
    void write_slow(uint8_t* host, uint64_t paddr, unsigned size, uint32_t value);

    uint8_t* ram_;
    uint64_t ram_size_;
    std::vector<Region> regions_; // later entries take priority
    std::vector<uint8_t> code_pages_;
    std::vector<uint8_t> written_pages_;
    uint64_t generation_ = 1;
};

} // namespace rr86
