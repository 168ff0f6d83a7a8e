// Events as text: one line for humans (`rr86 trace dump`) and one JSON object for jq
// (`rr86 trace dump --json`). Also used by divergence reports, which print the expected event.
#pragma once

#include "traces/event.h"

#include <string>
#include <string_view>

namespace rr86::trace {

// "port      out  0x0cf9 size=1 value=0x06" (no icount).
std::string event_text(const Event& event);
// {"icount":123,"kind":"port","write":true,"port":3321,"size":1,"value":6}
std::string event_json(const Event& event);
// `text` as a JSON string literal, quotes included.
std::string json_string(std::string_view text);

} // namespace rr86::trace
