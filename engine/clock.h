// VirtualClock: guest time derived from icount only (DESIGN.md, determinism contract §2).
//
// now_ns() = icount << shift (`-icount shift=N`: 2^N ns per instruction). Device timers are
// deadlines in virtual nanoseconds; the run loop never runs past the next deadline, so a timer
// fires at an exact, reproducible instruction. Timers with equal deadlines fire in the order they
// were created. No host clock is ever read.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

namespace rr86 {

class VirtualClock;

class Timer {
  public:
    void arm(uint64_t deadline_ns);
    void arm_in(uint64_t delta_ns);
    void disarm() { armed_ = false; }
    bool armed() const { return armed_; }
    uint64_t deadline() const { return deadline_; }

  private:
    friend class VirtualClock;
    Timer(VirtualClock& clock, std::function<void()> fn) : clock_(clock), fn_(std::move(fn)) {}
    VirtualClock& clock_;
    std::function<void()> fn_;
    uint64_t deadline_ = 0;
    bool armed_ = false;
};

class VirtualClock {
  public:
    // `icount` is the CPU's retired-instruction counter (CpuState::icount), read, never written.
    VirtualClock(const uint64_t& icount, unsigned shift) : icount_(icount), shift_(shift) {}

    uint64_t now_ns() const { return icount_ << shift_; }
    uint64_t icount() const { return icount_; }
    unsigned shift() const { return shift_; }
    // First icount at which `ns` has been reached.
    uint64_t icount_at(uint64_t ns) const { return (ns + (1ull << shift_) - 1) >> shift_; }

    Timer& create_timer(std::function<void()> fn);
    // icount of the earliest armed deadline, or UINT64_MAX.
    uint64_t next_deadline_icount() const;
    // Fires every timer whose deadline has been reached; returns how many fired.
    unsigned run_expired();

  private:
    const uint64_t& icount_;
    unsigned shift_;
    std::vector<std::unique_ptr<Timer>> timers_;
};

} // namespace rr86
