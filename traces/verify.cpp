#include "traces/verify.h"

#include "traces/scan.h"

#include <unordered_map>
#include <unordered_set>

namespace rr86::trace {

namespace {

class Verifier {
  public:
    Verifier(TraceReader& reader, size_t max_problems)
        : reader_(reader), max_problems_(max_problems) {}

    VerifyReport run() {
        check_index();
        const auto& chunks = reader_.index().chunks();
        for (size_t c = 0; c < chunks.size() && !full(); ++c) {
            if (chunks[c].frame.kind == ChunkKind::Events)
                check_events(c);
            else
                check_data(c);
        }
        check_references();
        if (!end_seen_) report_.notes.push_back(fmt::format("{}: no end record", name()));
        report_.chunks = chunks.size();
        return std::move(report_);
    }

  private:
    const std::string& name() const { return reader_.name(); }
    bool full() const { return report_.problems.size() >= max_problems_; }
    template <class... Args> void problem(fmt::format_string<Args...> f, Args&&... args) {
        if (!full()) report_.problems.push_back(fmt::format(f, std::forward<Args>(args)...));
    }

    // The footer must agree with what is actually in the file, frame for frame.
    void check_index() {
        if (!reader_.has_index()) {
            for (const auto& note : reader_.notes())
                problem("{}", note);
            return;
        }
        ScanResult scan = scan_chunks(reader_.source(), reader_.header_bytes());
        const auto& indexed = reader_.index().chunks();
        const auto& walked = scan.index.chunks();
        if (!scan.stopped.empty()) problem("{}: {}", name(), scan.stopped);
        if (!scan.index_frame || *scan.index_frame != reader_.chunks_end())
            problem("{}: offset {}: the index chunk is not where the chunks end", name(), scan.end);
        if (walked.size() != indexed.size())
            problem("{}: the index lists {} chunks, the file holds {}", name(), indexed.size(),
                    walked.size());
        for (size_t i = 0; i < std::min(walked.size(), indexed.size()); ++i) {
            if (walked[i].offset != indexed[i].offset ||
                !walked[i].frame.same_layout(indexed[i].frame))
                problem("{}: chunk {} at offset {}: the index entry differs from the frame", name(),
                        i, walked[i].offset);
        }
    }

    void check_events(size_t c) {
        auto block = reader_.read_events(c);
        if (!block) return problem("{}", block.message());
        const ChunkEntry& entry = reader_.index().chunks()[c];
        if (entry.frame.first_icount < last_icount_)
            problem("{}: chunk {} at offset {}: icount {} before the previous chunk's {}", name(),
                    c, entry.offset, entry.frame.first_icount, last_icount_);
        last_icount_ = entry.frame.last_icount;
        Event event;
        for (size_t i = 0; i < block->size(); ++i) {
            block->get(i, event);
            check_event(c, event);
        }
        report_.events += block->size();
    }

    void check_event(size_t c, const Event& event) {
        if (end_seen_ && !end_reported_) {
            end_reported_ = true;
            problem("{}: chunk {}: event at icount {} after the end record", name(), c,
                    event.icount);
        }
        if (event.kind() == EventKind::End) end_seen_ = true;
        if (auto* d = event.get<DiskRead>()) references_.emplace(d->data, event.icount);
        if (auto* k = event.get<Checkpoint>(); k && !k->snapshot.is_zero())
            references_.emplace(k->snapshot, event.icount);
    }

    void check_data(size_t c) {
        auto blobs = reader_.read_data(c);
        if (!blobs) return problem("{}", blobs.message());
        const ChunkEntry& entry = reader_.index().chunks()[c];
        for (const Blob& blob : *blobs) {
            if (!blobs_.insert(blob.digest).second)
                report_.notes.push_back(fmt::format("{}: chunk {}: blob {} stored twice", name(), c,
                                                    blob.digest.hex()));
            auto where = reader_.index().blob_chunk(blob.digest);
            if (reader_.has_index() && where != c)
                problem("{}: chunk {} at offset {}: blob {} is not indexed here", name(), c,
                        entry.offset, blob.digest.hex());
        }
        report_.blobs += blobs->size();
    }

    void check_references() {
        if (reader_.has_index() && reader_.index().blob_count() != blobs_.size())
            problem("{}: the index lists {} blobs, the data chunks hold {}", name(),
                    reader_.index().blob_count(), blobs_.size());
        for (const auto& [digest, icount] : references_) {
            if (!blobs_.count(digest))
                problem("{}: event at icount {} refers to blob {}, which is not in the trace",
                        name(), icount, digest.hex());
        }
    }

    TraceReader& reader_;
    size_t max_problems_;
    VerifyReport report_;
    uint64_t last_icount_ = 0;
    bool end_seen_ = false;
    bool end_reported_ = false;
    std::unordered_set<Digest128, Digest128Hash> blobs_;
    std::unordered_map<Digest128, uint64_t, Digest128Hash> references_;
};

} // namespace

VerifyReport verify_trace(TraceReader& reader, size_t max_problems) {
    return Verifier(reader, max_problems).run();
}

} // namespace rr86::trace
