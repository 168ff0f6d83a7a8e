#include "traces/header.h"

#include <fmt/core.h>

#include <array>
#include <ctime>
#include <string_view>

namespace rr86::trace {

std::string role_name(ImageRole role) {
    static constexpr std::array<std::string_view, 9> names = {"firmware", "option-rom",  "disk",
                                                              "cdrom",    "fw-cfg-blob", "nvram",
                                                              "kernel",   "initrd",      "other"};
    auto i = static_cast<size_t>(role);
    return i < names.size() ? std::string(names[i]) : fmt::format("#{}", i);
}

std::string reset_delivery_name(ResetDelivery model) {
    switch (model) {
    case ResetDelivery::Sync: return "sync";
    case ResetDelivery::Async: return "async";
    }
    return fmt::format("#{}", static_cast<unsigned>(model));
}

std::string fw_cfg_refresh_name(FwCfgRefresh model) {
    switch (model) {
    case FwCfgRefresh::OnRun: return "on-run";
    case FwCfgRefresh::ResetOnly: return "reset-only";
    }
    return fmt::format("#{}", static_cast<unsigned>(model));
}

std::string format_utc(int64_t seconds_since_epoch) {
    std::time_t t = static_cast<std::time_t>(seconds_since_epoch);
    std::tm tm{};
    if (!gmtime_r(&t, &tm)) return fmt::format("@{}", seconds_since_epoch);
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                       tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

} // namespace rr86::trace
