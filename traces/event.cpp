#include "traces/event.h"

#include <fmt/core.h>

#include <array>

namespace rr86::trace {

namespace {

constexpr std::array<std::string_view, kEventKindCount> kKindNames = {
    "port",   "mmio",     "interrupt",  "request",   "applied", "monitor", "hotplug",
    "serial", "runstate", "checkpoint", "disk-read", "end",     "unknown",
};

template <size_t N>
std::string enum_name(const std::array<std::string_view, N>& names, uint16_t value) {
    if (value < N) return std::string(names[value]);
    return fmt::format("#{}", value);
}

} // namespace

std::string_view kind_name(EventKind kind) {
    auto i = static_cast<size_t>(kind);
    return i < kKindNames.size() ? kKindNames[i] : "unknown";
}

std::optional<EventKind> kind_from_name(std::string_view name) {
    for (size_t i = 0; i < kKindNames.size(); ++i) {
        if (kKindNames[i] == name) return static_cast<EventKind>(i);
    }
    return std::nullopt;
}

std::string all_kind_names() {
    std::string out;
    for (auto name : kKindNames) {
        if (!out.empty()) out += ", ";
        out += name;
    }
    return out;
}

bool is_host_side(EventKind kind) {
    return kind == EventKind::MonitorCommand || kind == EventKind::Hotplug ||
           kind == EventKind::SerialInput || kind == EventKind::RunstateChange;
}

std::string request_name(RequestKind kind) {
    static constexpr std::array<std::string_view, 6> names = {
        "reset-cf9", "reset-i8042", "reset-port92", "triple-fault", "shutdown", "debug-exit"};
    return enum_name(names, static_cast<uint16_t>(kind));
}

std::string runstate_name(Runstate state) {
    static constexpr std::array<std::string_view, 6> names = {
        "prelaunch", "running", "paused", "shutdown", "debug", "internal-error"};
    return enum_name(names, static_cast<uint16_t>(state));
}

std::string outcome_name(Outcome outcome) {
    static constexpr std::array<std::string_view, 6> names = {
        "exit", "shutdown", "hang", "triple-fault", "interrupted", "limit"};
    return enum_name(names, static_cast<uint16_t>(outcome));
}

} // namespace rr86::trace
