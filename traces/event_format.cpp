#include "traces/event_format.h"

#include <fmt/core.h>

namespace rr86::trace {

namespace {

template <class... F> struct Overload : F... { using F::operator()...; };
template <class... F> Overload(F...) -> Overload<F...>;

std::string quoted(std::string_view bytes) {
    std::string out = "\"";
    for (unsigned char c : bytes) {
        if (c == '"' || c == '\\')
            out += fmt::format("\\{}", static_cast<char>(c));
        else if (c >= 0x20 && c < 0x7f)
            out += static_cast<char>(c);
        else
            out += fmt::format("\\x{:02x}", c);
    }
    return out + "\"";
}

std::string_view as_chars(const std::vector<uint8_t>& bytes) {
    return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

std::string text_payload(const Payload& payload) {
    return std::visit(
        Overload{
            [](const PortAccess& e) {
                return fmt::format("{:<4} 0x{:04x} size={} value={:#0{}x}", e.write ? "out" : "in",
                                   e.port, e.size, e.value, 2 + 2 * e.size);
            },
            [](const MmioAccess& e) {
                return fmt::format("{:<4} 0x{:08x} size={} value={:#0{}x}",
                                   e.write ? "write" : "read", e.address, e.size, e.value,
                                   2 + 2 * e.size);
            },
            [](const Interrupt& e) { return fmt::format("vector={:#04x}", e.vector); },
            [](const GuestRequest& e) {
                return fmt::format("{} value={:#x}", request_name(e.kind), e.value);
            },
            [](const RequestApplied& e) {
                return fmt::format("{} requested-at={}", request_name(e.kind), e.requested_at);
            },
            [](const MonitorCommand& e) { return quoted(e.command); },
            [](const Hotplug& e) {
                return fmt::format("{} {} {}", e.add ? "add" : "remove", quoted(e.device),
                                   quoted(e.options));
            },
            [](const SerialInput& e) {
                return fmt::format("uart={} bytes={}", e.port, quoted(as_chars(e.bytes)));
            },
            [](const RunstateChange& e) {
                return fmt::format("{} -> {}", runstate_name(e.from), runstate_name(e.to));
            },
            [](const Checkpoint& e) {
                return fmt::format("id={} state={} snapshot={}", e.id, e.state_hash.hex(),
                                   e.snapshot.is_zero() ? "-" : e.snapshot.hex());
            },
            [](const DiskRead& e) {
                return fmt::format("drive={} lba={} sectors={} data={}", e.drive, e.lba, e.sectors,
                                   e.data.hex());
            },
            [](const End& e) {
                return fmt::format("outcome={} exit-code={} state={}", outcome_name(e.outcome),
                                   e.exit_code, e.state_hash.hex());
            },
            [](const UnknownEvent& e) { return fmt::format("union-member={}", e.which); },
        },
        payload);
}

std::string json_fields(const Payload& payload) {
    return std::visit(
        Overload{
            [](const PortAccess& e) {
                return fmt::format(R"("write":{},"port":{},"size":{},"value":{})", e.write, e.port,
                                   e.size, e.value);
            },
            [](const MmioAccess& e) {
                return fmt::format(R"("write":{},"address":{},"size":{},"value":{})", e.write,
                                   e.address, e.size, e.value);
            },
            [](const Interrupt& e) { return fmt::format(R"("vector":{})", e.vector); },
            [](const GuestRequest& e) {
                return fmt::format(R"("request":"{}","value":{})", request_name(e.kind), e.value);
            },
            [](const RequestApplied& e) {
                return fmt::format(R"("request":"{}","requested_at":{})", request_name(e.kind),
                                   e.requested_at);
            },
            [](const MonitorCommand& e) {
                return fmt::format(R"("command":{})", json_string(e.command));
            },
            [](const Hotplug& e) {
                return fmt::format(R"("action":"{}","device":{},"options":{})",
                                   e.add ? "add" : "remove", json_string(e.device),
                                   json_string(e.options));
            },
            [](const SerialInput& e) {
                return fmt::format(R"("uart":{},"bytes":{})", e.port,
                                   json_string(as_chars(e.bytes)));
            },
            [](const RunstateChange& e) {
                return fmt::format(R"("from":"{}","to":"{}")", runstate_name(e.from),
                                   runstate_name(e.to));
            },
            [](const Checkpoint& e) {
                return fmt::format(R"("id":{},"state_hash":"{}","snapshot":"{}")", e.id,
                                   e.state_hash.hex(),
                                   e.snapshot.is_zero() ? "" : e.snapshot.hex());
            },
            [](const DiskRead& e) {
                return fmt::format(R"("drive":{},"lba":{},"sectors":{},"data":"{}")", e.drive,
                                   e.lba, e.sectors, e.data.hex());
            },
            [](const End& e) {
                return fmt::format(R"("outcome":"{}","exit_code":{},"state_hash":"{}")",
                                   outcome_name(e.outcome), e.exit_code, e.state_hash.hex());
            },
            [](const UnknownEvent& e) { return fmt::format(R"("union_member":{})", e.which); },
        },
        payload);
}

} // namespace

std::string event_text(const Event& event) {
    return fmt::format("{:<10} {}", kind_name(event.kind()), text_payload(event.payload));
}

std::string event_json(const Event& event) {
    return fmt::format(R"({{"icount":{},"kind":"{}",{}}})", event.icount, kind_name(event.kind()),
                       json_fields(event.payload));
}

std::string json_string(std::string_view text) {
    std::string out = "\"";
    for (unsigned char c : text) {
        switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
            // Bytes outside ASCII are escaped one by one, so any byte string (serial input) is
            // valid JSON; jq shows them as the code points U+0080..U+00FF.
            if (c < 0x20 || c >= 0x7f)
                out += fmt::format("\\u{:04x}", c);
            else
                out += static_cast<char>(c);
        }
    }
    return out + "\"";
}

} // namespace rr86::trace
