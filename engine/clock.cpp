#include "engine/clock.h"

#include <limits>

namespace rr86 {

void Timer::arm(uint64_t deadline_ns) {
    deadline_ = deadline_ns;
    armed_ = true;
}

void Timer::arm_in(uint64_t delta_ns) { arm(clock_.now_ns() + delta_ns); }

Timer& VirtualClock::create_timer(std::function<void()> fn) {
    timers_.push_back(std::unique_ptr<Timer>(new Timer(*this, std::move(fn))));
    return *timers_.back();
}

uint64_t VirtualClock::next_deadline_icount() const {
    uint64_t next = std::numeric_limits<uint64_t>::max();
    for (const auto& t : timers_)
        if (t->armed_ && icount_at(t->deadline_) < next) next = icount_at(t->deadline_);
    return next;
}

unsigned VirtualClock::run_expired() {
    unsigned fired = 0;
    uint64_t now = now_ns();
    // Creation order breaks ties, so the firing order is reproducible.
    for (const auto& t : timers_) {
        if (t->armed_ && t->deadline_ <= now) {
            t->armed_ = false;
            t->fn_();
            ++fired;
        }
    }
    return fired;
}

} // namespace rr86
