#include "traces/inspect.h"

#include "traces/event_format.h"
#include "traces/reader.h"
#include "traces/repair.h"
#include "traces/verify.h"

#include <fmt/core.h>

#include <algorithm>
#include <array>
#include <charconv>

namespace rr86::trace {

namespace {

constexpr int kBadInput = 2;

int fail(std::FILE* err, const std::string& message) {
    fmt::print(err, "{}\n", message);
    return kBadInput;
}

// What `info` reports beyond the header: totals over every chunk.
struct Summary {
    std::array<uint64_t, kEventKindCount> kinds{};
    uint64_t events = 0;
    uint64_t first_icount = 0, last_icount = 0;
    uint64_t event_chunks = 0, data_chunks = 0;
    uint64_t event_bytes = 0, event_packed = 0, event_words = 0; // on disk, packed, unpacked*8
    uint64_t data_bytes = 0, blob_bytes = 0, blobs = 0;
    uint64_t index_bytes = 0;

    double ratio() const { return event_bytes ? double(event_words) / double(event_bytes) : 0; }
    double bytes_per_event() const { return events ? double(event_bytes) / double(events) : 0; }
};

Result<Summary> summarize(TraceReader& reader) {
    Summary s;
    const auto& chunks = reader.index().chunks();
    for (size_t c = 0; c < chunks.size(); ++c) {
        const ChunkFrame& f = chunks[c].frame;
        if (f.kind == ChunkKind::Data) {
            auto blobs = reader.read_data(c);
            if (!blobs) return blobs.error();
            ++s.data_chunks;
            s.data_bytes += f.total_bytes();
            s.blobs += blobs->size();
            for (const Blob& b : *blobs)
                s.blob_bytes += b.bytes.size();
            continue;
        }
        auto block = reader.read_events(c);
        if (!block) return block.error();
        for (size_t i = 0; i < block->size(); ++i)
            ++s.kinds[static_cast<size_t>(block->kind(i))];
        if (s.events == 0) s.first_icount = f.first_icount;
        s.last_icount = f.last_icount;
        s.events += block->size();
        ++s.event_chunks;
        s.event_bytes += f.total_bytes();
        s.event_packed += f.packed_bytes;
        s.event_words += uint64_t{f.message_words} * 8;
    }
    if (reader.has_index()) s.index_bytes = reader.file_size() - reader.chunks_end();
    return s;
}

void print_info_text(const TraceReader& r, const Summary& s, std::FILE* out) {
    const Header& h = r.header();
    fmt::print(out, "file        {} ({} bytes)\n", r.name(), r.file_size());
    fmt::print(out, "format      {} (needs reader {}), written by rr86 {}\n", h.format_version,
               h.min_reader_version, h.rr86_version);
    fmt::print(out, "index       {}\n", r.has_index() ? "present" : "missing");
    for (const auto& note : r.notes())
        fmt::print(out, "note        {}\n", note);
    const MachineConfig& m = h.machine;
    fmt::print(out,
               "machine     ram={} cpu={} reset-delivery={} fw-cfg-refresh={} rtc={} "
               "icount-shift={}\n",
               m.ram_bytes, m.cpu_model, reset_delivery_name(m.reset_delivery),
               fw_cfg_refresh_name(m.fw_cfg_refresh), format_utc(m.rtc_start), m.icount_shift);
    for (const auto& o : h.options)
        fmt::print(out, "option      {}={}\n", o.key, o.value);
    for (const auto& i : h.images)
        fmt::print(out, "image       {} {} size={} xxh3-128={} path={}\n", role_name(i.role),
                   i.name, i.size, i.digest, i.path.empty() ? "-" : i.path);
    fmt::print(out, "events      {} (icount {}..{}) in {} chunks\n", s.events, s.first_icount,
               s.last_icount, s.event_chunks);
    for (size_t k = 0; k < kEventKindCount; ++k) {
        if (s.kinds[k])
            fmt::print(out, "  {:<10} {}\n", kind_name(static_cast<EventKind>(k)), s.kinds[k]);
    }
    fmt::print(out, "blobs       {} ({} bytes) in {} data chunks, {} bytes on disk\n", s.blobs,
               s.blob_bytes, s.data_chunks, s.data_bytes);
    fmt::print(out, "sizes       header {}, event chunks {} (packed {}, unpacked {}), index {}\n",
               r.header_bytes(), s.event_bytes, s.event_packed, s.event_words, s.index_bytes);
    fmt::print(out, "compression {:.1f}x, {:.3f} bytes per event\n", s.ratio(),
               s.bytes_per_event());
}

std::string json_strings(const std::vector<std::string>& list) {
    std::string out = "[";
    for (size_t i = 0; i < list.size(); ++i)
        out += (i ? "," : "") + json_string(list[i]);
    return out + "]";
}

void print_info_json(const TraceReader& r, const Summary& s, std::FILE* out) {
    const Header& h = r.header();
    const MachineConfig& m = h.machine;
    std::string options, images, kinds;
    for (const auto& o : h.options)
        options += fmt::format(R"({}{{"key":{},"value":{}}})", options.empty() ? "" : ",",
                               json_string(o.key), json_string(o.value));
    for (const auto& i : h.images)
        images += fmt::format(R"({}{{"role":"{}","name":{},"path":{},"size":{},"digest":{}}})",
                              images.empty() ? "" : ",", role_name(i.role), json_string(i.name),
                              json_string(i.path), i.size, json_string(i.digest));
    for (size_t k = 0; k < kEventKindCount; ++k)
        kinds += fmt::format(R"({}"{}":{})", k ? "," : "", kind_name(static_cast<EventKind>(k)),
                             s.kinds[k]);
    fmt::print(out,
               R"({{"file":{},"file_bytes":{},"format_version":{},"min_reader_version":{},)"
               R"("rr86_version":{},"has_index":{},"notes":{},)"
               R"("machine":{{"ram_bytes":{},"cpu_model":{},"reset_delivery":"{}",)"
               R"("fw_cfg_refresh":"{}","rtc_start":{},"rtc_start_utc":"{}","icount_shift":{}}},)"
               R"("options":[{}],"images":[{}],)"
               R"("events":{},"first_icount":{},"last_icount":{},"kinds":{{{}}},)"
               R"("event_chunks":{},"data_chunks":{},"blobs":{},"blob_bytes":{},)"
               R"("sizes":{{"header":{},"event_chunks":{},"event_packed":{},"event_unpacked":{},)"
               R"("data_chunks":{},"index":{}}},)"
               R"("compression_ratio":{:.3f},"bytes_per_event":{:.4f}}})"
               "\n",
               json_string(r.name()), r.file_size(), h.format_version, h.min_reader_version,
               json_string(h.rr86_version), r.has_index(), json_strings(r.notes()), m.ram_bytes,
               json_string(m.cpu_model), reset_delivery_name(m.reset_delivery),
               fw_cfg_refresh_name(m.fw_cfg_refresh), m.rtc_start, format_utc(m.rtc_start),
               m.icount_shift, options, images, s.events, s.first_icount, s.last_icount, kinds,
               s.event_chunks, s.data_chunks, s.blobs, s.blob_bytes, r.header_bytes(),
               s.event_bytes, s.event_packed, s.event_words, s.data_bytes, s.index_bytes, s.ratio(),
               s.bytes_per_event());
}

std::optional<uint64_t> parse_number(const std::string& text) {
    std::string_view digits = text;
    int base = 10;
    if (digits.size() > 2 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X')) {
        digits.remove_prefix(2);
        base = 16;
    }
    uint64_t value = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value, base);
    if (ec != std::errc() || end != digits.data() + digits.size() || digits.empty())
        return std::nullopt;
    return value;
}

// The filter of `dump`, applied to each event read.
class DumpFilter {
  public:
    explicit DumpFilter(const DumpOptions& o) : o_(o) {}
    bool shows(const Event& e) const {
        if (!o_.kinds.empty() &&
            std::find(o_.kinds.begin(), o_.kinds.end(), e.kind()) == o_.kinds.end())
            return false;
        if (o_.ports.empty()) return true;
        const auto* port = e.get<PortAccess>();
        if (!port) return !o_.kinds.empty(); // --port alone means port accesses only
        return std::find(o_.ports.begin(), o_.ports.end(), port->port) != o_.ports.end();
    }

