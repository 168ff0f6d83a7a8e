// TraceWriter: records a session into a trace file.
//
// Threads: one producer (the vCPU thread, which stamps every event with its icount; determinism
// contract, item 3) appends events; a writer thread of the TraceWriter's own packs, compresses and
// writes them. Appending an access is a few stores into a preallocated batch: no lock, no system
// call, no compression. A full batch is handed to the writer thread (one lock per batch).
//
// Durability: the writer thread writes whatever has been appended at least every
// `flush_interval` (100 ms), and at once after every host-side event, so a recorder killed with
// SIGKILL loses at most that much; TraceReader recovers every complete chunk and
// `rr86 trace repair` writes the index back. close() writes the index and trailer and syncs.
#pragma once

#include "traces/batch.h"
#include "traces/digest.h"
#include "traces/event.h"
#include "traces/header.h"
#include "traces/result.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

namespace rr86::trace {

struct WriterOptions {
    uint32_t events_per_chunk = 1u << 16;
    std::chrono::milliseconds flush_interval{100};
    int zstd_level = 1;
    // Batches in flight before the producer waits for the writer (bounds memory at about
    // max_batches x 2 MiB; a producer that outruns the disk is slowed, never allowed to drop).
    uint32_t max_batches = 8;
    bool sync_on_close = true; // fdatasync in close()
};

struct WriterStats {
    uint64_t events = 0; // written to the file
    uint64_t chunks = 0; // event and data chunks
    uint64_t file_bytes = 0;
    uint64_t producer_waits = 0; // times the producer waited for a free batch
    double writer_cpu_seconds = 0;
};

class TraceWriter {
  public:
    // Creates (truncates) `path` and writes the prologue and header at once, so a bad path fails
    // here. The header's version fields are set by the writer.
    static Result<std::unique_ptr<TraceWriter>> create(const std::string& path, Header header,
                                                       WriterOptions options = {});
    ~TraceWriter(); // closes the file if close() was not called
    TraceWriter(const TraceWriter&) = delete;
    TraceWriter& operator=(const TraceWriter&) = delete;

    // ---- producer API: one thread, events in non-decreasing icount order ----
    void port_access(uint64_t icount, uint16_t port, uint8_t size, bool write, uint32_t value) {
        push_access(SlotKind::Port, icount, port, size, write, value);
    }
    void mmio_access(uint64_t icount, uint64_t address, uint8_t size, bool write, uint64_t value) {
        push_access(SlotKind::Mmio, icount, address, size, write, value);
    }
    // Any event; host-side events (is_host_side) also flush.
    void append(uint64_t icount, Payload payload);
    void append(const Event& event) { append(event.icount, event.payload); }
    // Bulk bytes (disk sectors read, snapshot pages), stored once per file however often they
    // are added. Returns the digest to put in the event that refers to them (DiskRead::data).
    Digest128 add_data(std::span<const uint8_t> bytes);
    // Asks the writer thread to write everything appended so far now (does not wait).
    void flush();
    // Writes everything, then the index and trailer; syncs; joins the writer thread. Returns the
    // first error the writer met (a failed write, an event out of icount order). Idempotent. No
    // appends after it.
    Status close();

    // True once the writer thread has met an error; appends are then discarded.
    bool failed() const { return failed_.load(std::memory_order_relaxed); }
    WriterStats stats() const; // final after close()
    const std::string& path() const { return path_; }

  private:
    struct Shared;
    class Thread;

    TraceWriter(std::string path, WriterOptions options);
    void push_access(SlotKind kind, uint64_t icount, uint64_t address, uint8_t size, bool write,
                     uint64_t value) {
        Batch* b = current_;
        uint32_t n = b->size;
        Slot& s = b->slots[n];
        s.icount = icount;
        s.address = address;
        s.value = value;
        s.kind = kind;
        s.size = size;
        s.write = write;
        b->size = n + 1;
        b->published.store(n + 1, std::memory_order_release);
        if (b->full()) [[unlikely]]
            hand_off();
    }
    void make_room(SlotKind kind, uint64_t blob_size);
    void publish_slot(SlotKind kind, uint64_t icount, uint64_t index);
    void hand_off();

    std::string path_;
    WriterOptions options_;
    Batch* current_ = nullptr; // the producer's batch; swapped under shared_->mutex
    std::unique_ptr<Shared> shared_;
    std::unique_ptr<Thread> thread_;
    std::atomic<bool> failed_{false};
    Status producer_error_; // a blob too big for any batch
    bool closed_ = false;
    Status close_status_;
};

} // namespace rr86::trace
