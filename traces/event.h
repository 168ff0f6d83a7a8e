// The event vocabulary of a trace, as C++ values. It mirrors the `Event` union of trace.capnp
// member for member (the variant index is the union discriminant and the EventKind), so adding an
// event kind means adding it in both places, in the same position.
#pragma once

#include "traces/digest.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace rr86::trace {

// Enumerations are 16 bits wide like Cap'n Proto's, so a value written by a newer rr86 survives
// a round trip through an older one (schema rule 5) and prints as its number.
enum class RequestKind : uint16_t {
    ResetCf9,
    ResetI8042,
    ResetPort92,
    TripleFault,
    Shutdown,
    DebugExit
};
enum class Runstate : uint16_t { Prelaunch, Running, Paused, Shutdown, Debug, InternalError };
enum class Outcome : uint16_t { Exit, Shutdown, Hang, TripleFault, Interrupted, Limit };

struct PortAccess {
    uint16_t port = 0;
    uint8_t size = 1; // 1, 2 or 4
    bool write = false;
    uint32_t value = 0;
    bool operator==(const PortAccess&) const = default;
};

struct MmioAccess {
    uint64_t address = 0;
    uint8_t size = 1; // 1, 2, 4 or 8
    bool write = false;
    uint64_t value = 0;
    bool operator==(const MmioAccess&) const = default;
};

struct Interrupt {
    uint8_t vector = 0;
    bool operator==(const Interrupt&) const = default;
};

struct GuestRequest {
    RequestKind kind = RequestKind::ResetCf9;
    uint32_t value = 0; // byte written, or the debug-exit code
    bool operator==(const GuestRequest&) const = default;
};

struct RequestApplied {
    RequestKind kind = RequestKind::ResetCf9;
    uint64_t requested_at = 0; // icount of the GuestRequest
    bool operator==(const RequestApplied&) const = default;
};

struct MonitorCommand {
    std::string command;
    bool operator==(const MonitorCommand&) const = default;
};

struct Hotplug {
    bool add = true;
    std::string device;
    std::string options;
    bool operator==(const Hotplug&) const = default;
};

struct SerialInput {
    uint8_t port = 0;
    std::vector<uint8_t> bytes;
    bool operator==(const SerialInput&) const = default;
};

struct RunstateChange {
    Runstate from = Runstate::Prelaunch;
    Runstate to = Runstate::Running;
    bool operator==(const RunstateChange&) const = default;
};

struct Checkpoint {
    uint64_t id = 0;
    Digest128 state_hash;
    Digest128 snapshot; // zero: no snapshot stored in the trace
    bool operator==(const Checkpoint&) const = default;
};

struct DiskRead {
    uint8_t drive = 0;
    uint64_t lba = 0;
    uint32_t sectors = 0;
    Digest128 data; // the sectors' bytes: TraceWriter::add_data / TraceReader::blob
    bool operator==(const DiskRead&) const = default;
};

struct End {
    Outcome outcome = Outcome::Exit;
    int32_t exit_code = 0;
    Digest128 state_hash;
    bool operator==(const End&) const = default;
};

// A union member this reader does not know (written by a newer rr86).
struct UnknownEvent {
    uint16_t which = 0;
    bool operator==(const UnknownEvent&) const = default;
};

using Payload =
    std::variant<PortAccess, MmioAccess, Interrupt, GuestRequest, RequestApplied, MonitorCommand,
                 Hotplug, SerialInput, RunstateChange, Checkpoint, DiskRead, End, UnknownEvent>;

enum class EventKind : uint8_t {
    PortAccess,
    MmioAccess,
    Interrupt,
    GuestRequest,
    RequestApplied,
    MonitorCommand,
    Hotplug,
    SerialInput,
    RunstateChange,
    Checkpoint,
    DiskRead,
    End,
    Unknown,
};
inline constexpr size_t kEventKindCount = std::variant_size_v<Payload>;

struct Event {
    uint64_t icount = 0;
    Payload payload;

    EventKind kind() const { return static_cast<EventKind>(payload.index()); }
    template <class T> const T* get() const { return std::get_if<T>(&payload); }
    bool operator==(const Event&) const = default;
};

// Short names used by `rr86 trace dump --kind` and in JSON: "port", "mmio", "interrupt", ...
std::string_view kind_name(EventKind kind);
std::optional<EventKind> kind_from_name(std::string_view name);
std::string all_kind_names(); // "port, mmio, ..." for error messages

// Host-side events come from outside the guest; the writer flushes a chunk at each (issue 4).
bool is_host_side(EventKind kind);

std::string request_name(RequestKind kind);
std::string runstate_name(Runstate state);
std::string outcome_name(Outcome outcome);

} // namespace rr86::trace
