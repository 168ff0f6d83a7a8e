#include "traces/event_block.h"

#include "traces/frame_codec.h"
#include "traces/schema_codec.h"

#include <algorithm>

namespace rr86::trace {

namespace {

bool value_fits(uint64_t value, uint8_t size) { return size >= 8 || (value >> (size * 8)) == 0; }

// The columns of an EventChunk message, checked against each other and against the frame.
class ChunkColumns {
public:
    ChunkColumns(const ChunkFrame& frame, schema::EventChunk::Reader chunk)
        : frame_(frame), tags_(chunk.getTags()), deltas_(chunk.getIcountDeltas()),
          addresses_(chunk.getAddresses()), values_(chunk.getValues()),
          records_(chunk.getRecords()) {}

    Status check_shape() const {
        if (frame_.count == 0) return make_error("event chunk holds no events");
        if (tags_.size() != frame_.count || deltas_.size() != frame_.count)
            return make_error("frame says {} events, chunk has {} tags and {} icount deltas",
                              frame_.count, tags_.size(), deltas_.size());
        if (addresses_.size() != values_.size())
            return make_error("{} access addresses but {} values", addresses_.size(),
                              values_.size());
        return {};
    }

    Status fill(std::vector<uint64_t>& icounts, std::vector<uint8_t>& tags,
                std::vector<uint32_t>& refs, std::vector<uint64_t>& addresses,
                std::vector<uint64_t>& values, std::vector<Payload>& records) const {
        size_t n = frame_.count;
        icounts.resize(n);
        tags.assign(tags_.begin(), tags_.end());
        refs.resize(n);
        addresses.reserve(addresses_.size());
        values.reserve(values_.size());
        uint64_t icount = frame_.first_icount;
        for (size_t i = 0; i < n; ++i) {
            uint64_t delta = deltas_[i];
            if (icount + delta < icount) return make_error("event {}: icount overflows", i);
            icount += delta;
            icounts[i] = icount;
            if (auto st = take(i, tags[i], refs[i], addresses, values, records); !st) return st;
        }
        if (icounts.front() != frame_.first_icount || icount != frame_.last_icount)
            return make_error("events span icounts {}..{}, frame says {}..{}", icounts.front(),
                              icount, frame_.first_icount, frame_.last_icount);
        if (addresses.size() != addresses_.size() || records.size() != records_.size())
            return make_error("tags name {} accesses and {} records, chunk has {} and {}",
                              addresses.size(), records.size(), addresses_.size(),
                              records_.size());
        return {};
    }

private:
    Status take(size_t i, uint8_t tag, uint32_t& ref, std::vector<uint64_t>& addresses,
                std::vector<uint64_t>& values, std::vector<Payload>& records) const {
        if (tag & kTagReservedMask) return make_error("event {}: reserved tag bits {:#x}", i, tag);
        uint8_t cls = tag & kTagClassMask;
        if (cls == kTagClassRecord) {
            if (tag != kTagClassRecord) return make_error("event {}: bad record tag {:#x}", i, tag);
            if (records.size() >= records_.size()) return make_error("event {}: no record", i);
            auto payload = get_event(records_[static_cast<unsigned>(records.size())]);
            if (!payload) return make_error("event {}: {}", i, payload.message());
            ref = static_cast<uint32_t>(records.size());
            records.push_back(std::move(*payload));
            return {};
        }
        if (cls != kTagClassPort && cls != kTagClassMmio)
            return make_error("event {}: unknown tag class {}", i, cls);
        size_t j = addresses.size();
        if (j >= addresses_.size()) return make_error("event {}: no access column entry", i);
        uint64_t address = addresses_[static_cast<unsigned>(j)];
        uint64_t value = values_[static_cast<unsigned>(j)];
        uint8_t size = tag_size(tag);
        if (cls == kTagClassPort && (address > 0xffff || size > 4))
            return make_error("event {}: port access {:#x} size {}", i, address, size);
        if (!value_fits(value, size))
            return make_error("event {}: value {:#x} wider than {} bytes", i, value, size);
        ref = static_cast<uint32_t>(j);
        addresses.push_back(address);
        values.push_back(value);
        return {};
    }

    const ChunkFrame& frame_;
    capnp::Data::Reader tags_;
    capnp::List<uint64_t>::Reader deltas_;
    capnp::List<uint64_t>::Reader addresses_;
    capnp::List<uint64_t>::Reader values_;
    capnp::List<schema::Event>::Reader records_;
};

} // namespace

EventKind EventBlock::kind(size_t i) const {
    switch (tags_[i] & kTagClassMask) {
    case kTagClassPort: return EventKind::PortAccess;
    case kTagClassMmio: return EventKind::MmioAccess;
    default: return static_cast<EventKind>(records_[refs_[i]].index());
    }
}

void EventBlock::get(size_t i, Event& out) const {
    out.icount = icounts_[i];
    uint8_t tag = tags_[i];
    uint32_t ref = refs_[i];
    switch (tag & kTagClassMask) {
    case kTagClassPort:
        out.payload = PortAccess{static_cast<uint16_t>(addresses_[ref]), tag_size(tag),
                                 (tag & kTagWrite) != 0, static_cast<uint32_t>(values_[ref])};
        break;
    case kTagClassMmio:
        out.payload = MmioAccess{addresses_[ref], tag_size(tag), (tag & kTagWrite) != 0,
                                 values_[ref]};
        break;
    default: out.payload = records_[ref]; break;
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

Result<EventBlock> EventBlock::decode(const ChunkFrame& frame, std::span<const uint8_t> packed) {
    return read_packed<schema::EventChunk>(
        packed, frame.message_words, [&](schema::EventChunk::Reader chunk) -> Result<EventBlock> {
            ChunkColumns columns(frame, chunk);
            if (auto st = columns.check_shape(); !st) return st.error();
            EventBlock block;
            auto st = columns.fill(block.icounts_, block.tags_, block.refs_,
                                   block.addresses_, block.values_, block.records_);
            if (!st) return st.error();
            return block;
        });
}

Result<std::vector<Blob>> decode_data_chunk(const ChunkFrame& frame,
                                            std::span<const uint8_t> packed) {
    return read_packed<schema::DataChunk>(
        packed, frame.message_words,
        [&](schema::DataChunk::Reader chunk) -> Result<std::vector<Blob>> {
            auto list = chunk.getBlobs();
            if (list.size() != frame.count)
                return make_error("frame says {} blobs, chunk has {}", frame.count, list.size());
            std::vector<Blob> blobs;
            blobs.reserve(list.size());
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
