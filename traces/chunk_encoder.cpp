#include "traces/chunk_encoder.h"

#include "traces/schema_codec.h"

#include <capnp/message.h>

#include <array>
#include <bit>

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
                                      uint64_t base, std::vector<uint8_t>& out, TraceIndex& index) {
    capnp::MallocMessageBuilder message;
    auto list =
        message.initRoot<schema::DataChunk>().initBlobs(static_cast<unsigned>(blobs.size()));
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
    for (uint32_t b : blobs)
        index.add_blob(batch.blobs[b].digest, chunk);
    return {};
}

namespace {

// How many entries each EventChunk column gets for a run of slots.
struct ColumnSizes {
    uint32_t events = 0, big_deltas = 0, ports = 0, mmio = 0, records = 0;
    std::array<uint32_t, 4> values{}; // by log2(size)

    explicit ColumnSizes(const Batch& batch, uint32_t begin, uint32_t end) {
        uint64_t previous = 0;
        for (uint32_t i = begin; i < end; ++i) {
            const Slot& s = batch.slots[i];
            if (!is_event(s.kind)) continue;
            if (events++ == 0) previous = s.icount;
            big_deltas += s.icount - previous >= kDeltaEscape;
            previous = s.icount;
            if (s.kind == SlotKind::Record) {
                ++records;
                continue;
            }
            (s.kind == SlotKind::Port ? ports : mmio)++;
            ++values[std::countr_zero(unsigned{s.size})];
        }
    }
};

// Cursors into the columns of one EventChunk being filled.
class ColumnWriter {
  public:
    ColumnWriter(schema::EventChunk::Builder chunk, const ColumnSizes& n, ValueHistory& history)
        : history_(history), tags_(chunk.initTags(n.events)),
          deltas_(chunk.initIcountDeltas(n.events)), big_(chunk.initBigDeltas(n.big_deltas)),
          ports_(chunk.initPorts(n.ports)), mmio_(chunk.initMmioAddresses(n.mmio)),
          v8_(chunk.initValues8(n.values[0])), v16_(chunk.initValues16(n.values[1])),
          v32_(chunk.initValues32(n.values[2])), v64_(chunk.initValues64(n.values[3])),
          records_(chunk.initRecords(n.records)) {}

    void delta(uint64_t d) {
        if (d >= kDeltaEscape) {
            deltas_.set(e_, kDeltaEscape);
            big_.set(b_++, d);
        } else {
            deltas_.set(e_, static_cast<uint16_t>(d));
        }
    }
    void record(const Payload& payload) {
        tags_[e_++] = kTagClassRecord;
        set_event(records_[r_++], payload);
    }
    void access(const Slot& s) {
        bool port = s.kind == SlotKind::Port;
        uint8_t tag = access_tag(port ? kTagClassPort : kTagClassMmio, s.size, s.write);
        tags_[e_++] = tag;
        if (port)
            ports_.set(p_++, static_cast<uint16_t>(s.address));
        else
            mmio_.set(m_++, s.address);
        switch (s.size) {
        case 1: v8_[v_[0]++] = static_cast<uint8_t>(s.value); break;
        case 2: v16_.set(v_[1]++, static_cast<uint16_t>(s.value)); break;
        case 4: v32_.set(v_[2]++, static_cast<uint32_t>(wide(tag, s))); break;
        default: v64_.set(v_[3]++, wide(tag, s)); break;
        }
    }
    // value_history.h: 4- and 8-byte values are stored as differences (modular).
    uint64_t wide(uint8_t tag, const Slot& s) {
        uint64_t& previous = history_.previous(tag, s.address);
        uint64_t difference = s.value - previous;
        previous = s.value;
        return difference;
    }

  private:
    ValueHistory& history_;
    capnp::Data::Builder tags_;
    capnp::List<uint16_t>::Builder deltas_;
    capnp::List<uint64_t>::Builder big_;
    capnp::List<uint16_t>::Builder ports_;
    capnp::List<uint64_t>::Builder mmio_;
    capnp::Data::Builder v8_;
    capnp::List<uint16_t>::Builder v16_;
    capnp::List<uint32_t>::Builder v32_;
    capnp::List<uint64_t>::Builder v64_;
    capnp::List<schema::Event>::Builder records_;
    uint32_t e_ = 0, b_ = 0, p_ = 0, m_ = 0, r_ = 0;
    std::array<uint32_t, 4> v_{};
};

} // namespace

Status ChunkEncoder::encode_events(const Batch& batch, uint32_t begin, uint32_t end, uint64_t base,
                                   std::vector<uint8_t>& out, TraceIndex& index) {
    ColumnSizes sizes(batch, begin, end);
    if (sizes.events == 0) return {};
    capnp::MallocMessageBuilder message(kj::arrayPtr(scratch_.get(), scratch_words_));
    history_.clear();
    ColumnWriter columns(message.initRoot<schema::EventChunk>(), sizes, history_);
    ChunkFrame frame;
    frame.kind = ChunkKind::Events;
    frame.count = sizes.events;
    bool first = true;
    uint64_t previous = 0;
    for (uint32_t i = begin; i < end; ++i) {
        const Slot& s = batch.slots[i];
        if (!is_event(s.kind)) continue;
        if (first) frame.first_icount = previous = s.icount;
        first = false;
        columns.delta(s.icount - previous);
        previous = s.icount;
        if (s.kind == SlotKind::Record)
            columns.record(batch.records[s.address]);
        else
            columns.access(s);
    }
    frame.last_icount = previous;
    uint64_t offset = base + out.size();
    auto written = codec_.append(message, frame, out);
    if (!written) return written.status();
    index.add_chunk(offset, *written);
    events_ += sizes.events;
    return {};
}

} // namespace rr86::trace