  private:
    const DumpOptions& o_;
};

} // namespace

Status parse_dump_filters(const std::vector<std::string>& kinds,
                          const std::vector<std::string>& ports, DumpOptions& options) {
    for (const auto& name : kinds) {
        auto kind = kind_from_name(name);
        if (!kind) return make_error("unknown event kind '{}' (kinds: {})", name, all_kind_names());
        options.kinds.push_back(*kind);
    }
    for (const auto& text : ports) {
        auto port = parse_number(text);
        if (!port || *port > 0xffff) return make_error("bad port '{}' (0 to 0xffff)", text);
        options.ports.push_back(static_cast<uint16_t>(*port));
    }
    return {};
}

int trace_info(const std::string& path, bool json, std::FILE* out, std::FILE* err) {
    auto reader = TraceReader::open(path);
    if (!reader) return fail(err, reader.message());
    auto summary = summarize(*reader);
    if (!summary) return fail(err, summary.message());
    if (json)
        print_info_json(*reader, *summary, out);
    else
        print_info_text(*reader, *summary, out);
    return 0;
}

int trace_dump(const std::string& path, const DumpOptions& options, std::FILE* out,
               std::FILE* err) {
    auto reader = TraceReader::open(path);
    if (!reader) return fail(err, reader.message());
    if (options.from) {
        if (auto st = reader->seek(*options.from); !st) return fail(err, st.message());
    }
    DumpFilter filter(options);
    Event event;
    while (reader->next(event)) {
        if (options.to && event.icount > *options.to) break;
        if (!filter.shows(event)) continue;
        if (options.json)
            fmt::print(out, "{}\n", event_json(event));
        else
            fmt::print(out, "{:>12} {}\n", event.icount, event_text(event));
    }
    if (!reader->status().ok()) return fail(err, reader->status().message());
    return 0;
}

