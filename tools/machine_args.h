// Machine options on the rr86 command line use QEMU's spellings (-bios, -m, -drive, ...), with
// one dash or two. They are taken out of argv in order (order matters: -drive before -device)
// before CLI11 parses the rest, and kept as given: the trace header stores this list.
#pragma once

#include "engine/machine_config.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace rr86::tools {

using MachineArgs = std::vector<std::pair<std::string, std::string>>; // name, value ("" for flags)

// Removes machine options from `args` (argv without the program name), appending them to `out`.
// Returns an error for an option missing its value.
std::optional<std::string> extract_machine_args(std::vector<std::string>& args, MachineArgs& out);

// Applies `args` to a default configuration and validates it.
std::optional<std::string> build_config(const MachineArgs& args, MachineConfig& cfg);

} // namespace rr86::tools
