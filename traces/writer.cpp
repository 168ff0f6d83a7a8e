#include "traces/writer.h"

#include "traces/chunk_encoder.h"
#include "traces/file_sink.h"
#include "traces/format.h"
#include "traces/index.h"
#include "traces/schema_codec.h"
#include "traces/signals.h"

#include <capnp/message.h>

#include <time.h>

namespace rr86::trace {

namespace {

using Clock = std::chrono::steady_clock;

double thread_cpu_seconds() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

Result<std::vector<uint8_t>> encode_start(Header& header) {
    // What a reader would refuse is not written.
    if (header.options.size() > kMaxHeaderEntries || header.images.size() > kMaxHeaderEntries)
        return make_error("header with {} options and {} images (at most {} each)",
                          header.options.size(), header.images.size(), kMaxHeaderEntries);
    header.format_version = kFormatVersion;
    header.min_reader_version = kWriterMinReaderVersion;
    capnp::MallocMessageBuilder message;
    set_header(message.initRoot<schema::Header>(), header);
    Prologue prologue;
    std::vector<uint8_t> body = pack_message(message, prologue.header_words);
    if (body.size() > kMaxHeaderBytes)
        return make_error("header of {} bytes too large", body.size());
    prologue.header_bytes = static_cast<uint32_t>(body.size());
    prologue.header_checksum = checksum64(body.data(), body.size());
    std::vector<uint8_t> bytes(Prologue::kSize);
    prologue.encode(bytes.data());
    bytes.insert(bytes.end(), body.begin(), body.end());
    return bytes;
}

BatchLimits batch_limits() {
    BatchLimits limits;
    limits.blob_bytes = 16u << 20;
    return limits;
}

} // namespace

// State shared by the producer and the writer thread, under `mutex`.
struct TraceWriter::Shared {
    std::mutex mutex;
    std::condition_variable work; // the writer thread waits here
    std::condition_variable room; // the producer waits here for a free batch
    std::vector<Batch*> full;     // handed off, oldest first
    std::vector<Batch*> free;
    std::vector<std::unique_ptr<Batch>> owned;
    Batch* current = nullptr; // the producer's batch
    bool closing = false;
    bool flush_requested = false;
    uint64_t producer_waits = 0;
};

// The writer thread: takes batches, encodes them into chunks, appends them to the file.
class TraceWriter::Thread {
  public:
    Thread(Shared& shared, FileSink sink, const WriterOptions& options, std::atomic<bool>& failed)
        : shared_(shared), sink_(std::move(sink)), options_(options), failed_(failed),
          encoder_(options.zstd_level, options.events_per_chunk) {}

    void start() {
        thread_ = std::thread([this] { run(); });
    }
    void join() { thread_.join(); }
    Status status() const { return status_; }
    WriterStats stats() const {
        WriterStats s;
        s.events = encoder_.events();
        s.chunks = index_.chunks().size();
        s.file_bytes = sink_.offset();
        s.writer_cpu_seconds = cpu_seconds_;
        return s;
    }

  private:
    void run() {
        auto deadline = Clock::now() + options_.flush_interval;
        std::unique_lock lock(shared_.mutex);
        for (;;) {
            shared_.work.wait_until(lock, deadline, [&] {
                return !shared_.full.empty() || shared_.closing || shared_.flush_requested ||
                       new_signal();
            });
            std::vector<Batch*> batches;
            batches.swap(shared_.full);
            Batch* current = shared_.current;
            bool closing = shared_.closing;
            bool signal = new_signal(); // read once: a signal between two reads would be lost
            bool flush_now = shared_.flush_requested || Clock::now() >= deadline || signal;
            shared_.flush_requested = false;
            signal_seen_ = signal_seen_ || signal;
            lock.unlock();

            for (Batch* b : batches)
                write_range(*b, b->published.load(std::memory_order_acquire));
            // The producer may still be filling `current`: write its published prefix.
            if (flush_now || closing)
                write_range(*current, current->published.load(std::memory_order_acquire));
            for (Batch* b : batches)
                b->reset();

            lock.lock();
            shared_.free.insert(shared_.free.end(), batches.begin(), batches.end());
            if (!batches.empty()) shared_.room.notify_all();
            if (closing) break;
            if (flush_now) deadline = Clock::now() + options_.flush_interval;
        }
        lock.unlock();
        finish();
        cpu_seconds_ = thread_cpu_seconds();
    }

    bool new_signal() const { return !signal_seen_ && CloseSignals::requested() != 0; }

    void write_range(Batch& batch, uint32_t end) {
        if (end <= batch.written) return;
        uint32_t begin = batch.written;
        batch.written = end;
        if (failed_.load(std::memory_order_relaxed)) return; // discard: the file stays as it was
        if (auto st = encoder_.encode(batch, begin, end, sink_.offset(), out_, index_); !st)
            fail(st, false);
        emit();
    }

    void emit() {
        if (out_.empty()) return;
        if (!io_failed_) {
            if (auto st = sink_.write(out_); !st) fail(st, true);
        }
        out_.clear();
    }

    // Even after an encoding error the index is written, so the file stays readable up to it.
    void finish() {
        if (!io_failed_) {
            auto footer = index_.encode_footer(sink_.offset());
            if (!footer)
                fail(footer.status(), false);
            else
                out_ = std::move(*footer);
            emit();
            if (!io_failed_ && options_.sync_on_close) {
                if (auto st = sink_.sync(); !st) fail(st, true);
            }
        }
        if (auto st = sink_.close(); !st) fail(st, true);
    }

