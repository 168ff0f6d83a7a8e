// Conversions between the C++ values of the public headers and the Cap'n Proto messages of
// trace.capnp. Internal to the trace library: no public header includes Cap'n Proto.
#pragma once

#include "traces/event.h"
#include "traces/header.h"
#include "traces/result.h"
#include "traces/trace.capnp.h"

#include <capnp/message.h>

#include <bit>
#include <cstdint>
#include <span>
#include <vector>

namespace rr86::trace {

// Readers of untrusted bytes use these options: the traversal bound is the message size the
// frame declared (plus slack for the root), never the library's 64 MiB default.
capnp::ReaderOptions reader_options(uint32_t message_words);

void set_header(schema::Header::Builder out, const Header& header);
Result<Header> get_header(schema::Header::Reader in);

void set_digest(schema::Digest128::Builder out, const Digest128& digest);
Digest128 get_digest(schema::Digest128::Reader in);

void set_event(schema::Event::Builder out, const Payload& payload);
// Fails on values a correct writer cannot produce (e.g. an access size of 3).
Result<Payload> get_event(schema::Event::Reader in);

// Serialises `message` packed; `words` receives its unpacked size for the frame or prologue.
std::vector<uint8_t> pack_message(capnp::MessageBuilder& message, uint32_t& words);

// Access sizes as stored in EventChunk.tags: log2 of the size in bits 2-3.
inline constexpr uint8_t kTagClassPort = 0, kTagClassMmio = 1, kTagClassRecord = 2;
inline constexpr uint8_t kTagClassMask = 3, kTagWrite = 1u << 4, kTagReservedMask = 0xe0;
inline uint8_t access_tag(uint8_t tag_class, uint8_t size, bool write) {
    return static_cast<uint8_t>(tag_class | (std::countr_zero(unsigned{size}) << 2) |
                                (write ? kTagWrite : 0));
}
inline unsigned tag_log2_size(uint8_t tag) { return (tag >> 2) & 3u; }
inline uint8_t tag_size(uint8_t tag) { return static_cast<uint8_t>(1u << tag_log2_size(tag)); }
// An icount delta of this or more is stored in EventChunk.bigDeltas.
inline constexpr uint16_t kDeltaEscape = 0xffff;
bool valid_access_size(uint8_t tag_class, uint8_t size);

} // namespace rr86::trace
