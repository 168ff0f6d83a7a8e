#include "replay/recorder.h"

#include "replay/trace_mapping.h"

namespace rr86::replay {

std::unique_ptr<Recorder> Recorder::create(
    const std::string& path, const std::vector<std::pair<std::string, std::string>>& options,
    Machine& m, const char* rr86_version, std::string& error) {
    trace::Header header = make_header(options, m.config(), rr86_version);
    if (auto err = describe_images(m.config(), header.images)) {
        error = *err;
        return nullptr;
    }
    // Crash safety means surviving the recorder being killed, which the OS page cache already
    // gives; an fdatasync at close would cost more than the whole boot it records.
    trace::WriterOptions wo;
    wo.sync_on_close = false;
    auto w = trace::TraceWriter::create(path, std::move(header), wo);
    if (!w) {
        error = w.message();
        return nullptr;
    }
    std::unique_ptr<Recorder> r(new Recorder(m, std::move(*w)));
    return r;
}

Recorder::Recorder(Machine& m, std::unique_ptr<trace::TraceWriter> w) : m_(m), writer_(std::move(w)) {
    const uint64_t& icount = m_.cpu().s.icount;
    trace::TraceWriter* writer = writer_.get();
    m_.io().observer = [writer, &icount](const PortAccess& a) {
        writer->port_access(icount, a.port, a.size, a.write, a.value);
    };
    m_.mem().mmio_observer = [writer, &icount](uint64_t addr, unsigned size, bool write,
                                                uint32_t value) {
        writer->mmio_access(icount, addr, uint8_t(size), write, value);
    };
    m_.set_observer(this);
}

Recorder::~Recorder() { detach(); }

void Recorder::detach() {
    m_.io().observer = nullptr;
    m_.mem().mmio_observer = nullptr;
    m_.set_observer(nullptr);
}

std::string Recorder::finish(const Outcome& out) {
    detach();
    writer_->append(m_.cpu().s.icount,
                    trace::End{outcome(out.kind), out.status, digest(m_.state_hash())});
    trace::Status st = writer_->close();
    return st.ok() ? std::string() : st.message();
}

void Recorder::host_event(uint64_t icount, const HostEvent& e) {
    writer_->append(icount, host_payload(e));
}

void Recorder::guest_request(uint64_t icount, ResetSource source) {
    writer_->append(icount, trace::GuestRequest{request_kind(source), 0});
}

void Recorder::guest_exit(uint64_t icount, int status) {
    writer_->append(icount, trace::GuestRequest{trace::RequestKind::DebugExit, uint32_t(status)});
}

void Recorder::request_applied(uint64_t icount, ResetSource source, uint64_t requested_at) {
    writer_->append(icount, trace::RequestApplied{request_kind(source), requested_at});
}

void Recorder::interrupt(uint64_t icount, uint8_t vector) {
    writer_->append(icount, trace::Interrupt{vector});
}

void Recorder::runstate(uint64_t icount, RunState from, RunState to) {
    writer_->append(icount, trace::RunstateChange{replay::runstate(from), replay::runstate(to)});
}

} // namespace rr86::replay
