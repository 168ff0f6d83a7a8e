#include "traces/event_block.h"

#include "traces/frame_codec.h"
#include "traces/schema_codec.h"

#include <algorithm>
#include <array>

namespace rr86::trace {

// The columns of an EventChunk message, merged back into event order and checked against each
// other and against the frame: every column entry is used exactly once.
class ChunkColumns {
  public:
    ChunkColumns(const ChunkFrame& frame, schema::EventChunk::Reader chunk, ValueCoding coding)
        : frame_(frame), coding_(coding), tags_(chunk.getTags()), deltas_(chunk.getIcountDeltas()),
          big_(chunk.getBigDeltas()), ports_(chunk.getPorts()), mmio_(chunk.getMmioAddresses()),
          v8_(chunk.getValues8()), v16_(chunk.getValues16()), v32_(chunk.getValues32()),
          v64_(chunk.getValues64()), records_(chunk.getRecords()) {}

    Status fill(EventBlock& block) {
        if (frame_.count == 0) return make_error("event chunk holds no events");
        if (tags_.size() != frame_.count || deltas_.size() != frame_.count)
            return make_error("frame says {} events, chunk has {} tags and {} icount deltas",
                              frame_.count, tags_.size(), deltas_.size());
        size_t n = frame_.count;
        block.icounts_.resize(n);
        block.tags_.assign(tags_.begin(), tags_.end());
        block.addresses_.resize(n);
        block.values_.resize(n);
        uint64_t icount = frame_.first_icount;
        for (size_t i = 0; i < n; ++i) {
            auto delta = next_delta(i);
            if (!delta) return delta.error();
            if (icount + *delta < icount) return make_error("event {}: icount overflows", i);
            icount += *delta;
            block.icounts_[i] = icount;
            if (auto st = take(i, block); !st) return st;
        }
        if (block.icounts_.front() != frame_.first_icount || icount != frame_.last_icount)
            return make_error("events span icounts {}..{}, frame says {}..{}",
                              block.icounts_.front(), icount, frame_.first_icount,
                              frame_.last_icount);
        return all_used();
    }

  private:
    Result<uint64_t> next_delta(size_t i) {
        uint16_t delta = deltas_[static_cast<unsigned>(i)];
        if (delta != kDeltaEscape) return uint64_t{delta};
        if (b_ >= big_.size()) return make_error("event {}: bigDeltas exhausted", i);
        uint64_t big = big_[b_++];
        if (big < kDeltaEscape) return make_error("event {}: big delta {} below 0xffff", i, big);
        return big;
    }

    Status take(size_t i, EventBlock& block) {
        uint8_t tag = block.tags_[i];
        if (tag & kTagReservedMask) return make_error("event {}: reserved tag bits {:#x}", i, tag);
        uint8_t cls = tag & kTagClassMask;
        if (cls == kTagClassRecord) {
            if (tag != kTagClassRecord) return make_error("event {}: bad record tag {:#x}", i, tag);
            if (r_ >= records_.size()) return make_error("event {}: records exhausted", i);
            auto payload = get_event(records_[r_]);
            if (!payload) return make_error("event {}: {}", i, payload.message());
            block.addresses_[i] = block.records_.size();
            block.records_.push_back(std::move(*payload));
            ++r_;
            return {};
        }
        if (cls == kTagClassPort) {
            if (tag_size(tag) > 4) return make_error("event {}: port access of 8 bytes", i);
            if (p_ >= ports_.size()) return make_error("event {}: ports exhausted", i);
            block.addresses_[i] = ports_[p_++];
        } else if (cls == kTagClassMmio) {
            if (m_ >= mmio_.size()) return make_error("event {}: MMIO addresses exhausted", i);
            block.addresses_[i] = mmio_[m_++];
        } else {
            return make_error("event {}: unknown tag class {}", i, cls);
        }
        if (auto st = take_value(i, tag, block.values_[i]); !st) return st;
        if (is_delta_coded(coding_, tag_size(tag)))
            undo_delta(tag, block.addresses_[i], block.values_[i]);
        return {};
    }

    void undo_delta(uint8_t tag, uint64_t address, uint64_t& value) {
        uint64_t& previous = history_.previous(tag, address);
        value += previous;
        if (tag_size(tag) == 4) value &= 0xffffffffu;
        previous = value;
    }

