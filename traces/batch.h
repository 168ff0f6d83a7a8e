// The producer side's buffer: a fixed-capacity batch of events the vCPU thread fills without
// locks or system calls, then hands whole to the writer thread. Internal to the trace library.
//
// Sharing rule: the producer writes slot i (and the record or blob it names), then publishes
// i + 1 with a release store. The writer thread reads only slots below the published count, so it
// may write out a prefix of the batch the producer is still filling (the 100 ms flush) without a
// lock; `written` (writer-only) remembers how far it got.
#pragma once

#include "traces/digest.h"
#include "traces/event.h"

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

namespace rr86::trace {

enum class SlotKind : uint8_t { Port, Mmio, Record, Blob };

struct Slot {
    uint64_t icount;
    uint64_t address; // port, physical address, or index into records / blobs
    uint64_t value;
    SlotKind kind;
    uint8_t size;
    bool write;
};

struct BlobSlot {
    Digest128 digest;
    std::vector<uint8_t> bytes;
};

struct BatchLimits {
    uint32_t slots = 1u << 16;
    uint32_t records = 1u << 12;
    uint32_t blobs = 1u << 10;
    uint64_t blob_bytes = 32u << 20;
};

class Batch {
  public:
    explicit Batch(const BatchLimits& limits)
        : limits(limits), slots(new Slot[limits.slots]), records(new Payload[limits.records]),
          blobs(new BlobSlot[limits.blobs]) {}

    // Producer side: room for one more slot of this kind (and blob size)?
    bool has_room(SlotKind kind, uint64_t blob_size = 0) const {
        if (size >= limits.slots) return false;
        if (kind == SlotKind::Record) return record_count < limits.records;
        if (kind == SlotKind::Blob)
            return blob_count < limits.blobs && blob_bytes + blob_size <= limits.blob_bytes;
        return true;
    }
    bool full() const { return size >= limits.slots; }

    // Writer side, before the batch goes back to the free list.
    void reset() {
        for (uint32_t i = 0; i < record_count; ++i)
            records[i] = Payload{};
        for (uint32_t i = 0; i < blob_count; ++i)
            blobs[i].bytes.clear();
        size = record_count = blob_count = 0;
        blob_bytes = 0;
        written = 0;
        published.store(0, std::memory_order_relaxed);
    }

    const BatchLimits limits;
    std::unique_ptr<Slot[]> slots;
    std::unique_ptr<Payload[]> records;
    std::unique_ptr<BlobSlot[]> blobs;
    // Producer-only.
    uint32_t size = 0;
    uint32_t record_count = 0;
    uint32_t blob_count = 0;
    uint64_t blob_bytes = 0;
    // Shared: slots below this are complete.
    std::atomic<uint32_t> published{0};
    // Writer-only.
    uint32_t written = 0;
};

} // namespace rr86::trace
