#include "traces/frame_codec.h"

#include "traces/digest.h"

#include <zstd.h>

#include <cstring>

namespace rr86::trace {

FrameCodec::FrameCodec(int zstd_level)
    : cctx_(ZSTD_createCCtx()), dctx_(ZSTD_createDCtx()), level_(zstd_level) {}

FrameCodec::~FrameCodec() {
    ZSTD_freeCCtx(cctx_);
    ZSTD_freeDCtx(dctx_);
}

Result<ChunkFrame> FrameCodec::append(capnp::MessageBuilder& message, ChunkFrame frame,
                                      std::vector<uint8_t>& out) {
    auto segments = message.getSegmentsForOutput();
    size_t words = capnp::computeSerializedSizeInWords(segments);
    if (words > kMaxMessageWords) return make_error("chunk message of {} words too large", words);
    // Packing never grows a word by more than its tag and a run-length byte.
    size_t bound = words * 10 + 64;
    if (packed_.size() < bound) packed_.resize(bound);
    kj::ArrayOutputStream stream(kj::arrayPtr(packed_.data(), packed_.size()));
    capnp::writePackedMessage(stream, segments);
    auto packed = stream.getArray();
    return append_packed({packed.begin(), packed.size()}, static_cast<uint32_t>(words), frame, out);
}

Result<ChunkFrame> FrameCodec::append_packed(std::span<const uint8_t> packed, uint32_t words,
                                             ChunkFrame frame, std::vector<uint8_t>& out) {
    if (packed.size() > kMaxPackedBytes)
        return make_error("chunk of {} packed bytes too large", packed.size());
    size_t bound = ZSTD_compressBound(packed.size());
    if (compressed_.size() < bound) compressed_.resize(bound);
    size_t n = ZSTD_compressCCtx(cctx_, compressed_.data(), compressed_.size(), packed.data(),
                                 packed.size(), level_);
    if (ZSTD_isError(n)) return make_error("zstd: {}", ZSTD_getErrorName(n));
    frame.compressed_bytes = static_cast<uint32_t>(n);
    frame.packed_bytes = static_cast<uint32_t>(packed.size());
    frame.message_words = words;
    frame.payload_checksum = checksum64(compressed_.data(), n);
    size_t at = out.size();
    out.resize(at + ChunkFrame::kSize + n);
    frame.encode(out.data() + at);
    std::memcpy(out.data() + at + ChunkFrame::kSize, compressed_.data(), n);
    return frame;
}

Result<std::span<const uint8_t>> FrameCodec::decompress(const ChunkFrame& frame,
                                                        std::span<const uint8_t> payload) {
    if (payload.size() != frame.compressed_bytes)
        return make_error("payload is {} bytes, frame says {}", payload.size(),
                          frame.compressed_bytes);
    if (!checksum_matches(frame.payload_checksum, checksum64(payload.data(), payload.size())))
        return make_error("payload checksum mismatch");
    // The zstd frame must be exactly the payload and declare the size the chunk frame declares,
    // so the buffer below is sized by a field we have already bounded.
    size_t frame_size = ZSTD_findFrameCompressedSize(payload.data(), payload.size());
    if (ZSTD_isError(frame_size) || frame_size != payload.size())
        return make_error("payload is not one zstd frame");
    unsigned long long content = ZSTD_getFrameContentSize(payload.data(), payload.size());
    if (content != frame.packed_bytes)
        return make_error("zstd frame holds {} bytes, chunk frame says {}",
                          content == ZSTD_CONTENTSIZE_UNKNOWN ? 0 : content, frame.packed_bytes);
    if (packed_.size() < frame.packed_bytes) packed_.resize(frame.packed_bytes);
    size_t n = ZSTD_decompressDCtx(dctx_, packed_.data(), frame.packed_bytes, payload.data(),
                                   payload.size());
    if (ZSTD_isError(n)) return make_error("zstd: {}", ZSTD_getErrorName(n));
    if (n != frame.packed_bytes)
        return make_error("decompressed {} bytes, frame says {}", n, frame.packed_bytes);
    return std::span<const uint8_t>(packed_.data(), n);
}

} // namespace rr86::trace
