#include "traces/chunk_encoder.h"

#include "traces/schema_codec.h"

#include <capnp/message.h>

namespace rr86::trace {

namespace {

// Data chunks are cut at this many blob bytes: big enough to compress well, small enough that
// fetching one blob does not decompress much else.
constexpr uint64_t kDataChunkBytes = 4u << 20;

bool is_event(SlotKind kind) { return kind != SlotKind::Blob; }

} // namespace

ChunkEncoder::ChunkEncoder(int zstd_level, uint32_t events_per_chunk)
    : codec_(zstd_level), events_per_chunk_(events_per_chunk),
      scratch_words_(size_t{events_per_chunk} * 4 + 4096) {
    scratch_.reset(new capnp::word[scratch_words_]());
}

Status ChunkEncoder::encode(const Batch& batch, uint32_t begin, uint32_t end, uint64_t base,
                            std::vector<uint8_t>& out, TraceIndex& index) {
    while (begin < end) {
        uint32_t stop = run_end(batch, begin, end);
        run_anchor_ = last_icount_;
        if (auto st = check_run(batch, begin, stop); !st) return st;
        if (auto st = encode_blobs(batch, begin, stop, base, out, index); !st) return st;
        if (auto st = encode_events(batch, begin, stop, base, out, index); !st) return st;
        begin = stop;
    }
    return {};
}

uint32_t ChunkEncoder::run_end(const Batch& batch, uint32_t begin, uint32_t end) const {
    uint32_t events = 0;
    uint32_t i = begin;
    for (; i < end; ++i) {
        if (!is_event(batch.slots[i].kind)) continue;
        if (events == events_per_chunk_) break;
        ++events;
    }
    return i;
}

// The producer API does no checking (it must stay cheap); a bad event is caught here, before
// anything of it reaches the file, and stops the writer with an error naming it.
Status ChunkEncoder::check_run(const Batch& batch, uint32_t begin, uint32_t end) {
    for (uint32_t i = begin; i < end; ++i) {
        const Slot& s = batch.slots[i];
        if (!is_event(s.kind)) continue;
        if (s.icount < last_icount_)
            return make_error("event at icount {} comes after icount {}: events must be "
                              "appended in icount order",
                              s.icount, last_icount_);
        last_icount_ = s.icount;
        if (s.kind == SlotKind::Record) continue;
        uint8_t cls = s.kind == SlotKind::Port ? kTagClassPort : kTagClassMmio;
        if (!valid_access_size(cls, s.size))
            return make_error("access at icount {} has size {}", s.icount, s.size);
        if (s.size < 8 && (s.value >> (s.size * 8)) != 0)
            return make_error("access at icount {}: value {:#x} wider than {} bytes", s.icount,
                              s.value, s.size);
    }
    return {};
}

Status ChunkEncoder::encode_blobs(const Batch& batch, uint32_t begin, uint32_t end, uint64_t base,
                                  std::vector<uint8_t>& out, TraceIndex& index) {
    std::vector<uint32_t> pending;
    uint64_t bytes = 0;
    for (uint32_t i = begin; i < end; ++i) {
        if (batch.slots[i].kind != SlotKind::Blob) continue;
        const BlobSlot& blob = batch.blobs[batch.slots[i].address];
        if (!written_blobs_.insert(blob.digest).second) continue; // stored once per file
        pending.push_back(static_cast<uint32_t>(batch.slots[i].address));
        bytes += blob.bytes.size();
        if (bytes >= kDataChunkBytes) {
            if (auto st = write_data_chunk(batch, pending, base, out, index); !st) return st;
            pending.clear();
            bytes = 0;
        }
    }
    if (pending.empty()) return {};
    return write_data_chunk(batch, pending, base, out, index);
}

Status ChunkEncoder::write_data_chunk(const Batch& batch, const std::vector<uint32_t>& blobs,
                                      uint64_t base, std::vector<uint8_t>& out,
                                      TraceIndex& index) {
    capnp::MallocMessageBuilder message;
    auto list = message.initRoot<schema::DataChunk>().initBlobs(static_cast<unsigned>(blobs.size()));
    for (unsigned i = 0; i < list.size(); ++i) {
        const BlobSlot& blob = batch.blobs[blobs[i]];
        set_digest(list[i].initDigest(), blob.digest);
        list[i].setBytes(kj::arrayPtr(blob.bytes.data(), blob.bytes.size()));
    }
    ChunkFrame frame;
    frame.kind = ChunkKind::Data;
    frame.count = static_cast<uint32_t>(blobs.size());
    frame.first_icount = frame.last_icount = run_anchor_;
    uint64_t offset = base + out.size();
    auto written = codec_.append(message, frame, out);
    if (!written) return written.status();
    uint32_t chunk = static_cast<uint32_t>(index.chunks().size());
    index.add_chunk(offset, *written);
    for (uint32_t b : blobs) index.add_blob(batch.blobs[b].digest, chunk);
    return {};
}

Status ChunkEncoder::encode_events(const Batch& batch, uint32_t begin, uint32_t end, uint64_t base,
                                   std::vector<uint8_t>& out, TraceIndex& index) {
    uint32_t count = 0, accesses = 0, records = 0;
    for (uint32_t i = begin; i < end; ++i) {
        SlotKind kind = batch.slots[i].kind;
        count += is_event(kind);
        accesses += kind == SlotKind::Port || kind == SlotKind::Mmio;
        records += kind == SlotKind::Record;
    }
    if (count == 0) return {};

    capnp::MallocMessageBuilder message(kj::arrayPtr(scratch_.get(), scratch_words_));
    auto chunk = message.initRoot<schema::EventChunk>();
    auto tags = chunk.initTags(count);
    auto deltas = chunk.initIcountDeltas(count);
    auto addresses = chunk.initAddresses(accesses);
    auto values = chunk.initValues(accesses);
    auto record_list = chunk.initRecords(records);

    ChunkFrame frame;
    frame.kind = ChunkKind::Events;
    frame.count = count;
    uint64_t previous = 0;
    uint32_t e = 0, a = 0, r = 0;
    for (uint32_t i = begin; i < end; ++i) {
        const Slot& s = batch.slots[i];
        if (!is_event(s.kind)) continue;
        if (e == 0) frame.first_icount = previous = s.icount;
        deltas.set(e, s.icount - previous);
        previous = s.icount;
        if (s.kind == SlotKind::Record) {
            tags[e] = kTagClassRecord;
            set_event(record_list[r++], batch.records[s.address]);
        } else {
            uint8_t cls = s.kind == SlotKind::Port ? kTagClassPort : kTagClassMmio;
            tags[e] = access_tag(cls, s.size, s.write);
            addresses.set(a, s.address);
            values.set(a, s.value);
            ++a;
        }
        ++e;
    }
    frame.last_icount = previous;
    uint64_t offset = base + out.size();
    auto written = codec_.append(message, frame, out);
    if (!written) return written.status();
    index.add_chunk(offset, *written);
    events_ += count;
    return {};
}

} // namespace rr86::trace
