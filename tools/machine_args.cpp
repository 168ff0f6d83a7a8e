#include "tools/machine_args.h"

#include <fmt/core.h>

namespace rr86::tools {

std::optional<std::string> extract_machine_args(std::vector<std::string>& args, MachineArgs& out) {
    std::vector<std::string> rest;
    for (size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        std::string name;
        if (a.rfind("--", 0) == 0) name = a.substr(2);
        else if (a.size() > 1 && a[0] == '-') name = a.substr(1);
        if (name.empty() || !is_machine_option(name)) {
            rest.push_back(a);
            continue;
        }
        if (!option_takes_value(name)) {
            out.emplace_back(name, "");
            continue;
        }
        if (i + 1 >= args.size()) return fmt::format("option '-{}' needs a value", name);
        out.emplace_back(name, args[++i]);
    }
    args = std::move(rest);
    return {};
}

std::optional<std::string> build_config(const MachineArgs& args, MachineConfig& cfg) {
    for (const auto& [name, value] : args) {
        auto err = option_takes_value(name) ? apply_option(cfg, name, value) : apply_flag(cfg, name);
        if (err) return err;
    }
    return validate(cfg);
}

} // namespace rr86::tools
