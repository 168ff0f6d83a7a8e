#include "devices/uart16550.h"

namespace rr86 {

namespace {
// Register offsets.
constexpr unsigned kRbrThr = 0, kIer = 1, kIirFcr = 2, kLcr = 3, kMcr = 4, kLsr = 5, kMsr = 6;
constexpr unsigned kScr = 7;

constexpr uint8_t kLcrDlab = 0x80;
constexpr uint8_t kMcrDtr = 0x01, kMcrRts = 0x02, kMcrOut1 = 0x04, kMcrOut2 = 0x08;
constexpr uint8_t kMcrLoop = 0x10;
constexpr uint8_t kLsrDr = 0x01, kLsrOe = 0x02, kLsrErrors = 0x1e, kLsrThre = 0x20;
constexpr uint8_t kLsrTemt = 0x40;
constexpr uint8_t kMsrCts = 0x10, kMsrDsr = 0x20, kMsrRi = 0x40, kMsrDcd = 0x80;
constexpr uint8_t kIerRda = 0x01, kIerThre = 0x02, kIerRls = 0x04, kIerMsi = 0x08;
constexpr uint8_t kIirNone = 0x01, kIirMsi = 0x00, kIirThre = 0x02, kIirRda = 0x04;
constexpr uint8_t kIirRls = 0x06, kIirTimeout = 0x0c, kIirFifos = 0xc0;
constexpr uint8_t kFcrEnable = 0x01, kFcrClearRx = 0x02;

// The PC's UART clock: 1.8432 MHz, divided by 16 x divisor per bit.
constexpr uint64_t kUartClockHz = 1843200;
constexpr size_t kHostQueueMax = 1u << 20; // host bytes beyond this are dropped
} // namespace

Uart16550::Uart16550(DeviceContext& ctx, uint16_t base, unsigned irq)
    : io_(ctx.io), irq_(ctx.irq), clock_(ctx.clock), timeout_timer_(ctx.clock.create_timer([this] {
          if (fifo_enabled() && !rx_.empty()) timeout_ipending_ = true;
          update_irq();
      })),
      base_(base), irq_line_(irq) {
    io_.claim(base_, 8, this);
    reset();
}

Uart16550::~Uart16550() {
    timeout_timer_.disarm();
    if (io_.owner(base_) == this) io_.release(base_, 8);
}

void Uart16550::reset() {
    ier_ = fcr_ = lcr_ = mcr_ = lsr_ = msr_delta_ = 0;
    rx_.clear();
    thr_ipending_ = timeout_ipending_ = false;
    timeout_timer_.disarm();
    pull_host_input();
    update_irq();
}

void Uart16550::receive(const uint8_t* data, size_t len) {
    for (size_t i = 0; i < len && host_queue_.size() < kHostQueueMax; ++i)
        host_queue_.push_back(data[i]);
    pull_host_input();
    update_irq();
}

// Moves host bytes into the receiver while it has room. In loopback the receiver is cut off from
// the serial input, so host bytes wait.
void Uart16550::pull_host_input() {
    if (mcr_ & kMcrLoop) return;
    size_t cap = fifo_enabled() ? kFifoSize : 1;
    bool moved = false;
    while (!host_queue_.empty() && rx_.size() < cap) {
        rx_.push_back(host_queue_.front());
        host_queue_.pop_front();
        moved = true;
    }
    if (moved) arm_timeout();
}

// A byte from the (loopback) shift register: overrun when the FIFO or RBR is full (§8.6.3: the
// FIFO keeps its contents, the new character is lost).
void Uart16550::push_rx(uint8_t b) {
    size_t cap = fifo_enabled() ? kFifoSize : 1;
    if (rx_.size() >= cap) {
        lsr_ |= kLsrOe;
    } else {
        rx_.push_back(b);
        arm_timeout();
    }
}

size_t Uart16550::rx_trigger() const {
    static constexpr size_t kLevels[4] = {1, 4, 8, 14};
    return kLevels[fcr_ >> 6];
}

uint64_t Uart16550::char_time_ns() const {
    // Half-bit units: start bit, 5-8 data bits, optional parity, 1 / 1.5 / 2 stop bits.
    unsigned data_bits = (lcr_ & 3) + 5;
    unsigned half_bits = 2 * (1 + data_bits + ((lcr_ & 0x08) ? 1 : 0));
    half_bits += (lcr_ & 0x04) ? (data_bits == 5 ? 3 : 4) : 2;
    uint64_t div = divisor_ ? divisor_ : 65536;
    return half_bits * 16 * div * 1000000000ull / (2 * kUartClockHz);
}

// Character timeout (§8.6.1): four character times without a character received or read.
void Uart16550::arm_timeout() {
    if (fifo_enabled() && !rx_.empty())
        timeout_timer_.arm_in(4 * char_time_ns());
    else
        timeout_timer_.disarm();
}

uint8_t Uart16550::modem_inputs() const {
    if (!(mcr_ & kMcrLoop)) return kMsrCts | kMsrDsr | kMsrDcd; // a connected host terminal
    uint8_t v = 0;
    if (mcr_ & kMcrRts) v |= kMsrCts;
    if (mcr_ & kMcrDtr) v |= kMsrDsr;
    if (mcr_ & kMcrOut1) v |= kMsrRi;
    if (mcr_ & kMcrOut2) v |= kMsrDcd;
    return v;
}

void Uart16550::update_modem_status(uint8_t old_inputs) {
    uint8_t now = modem_inputs();
    uint8_t changed = old_inputs ^ now;
    if (changed & kMsrCts) msr_delta_ |= 0x01;
    if (changed & kMsrDsr) msr_delta_ |= 0x02;
    if ((old_inputs & kMsrRi) && !(now & kMsrRi)) msr_delta_ |= 0x04; // TERI: trailing edge
    if (changed & kMsrDcd) msr_delta_ |= 0x08;
}

// Interrupt priorities, PC16550D Table IV.
uint8_t Uart16550::pending_iir() const {
    if ((ier_ & kIerRls) && (lsr_ & kLsrErrors)) return kIirRls;
    if (ier_ & kIerRda) {
        bool level = fifo_enabled() ? rx_.size() >= rx_trigger() : !rx_.empty();
        if (level) return kIirRda;
        if (timeout_ipending_) return kIirTimeout;
    }
    if ((ier_ & kIerThre) && thr_ipending_) return kIirThre;
    if ((ier_ & kIerMsi) && msr_delta_) return kIirMsi;
    return kIirNone;
}

void Uart16550::update_irq() {
    bool level = pending_iir() != kIirNone && (mcr_ & kMcrOut2) && !(mcr_ & kMcrLoop);
    if (level == irq_level_) return;
    irq_level_ = level;
    irq_.set_irq(irq_line_, level);
}

uint8_t Uart16550::read_rbr() {
    uint8_t v = 0;
    if (!rx_.empty()) {
        v = rx_.front();
        rx_.pop_front();
    }
    timeout_ipending_ = false;
    pull_host_input();
    arm_timeout();
    update_irq();
    return v;
}

void Uart16550::write_thr(uint8_t v) {
    thr_ipending_ = false;
    update_irq();
    if (mcr_ & kMcrLoop) {
        push_rx(v);
    } else if (sink_) {
        sink_(v);
    }
    // Transmission is instantaneous: the holding register is empty again at once.
    thr_ipending_ = true;
    update_irq();
}

uint8_t Uart16550::read_iir() {
    uint8_t id = pending_iir();
    if (id == kIirThre) { // reading IIR clears a THRE interrupt that it reports
        thr_ipending_ = false;
        update_irq();
    }
    return uint8_t(id | (fifo_enabled() ? kIirFifos : 0));
}

uint8_t Uart16550::read_lsr() {
    uint8_t v = uint8_t(lsr_ | kLsrThre | kLsrTemt | (rx_.empty() ? 0 : kLsrDr));
    lsr_ &= uint8_t(~kLsrErrors);
    update_irq();
    return v;
}

uint8_t Uart16550::read_msr() {
    uint8_t v = uint8_t(modem_inputs() | msr_delta_);
    msr_delta_ = 0;
    update_irq();
    return v;
}

void Uart16550::write_fcr(uint8_t v) {
    bool was_enabled = fifo_enabled();
    bool enable = v & kFcrEnable;
    // Changing the FIFO enable bit clears both FIFOs (§8.4).
    if (enable != was_enabled || (v & kFcrClearRx)) {
        rx_.clear();
        timeout_ipending_ = false;
    }
    fcr_ = enable ? uint8_t(v & 0xc9) : 0;
    pull_host_input();
    arm_timeout();
    update_irq();
}

void Uart16550::write_mcr(uint8_t v) {
    uint8_t old_inputs = modem_inputs();
    mcr_ = v & 0x1f;
    update_modem_status(old_inputs);
    pull_host_input();
    update_irq();
}

uint8_t Uart16550::port_read8(uint16_t port) {
    bool dlab = lcr_ & kLcrDlab;
    switch (port - base_) {
    case kRbrThr: return dlab ? uint8_t(divisor_) : read_rbr();
    case kIer: return dlab ? uint8_t(divisor_ >> 8) : ier_;
    case kIirFcr: return read_iir();
    case kLcr: return lcr_;
    case kMcr: return mcr_;
    case kLsr: return read_lsr();
    case kMsr: return read_msr();
    case kScr: return scr_;
    default: return 0xff;
    }
}

void Uart16550::port_write8(uint16_t port, uint8_t value) {
    bool dlab = lcr_ & kLcrDlab;
    switch (port - base_) {
    case kRbrThr:
        if (dlab)
            divisor_ = uint16_t((divisor_ & 0xff00) | value);
        else
            write_thr(value);
        break;
    case kIer:
        if (dlab) {
            divisor_ = uint16_t((divisor_ & 0x00ff) | value << 8);
        } else {
            // Enabling the THRE interrupt while THR is empty raises it (as software expects).
            if ((value & kIerThre) && !(ier_ & kIerThre)) thr_ipending_ = true;
            ier_ = value & 0x0f;
            update_irq();
        }
        break;
    case kIirFcr: write_fcr(value); break;
    case kLcr: lcr_ = value; break;
    case kMcr: write_mcr(value); break;
    case kScr: scr_ = value; break;
    default: break; // LSR and MSR writes (factory test) are ignored
    }
}

} // namespace rr86