    Status take_value(size_t i, uint8_t tag, uint64_t& value) {
        unsigned lg = tag_log2_size(tag);
        bool ok = false;
        switch (lg) {
        case 0: ok = v_[0] < v8_.size() && (value = v8_[v_[0]++], true); break;
        case 1: ok = v_[1] < v16_.size() && (value = v16_[v_[1]++], true); break;
        case 2: ok = v_[2] < v32_.size() && (value = v32_[v_[2]++], true); break;
        default: ok = v_[3] < v64_.size() && (value = v64_[v_[3]++], true); break;
        }
        if (!ok) return make_error("event {}: {}-byte values exhausted", i, 1u << lg);
        return {};
    }

    Status all_used() const {
        if (b_ != big_.size() || p_ != ports_.size() || m_ != mmio_.size() ||
            r_ != records_.size() || v_[0] != v8_.size() || v_[1] != v16_.size() ||
            v_[2] != v32_.size() || v_[3] != v64_.size())
            return make_error("columns hold entries no event uses");
        return {};
    }

    const ChunkFrame& frame_;
    ValueCoding coding_;
    ValueHistory history_;
    capnp::Data::Reader tags_;
    capnp::List<uint16_t>::Reader deltas_;
    capnp::List<uint64_t>::Reader big_;
    capnp::List<uint16_t>::Reader ports_;
    capnp::List<uint64_t>::Reader mmio_;
    capnp::Data::Reader v8_;
    capnp::List<uint16_t>::Reader v16_;
    capnp::List<uint32_t>::Reader v32_;
    capnp::List<uint64_t>::Reader v64_;
    capnp::List<schema::Event>::Reader records_;
    unsigned b_ = 0, p_ = 0, m_ = 0, r_ = 0;
    std::array<unsigned, 4> v_{};
};

EventKind EventBlock::kind(size_t i) const {
    switch (tags_[i] & kTagClassMask) {
    case kTagClassPort: return EventKind::PortAccess;
    case kTagClassMmio: return EventKind::MmioAccess;
    default: return static_cast<EventKind>(records_[addresses_[i]].index());
    }
}

void EventBlock::get(size_t i, Event& out) const {
    out.icount = icounts_[i];
    uint8_t tag = tags_[i];
    switch (tag & kTagClassMask) {
    case kTagClassPort:
        out.payload = PortAccess{static_cast<uint16_t>(addresses_[i]), tag_size(tag),
                                 (tag & kTagWrite) != 0, static_cast<uint32_t>(values_[i])};
        break;
    case kTagClassMmio:
        out.payload = MmioAccess{addresses_[i], tag_size(tag), (tag & kTagWrite) != 0, values_[i]};
        break;
    default: out.payload = records_[addresses_[i]]; break;
    }
}

Event EventBlock::at(size_t i) const {
    Event e;
    get(i, e);
    return e;
}

size_t EventBlock::lower_bound(uint64_t icount) const {
    return static_cast<size_t>(std::lower_bound(icounts_.begin(), icounts_.end(), icount) -
                               icounts_.begin());
}

Result<EventBlock> EventBlock::decode(const ChunkFrame& frame, std::span<const uint8_t> packed,
                                      ValueCoding coding) {
    EventBlock block;
    if (auto st = decode_into(frame, packed, coding, block); !st) return st.error();
    return block;
}

Status EventBlock::decode_into(const ChunkFrame& frame, std::span<const uint8_t> packed,
                               ValueCoding coding, EventBlock& block) {
    block.records_.clear();
    auto st = read_packed<schema::EventChunk>(
        packed, frame.message_words, [&](schema::EventChunk::Reader chunk) -> Status {
            return ChunkColumns(frame, chunk, coding).fill(block);
        });
    if (!st) {
        block.icounts_.clear();
        block.tags_.clear();
        block.addresses_.clear();
        block.values_.clear();
        block.records_.clear();
    }
    return st;
}

Result<std::vector<Blob>> decode_data_chunk(const ChunkFrame& frame,
                                            std::span<const uint8_t> packed) {
    return read_packed<schema::DataChunk>(
        packed, frame.message_words,
        [&](schema::DataChunk::Reader chunk) -> Result<std::vector<Blob>> {
            auto list = chunk.getBlobs();
            if (list.size() != frame.count)
                return make_error("frame says {} blobs, chunk has {}", frame.count, list.size());
            std::vector<Blob> blobs; // not reserved: the count is not trusted yet
            for (unsigned i = 0; i < list.size(); ++i) {
                auto bytes = list[i].getBytes();
                Blob blob{get_digest(list[i].getDigest()), {bytes.begin(), bytes.end()}};
                if (!(digest_of(blob.bytes) == blob.digest))
                    return make_error("blob {}: digest {} does not match its bytes", i,
                                      blob.digest.hex());
                blobs.push_back(std::move(blob));
            }
            return blobs;
        });
}

} // namespace rr86::trace
