#include "replay/trace_mapping.h"

#include "traces/images.h"

#include <fmt/core.h>

namespace rr86::replay {

trace::RequestKind request_kind(ResetSource source) {
    switch (source) {
    case ResetSource::Cf9: return trace::RequestKind::ResetCf9;
    case ResetSource::Kbc: return trace::RequestKind::ResetI8042;
    case ResetSource::Port92: return trace::RequestKind::ResetPort92;
    case ResetSource::TripleFault: return trace::RequestKind::TripleFault;
    case ResetSource::Monitor: break;
    }
    return trace::RequestKind::ResetCf9;
}

std::optional<ResetSource> reset_source(trace::RequestKind kind) {
    switch (kind) {
    case trace::RequestKind::ResetCf9: return ResetSource::Cf9;
    case trace::RequestKind::ResetI8042: return ResetSource::Kbc;
    case trace::RequestKind::ResetPort92: return ResetSource::Port92;
    case trace::RequestKind::TripleFault: return ResetSource::TripleFault;
    default: return std::nullopt;
    }
}

trace::Runstate runstate(RunState s) {
    switch (s) {
    case RunState::Prelaunch: return trace::Runstate::Prelaunch;
    case RunState::Running: return trace::Runstate::Running;
    case RunState::Paused: return trace::Runstate::Paused;
    case RunState::Shutdown: return trace::Runstate::Shutdown;
    }
    return trace::Runstate::InternalError;
}

trace::Outcome outcome(Outcome::Kind k) {
    switch (k) {
    case Outcome::Exit: return trace::Outcome::Exit;
    case Outcome::Shutdown: return trace::Outcome::Shutdown;
    case Outcome::Hang: return trace::Outcome::Hang;
    case Outcome::TripleFault: return trace::Outcome::TripleFault;
    case Outcome::Quit: return trace::Outcome::Interrupted;
    }
    return trace::Outcome::Interrupted;
}

Outcome::Kind outcome_kind(trace::Outcome o) {
    switch (o) {
    case trace::Outcome::Exit: return Outcome::Exit;
    case trace::Outcome::Shutdown: return Outcome::Shutdown;
    case trace::Outcome::Hang:
    case trace::Outcome::Limit: return Outcome::Hang;
    case trace::Outcome::TripleFault: return Outcome::TripleFault;
    case trace::Outcome::Interrupted: return Outcome::Quit;
    }
    return Outcome::Quit;
}

trace::Digest128 digest(const StateHash& h) { return trace::Digest128{h.hi, h.lo}; }

trace::Payload host_payload(const HostEvent& e) {
    switch (e.kind) {
    case HostEvent::SerialInput:
        return trace::SerialInput{0, std::vector<uint8_t>(e.text.begin(), e.text.end())};
    case HostEvent::Quit: return trace::MonitorCommand{"quit"};
    case HostEvent::MonitorCommand: break;
    }
    return trace::MonitorCommand{e.text};
}

std::optional<HostEvent> host_event(const trace::Event& e) {
    if (auto* m = e.get<trace::MonitorCommand>()) return HostEvent{HostEvent::MonitorCommand, m->command};
    if (auto* s = e.get<trace::SerialInput>())
        return HostEvent{HostEvent::SerialInput, std::string(s->bytes.begin(), s->bytes.end())};
    return std::nullopt;
}

trace::Header make_header(const std::vector<std::pair<std::string, std::string>>& options,
                          const MachineConfig& cfg, const char* rr86_version) {
    trace::Header h;
    h.rr86_version = rr86_version;
    for (const auto& [k, v] : options) h.options.push_back({k, v});
    h.machine.ram_bytes = cfg.ram_bytes;
    h.machine.cpu_model = "p6-family (CPUID 06fb)";
    h.machine.reset_delivery = cfg.reset_delivery == ResetDelivery::Async
                                   ? trace::ResetDelivery::Async
                                   : trace::ResetDelivery::Sync;
    h.machine.fw_cfg_refresh = cfg.fw_cfg_refresh == FwCfgRefresh::ResetOnly
                                   ? trace::FwCfgRefresh::ResetOnly
                                   : trace::FwCfgRefresh::OnRun;
    h.machine.rtc_start = cfg.rtc_base;
    h.machine.icount_shift = uint8_t(cfg.icount_shift);
    return h;
}

std::vector<std::pair<std::string, std::string>> options_of(const trace::Header& h) {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& o : h.options) out.emplace_back(o.key, o.value);
    return out;
}

std::optional<std::string> describe_images(const MachineConfig& cfg,
                                           std::vector<trace::ImageInfo>& out) {
    auto add_file = [&](trace::ImageRole role, std::string name,
                        const std::string& path) -> std::optional<std::string> {
        auto info = trace::describe_image(role, std::move(name), path);
        if (!info) return info.message();
        out.push_back(*info);
        return {};
    };
    if (auto err = add_file(trace::ImageRole::Firmware, "bios", cfg.bios_path)) return err;
    for (size_t i = 0; i < cfg.drives.size(); ++i) {
        const DriveConfig& d = cfg.drives[i];
        std::string name = d.id.empty() ? fmt::format("drive{}", i) : d.id;
        if (auto err = add_file(trace::ImageRole::Disk, name, d.file)) return err;
    }
    for (const auto& b : cfg.fw_cfg_blobs) {
        if (b.from_string) {
            out.push_back(trace::describe_bytes(
                trace::ImageRole::FwCfgBlob, b.name,
                std::span(reinterpret_cast<const uint8_t*>(b.string.data()), b.string.size())));
        } else if (auto err = add_file(trace::ImageRole::FwCfgBlob, b.name, b.file)) {
            return err;
        }
    }
    return {};
}

} // namespace rr86::replay