int trace_verify(const std::string& path, std::FILE* out, std::FILE* err) {
    auto reader = TraceReader::open(path);
    if (!reader) return fail(err, reader.message());
    VerifyReport report = verify_trace(*reader);
    for (const auto& note : report.notes)
        fmt::print(out, "note: {}\n", note);
    // One line however many problems one damaged byte causes downstream: the first is the cause.
    if (!report.ok()) {
        size_t more = report.problems.size() - 1;
        return fail(err,
                    more ? fmt::format("{} (and {} more problems)", report.problems.front(), more)
                         : report.problems.front());
    }
    fmt::print(out,
               "{}: ok: {} chunks, {} events, {} blobs; checksums, index and icount order "
               "verified\n",
               path, report.chunks, report.events, report.blobs);
    return 0;
}

int trace_repair(const std::string& path, std::FILE* out, std::FILE* err) {
    auto report = repair_trace(path);
    if (!report) return fail(err, report.message());
    if (report->had_index) {
        fmt::print(out, "{}: the index is present and valid; nothing to repair\n", path);
        return 0;
    }
    fmt::print(out,
               "{}: index written: {} chunks kept ({} events, {} blobs), {} bytes after the last "
               "complete chunk dropped, {} bytes now\n",
               path, report->chunks, report->events, report->blobs, report->dropped_bytes,
               report->file_bytes);
    return 0;
}

} // namespace rr86::trace
