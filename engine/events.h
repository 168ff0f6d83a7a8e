// EventQueue: the only channel from other threads (monitor, serial input, signals) to the vCPU
// thread (DESIGN.md, determinism contract §3). The vCPU drains it at defined points and stamps each
// event with its icount; nothing else of another thread's timing reaches the guest.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>

namespace rr86 {

struct HostEvent {
    enum Kind : uint8_t {
        MonitorCommand, // text: one monitor line
        SerialInput,    // text: bytes typed to COM1
        Quit,           // SIGINT/SIGTERM or end of input: stop the session cleanly
    } kind;
    std::string text;
};

class EventQueue {
  public:
    void post(HostEvent e) {
        {
            std::lock_guard lock(mutex_);
            queue_.push_back(std::move(e));
            pending_.store(true, std::memory_order_release);
        }
        cv_.notify_one();
    }
    std::optional<HostEvent> try_take() {
        std::lock_guard lock(mutex_);
        return pop_locked();
    }
    // Raised while events wait: the vCPU looks at it between blocks, so an event is taken within
    // a block's time of its arrival (like QEMU's exit request), not at the end of a time slice.
    const std::atomic<bool>& pending() const { return pending_; }
    // Blocks until an event arrives or `timeout` passes (host time only decides when the vCPU
    // looks again, never what the guest sees).
    std::optional<HostEvent> wait_take(std::chrono::milliseconds timeout) {
        std::unique_lock lock(mutex_);
        cv_.wait_for(lock, timeout, [&] { return !queue_.empty(); });
        return pop_locked();
    }

  private:
    std::optional<HostEvent> pop_locked() {
        if (queue_.empty()) return std::nullopt;
        HostEvent e = std::move(queue_.front());
        queue_.pop_front();
        pending_.store(!queue_.empty(), std::memory_order_release);
        return e;
    }

    mutable std::mutex mutex_;
    std::condition_variable cv_;
    std::deque<HostEvent> queue_;
    std::atomic<bool> pending_{false};
};

} // namespace rr86