    void fail(const Status& st, bool io) {
        if (status_.ok()) status_ = st;
        io_failed_ = io_failed_ || io;
        failed_.store(true, std::memory_order_relaxed);
    }

    Shared& shared_;
    FileSink sink_;
    WriterOptions options_;
    std::atomic<bool>& failed_;
    ChunkEncoder encoder_;
    TraceIndex index_;
    std::vector<uint8_t> out_;
    Status status_;
    bool io_failed_ = false;
    bool signal_seen_ = false;
    double cpu_seconds_ = 0;
    std::thread thread_;
};

TraceWriter::TraceWriter(std::string path, WriterOptions options)
    : path_(std::move(path)), options_(options), shared_(std::make_unique<Shared>()) {}

TraceWriter::~TraceWriter() { (void)close(); }

Result<std::unique_ptr<TraceWriter>> TraceWriter::create(const std::string& path, Header header,
                                                         WriterOptions options) {
    if (options.events_per_chunk == 0 || options.events_per_chunk > kMaxChunkCount)
        return make_error("{}: events_per_chunk {} out of range", path, options.events_per_chunk);
    options.max_batches = std::max<uint32_t>(options.max_batches, 2);
    auto start = encode_start(header);
    if (!start) return make_error("{}: {}", path, start.message());
    auto sink = FileSink::create(path);
    if (!sink) return sink.error();
    if (auto st = sink->write(*start); !st) return st.error();

    std::unique_ptr<TraceWriter> writer(new TraceWriter(path, options));
    Shared& shared = *writer->shared_;
    shared.owned.push_back(std::make_unique<Batch>(batch_limits()));
    shared.current = writer->current_ = shared.owned.back().get();
    writer->thread_ = std::make_unique<Thread>(shared, std::move(*sink), options, writer->failed_);
    writer->thread_->start();
    return writer;
}

void TraceWriter::append(uint64_t icount, Payload payload) {
    if (auto* p = std::get_if<PortAccess>(&payload))
        return port_access(icount, p->port, p->size, p->write, p->value);
    if (auto* m = std::get_if<MmioAccess>(&payload))
        return mmio_access(icount, m->address, m->size, m->write, m->value);
    // An event of a kind this rr86 does not know has no encoding; it can only come from reading
    // a newer trace, and is not copied.
    if (std::holds_alternative<UnknownEvent>(payload)) return;
    bool host_side = is_host_side(static_cast<EventKind>(payload.index()));
    make_room(SlotKind::Record, 0);
    Batch* b = current_;
    b->records[b->record_count] = std::move(payload);
    publish_slot(SlotKind::Record, icount, b->record_count++);
    if (host_side) flush();
}

Digest128 TraceWriter::add_data(std::span<const uint8_t> bytes) {
    Digest128 digest = digest_of(bytes);
    if (bytes.size() > current_->limits.blob_bytes) {
        if (producer_error_.ok())
            producer_error_ = make_error("{}: blob of {} bytes is larger than the {} bytes a "
                                         "batch holds",
                                         path_, bytes.size(), current_->limits.blob_bytes);
        failed_.store(true, std::memory_order_relaxed);
        return digest;
    }
    make_room(SlotKind::Blob, bytes.size());
    Batch* b = current_;
    BlobSlot& blob = b->blobs[b->blob_count];
    blob.digest = digest;
    blob.bytes.assign(bytes.begin(), bytes.end());
    b->blob_bytes += bytes.size();
    publish_slot(SlotKind::Blob, 0, b->blob_count++);
    return digest;
}

void TraceWriter::make_room(SlotKind kind, uint64_t blob_size) {
    if (!current_->has_room(kind, blob_size)) hand_off();
}

void TraceWriter::publish_slot(SlotKind kind, uint64_t icount, uint64_t index) {
    Batch* b = current_;
    uint32_t n = b->size;
    b->slots[n] = Slot{icount, index, 0, kind, 0, false};
    b->size = n + 1;
    b->published.store(n + 1, std::memory_order_release);
    if (b->full()) hand_off();
}

void TraceWriter::hand_off() {
    std::unique_lock lock(shared_->mutex);
    shared_->full.push_back(current_);
    Batch* next = nullptr;
    while (!next) {
        if (!shared_->free.empty()) {
            next = shared_->free.back();
            shared_->free.pop_back();
        } else if (shared_->owned.size() < options_.max_batches) {
            shared_->owned.push_back(std::make_unique<Batch>(batch_limits()));
            next = shared_->owned.back().get();
        } else {
            ++shared_->producer_waits;
            shared_->work.notify_one();
            shared_->room.wait(lock);
        }
    }
    shared_->current = current_ = next;
    lock.unlock();
    shared_->work.notify_one();
}

void TraceWriter::flush() {
    {
        std::lock_guard lock(shared_->mutex);
        shared_->flush_requested = true;
    }
    shared_->work.notify_one();
}

Status TraceWriter::close() {
    if (closed_) return close_status_;
    closed_ = true;
    {
        std::lock_guard lock(shared_->mutex);
        shared_->closing = true;
    }
    shared_->work.notify_one();
    thread_->join();
    close_status_ = producer_error_.ok() ? thread_->status() : producer_error_;
    return close_status_;
}

WriterStats TraceWriter::stats() const {
    WriterStats s;
    if (closed_) s = thread_->stats(); // the writer thread owns these until it is joined
    std::lock_guard lock(shared_->mutex);
    s.producer_waits = shared_->producer_waits;
    return s;
}

} // namespace rr86::trace
