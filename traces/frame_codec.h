// The chunk payload codec: a Cap'n Proto message, packed, then compressed with zstd on its own
// (DESIGN.md "Trace format": chunks are independently compressed, so any one can be read alone).
// Internal to the trace library.
#pragma once

#include "traces/format.h"
#include "traces/result.h"
#include "traces/schema_codec.h"

#include <capnp/message.h>
#include <capnp/serialize-packed.h>
#include <kj/exception.h>
#include <kj/io.h>

#include <cstdint>
#include <exception>
#include <span>
#include <vector>

struct ZSTD_CCtx_s;
struct ZSTD_DCtx_s;

namespace rr86::trace {

// Holds the zstd contexts and scratch buffers, reused chunk after chunk (one per thread).
class FrameCodec {
  public:
    explicit FrameCodec(int zstd_level = 1);
    ~FrameCodec();
    FrameCodec(const FrameCodec&) = delete;
    FrameCodec& operator=(const FrameCodec&) = delete;

    // Packs and compresses `message`; appends the frame (kind, count and icounts taken from
    // `frame`, the rest filled in) and the payload to `out`. Returns the completed frame.
    Result<ChunkFrame> append(capnp::MessageBuilder& message, ChunkFrame frame,
                              std::vector<uint8_t>& out);
    Result<ChunkFrame> append_packed(std::span<const uint8_t> packed, uint32_t words,
                                     ChunkFrame frame, std::vector<uint8_t>& out);

    // Checks the payload checksum and size fields, then decompresses. The bytes stay valid until
    // the next call.
    Result<std::span<const uint8_t>> decompress(const ChunkFrame& frame,
                                                std::span<const uint8_t> payload);

  private:
    ZSTD_CCtx_s* cctx_;
    ZSTD_DCtx_s* dctx_;
    int level_;
    std::vector<uint8_t> packed_;
    std::vector<uint8_t> compressed_;
};

// Parses packed bytes as a message of type Root and hands its reader to `fn`, turning every
// Cap'n Proto exception (malformed pointers, traversal limit) into an Error.
template <class Root, class Fn>
auto read_packed(std::span<const uint8_t> packed, uint32_t words, Fn&& fn)
    -> decltype(fn(typename Root::Reader{})) {
    try {
        kj::ArrayInputStream in(kj::arrayPtr(packed.data(), packed.size()));
        capnp::PackedMessageReader message(in, reader_options(words));
        return fn(message.getRoot<Root>());
    } catch (const kj::Exception& e) {
        std::string what(e.getDescription().cStr());
        for (char& c : what)
            c = (c == '\n') ? ' ' : c;
        return make_error("malformed message: {}", what);
    } catch (const std::exception& e) {
        return make_error("malformed message: {}", e.what());
    }
}

} // namespace rr86::trace
