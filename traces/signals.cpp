#include "traces/signals.h"

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>

namespace rr86::trace {

namespace {

std::atomic<int> g_requested{0};
static_assert(std::atomic<int>::is_always_lock_free, "the handler needs a lock-free store");

struct sigaction g_previous_int;
struct sigaction g_previous_term;
bool g_installed = false;

extern "C" void on_close_signal(int signo) { g_requested.store(signo, std::memory_order_relaxed); }

} // namespace

Status CloseSignals::install() {
    if (g_installed) return {};
    struct sigaction action {};
    action.sa_handler = on_close_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESETHAND | SA_RESTART;
    if (sigaction(SIGINT, &action, &g_previous_int) != 0 ||
        sigaction(SIGTERM, &action, &g_previous_term) != 0)
        return make_error("cannot install SIGINT/SIGTERM handlers: {}", std::strerror(errno));
    g_installed = true;
    return {};
}

void CloseSignals::uninstall() {
    if (!g_installed) return;
    sigaction(SIGINT, &g_previous_int, nullptr);
    sigaction(SIGTERM, &g_previous_term, nullptr);
    g_installed = false;
}

int CloseSignals::requested() { return g_requested.load(std::memory_order_relaxed); }

void CloseSignals::clear() { g_requested.store(0, std::memory_order_relaxed); }

} // namespace rr86::trace
