#include "traces/schema_codec.h"

#include "traces/format.h"

#include <capnp/serialize-packed.h>
#include <capnp/serialize.h>
#include <kj/io.h>

#include <bit>
#include <type_traits>

namespace rr86::trace {

namespace {

template <class... F> struct Overload : F... { using F::operator()...; };
template <class... F> Overload(F...) -> Overload<F...>;

// The variant order and the union order are the same list (event.h); check the ends and a middle.
static_assert(static_cast<int>(schema::Event::PORT_ACCESS) ==
              static_cast<int>(EventKind::PortAccess));
static_assert(static_cast<int>(schema::Event::DISK_READ) == static_cast<int>(EventKind::DiskRead));
static_assert(static_cast<int>(schema::Event::END) == static_cast<int>(EventKind::End));

template <class E, class S> E from_schema(S value) {
    return static_cast<E>(static_cast<uint16_t>(value));
}
template <class S, class E> S to_schema(E value) {
    return static_cast<S>(static_cast<uint16_t>(value));
}

kj::StringPtr text(const std::string& s) { return kj::StringPtr(s.c_str(), s.size()); }
std::string string(capnp::Text::Reader t) { return std::string(t.cStr(), t.size()); }

void set_machine(schema::MachineConfig::Builder out, const MachineConfig& m) {
    out.setRamBytes(m.ram_bytes);
    out.setCpuModel(text(m.cpu_model));
    out.setResetDelivery(to_schema<schema::ResetDelivery>(m.reset_delivery));
    out.setFwCfgRefresh(to_schema<schema::FwCfgRefresh>(m.fw_cfg_refresh));
    out.setRtcStart(m.rtc_start);
    out.setIcountShift(m.icount_shift);
}

MachineConfig get_machine(schema::MachineConfig::Reader in) {
    MachineConfig m;
    m.ram_bytes = in.getRamBytes();
    m.cpu_model = string(in.getCpuModel());
    m.reset_delivery = from_schema<ResetDelivery>(in.getResetDelivery());
    m.fw_cfg_refresh = from_schema<FwCfgRefresh>(in.getFwCfgRefresh());
    m.rtc_start = in.getRtcStart();
    m.icount_shift = in.getIcountShift();
    return m;
}

} // namespace

capnp::ReaderOptions reader_options(uint32_t message_words) {
    capnp::ReaderOptions options;
    options.traversalLimitInWords = uint64_t{message_words} + 64;
    options.nestingLimit = 16; // the deepest legitimate path is Index.blobs[i].digest
    return options;
}

void set_digest(schema::Digest128::Builder out, const Digest128& digest) {
    out.setHi(digest.hi);
    out.setLo(digest.lo);
}

Digest128 get_digest(schema::Digest128::Reader in) { return {in.getHi(), in.getLo()}; }

void set_header(schema::Header::Builder out, const Header& header) {
    out.setFormatVersion(header.format_version);
    out.setMinReaderVersion(header.min_reader_version);
    out.setRr86Version(text(header.rr86_version));
    auto options = out.initOptions(static_cast<unsigned>(header.options.size()));
    for (unsigned i = 0; i < options.size(); ++i) {
        options[i].setKey(text(header.options[i].key));
        options[i].setValue(text(header.options[i].value));
    }
    set_machine(out.initMachine(), header.machine);
    auto images = out.initImages(static_cast<unsigned>(header.images.size()));
    for (unsigned i = 0; i < images.size(); ++i) {
        const ImageInfo& image = header.images[i];
        images[i].setRole(to_schema<schema::ImageRole>(image.role));
        images[i].setName(text(image.name));
        images[i].setPath(text(image.path));
        images[i].setSize(image.size);
        images[i].setDigest(text(image.digest));
    }
}

Result<Header> get_header(schema::Header::Reader in) {
    auto options = in.getOptions();
    auto images = in.getImages();
    if (options.size() > kMaxHeaderEntries || images.size() > kMaxHeaderEntries)
        return make_error("header lists {} options and {} images (at most {} each)", options.size(),
                          images.size(), kMaxHeaderEntries);
    Header h;
    h.format_version = in.getFormatVersion();
    h.min_reader_version = in.getMinReaderVersion();
    h.rr86_version = string(in.getRr86Version());
    for (auto option : options)
        h.options.push_back({string(option.getKey()), string(option.getValue())});
    h.machine = get_machine(in.getMachine());
    for (auto image : images) {
        h.images.push_back({from_schema<ImageRole>(image.getRole()), string(image.getName()),
                            string(image.getPath()), image.getSize(), string(image.getDigest())});
    }
    return h;
}

void set_event(schema::Event::Builder out, const Payload& payload) {
    std::visit(
        Overload{
            [&](const PortAccess& e) {
                auto b = out.initPortAccess();
                b.setPort(e.port);
                b.setSize(e.size);
                b.setWrite(e.write);
                b.setValue(e.value);
            },
            [&](const MmioAccess& e) {
                auto b = out.initMmioAccess();
                b.setAddress(e.address);
                b.setSize(e.size);
                b.setWrite(e.write);
                b.setValue(e.value);
            },
            [&](const Interrupt& e) { out.initInterrupt().setVector(e.vector); },
            [&](const GuestRequest& e) {
                auto b = out.initGuestRequest();
                b.setKind(to_schema<schema::RequestKind>(e.kind));
                b.setValue(e.value);
            },
            [&](const RequestApplied& e) {
                auto b = out.initRequestApplied();
                b.setKind(to_schema<schema::RequestKind>(e.kind));
                b.setRequestedAt(e.requested_at);
            },
            [&](const MonitorCommand& e) { out.initMonitorCommand().setCommand(text(e.command)); },
            [&](const Hotplug& e) {
                auto b = out.initHotplug();
                b.setAdd(e.add);
                b.setDevice(text(e.device));
                b.setOptions(text(e.options));
            },
            [&](const SerialInput& e) {
                auto b = out.initSerialInput();
                b.setPort(e.port);
                b.setBytes(kj::arrayPtr(e.bytes.data(), e.bytes.size()));
            },
            [&](const RunstateChange& e) {
                auto b = out.initRunstateChange();
                b.setFrom(to_schema<schema::Runstate>(e.from));
                b.setTo(to_schema<schema::Runstate>(e.to));
            },
            [&](const Checkpoint& e) {
                auto b = out.initCheckpoint();
                b.setId(e.id);
                set_digest(b.initStateHash(), e.state_hash);
                set_digest(b.initSnapshot(), e.snapshot);
            },
            [&](const DiskRead& e) {
                auto b = out.initDiskRead();
                b.setDrive(e.drive);
                b.setLba(e.lba);
                b.setSectors(e.sectors);
                set_digest(b.initData(), e.data);
            },
            [&](const End& e) {
                auto b = out.initEnd();
                b.setOutcome(to_schema<schema::Outcome>(e.outcome));
                b.setExitCode(e.exit_code);
                set_digest(b.initStateHash(), e.state_hash);
            },
            // An unknown event cannot be written back: its content is lost. Such an event only
            // exists when reading a newer file, which this writer never copies.
            [&](const UnknownEvent&) {},
        },
        payload);
}

Result<Payload> get_event(schema::Event::Reader in) {
    switch (in.which()) {
    case schema::Event::PORT_ACCESS: {
        auto r = in.getPortAccess();
        if (!valid_access_size(kTagClassPort, r.getSize()))
            return make_error("port access of size {}", r.getSize());
        return Payload{PortAccess{r.getPort(), r.getSize(), r.getWrite(), r.getValue()}};
    }
    case schema::Event::MMIO_ACCESS: {
        auto r = in.getMmioAccess();
        if (!valid_access_size(kTagClassMmio, r.getSize()))
            return make_error("MMIO access of size {}", r.getSize());
        return Payload{MmioAccess{r.getAddress(), r.getSize(), r.getWrite(), r.getValue()}};
    }
    case schema::Event::INTERRUPT: return Payload{Interrupt{in.getInterrupt().getVector()}};
    case schema::Event::GUEST_REQUEST: {
        auto r = in.getGuestRequest();
        return Payload{GuestRequest{from_schema<RequestKind>(r.getKind()), r.getValue()}};
    }
    case schema::Event::REQUEST_APPLIED: {
        auto r = in.getRequestApplied();
        return Payload{RequestApplied{from_schema<RequestKind>(r.getKind()), r.getRequestedAt()}};
    }
    case schema::Event::MONITOR_COMMAND:
        return Payload{MonitorCommand{string(in.getMonitorCommand().getCommand())}};
    case schema::Event::HOTPLUG: {
        auto r = in.getHotplug();
        return Payload{Hotplug{r.getAdd(), string(r.getDevice()), string(r.getOptions())}};
    }
    case schema::Event::SERIAL_INPUT: {
        auto r = in.getSerialInput();
        auto bytes = r.getBytes();
        return Payload{SerialInput{r.getPort(), {bytes.begin(), bytes.end()}}};
    }
    case schema::Event::RUNSTATE_CHANGE: {
        auto r = in.getRunstateChange();
        return Payload{
            RunstateChange{from_schema<Runstate>(r.getFrom()), from_schema<Runstate>(r.getTo())}};
    }
    case schema::Event::CHECKPOINT: {
        auto r = in.getCheckpoint();
        return Payload{
            Checkpoint{r.getId(), get_digest(r.getStateHash()), get_digest(r.getSnapshot())}};
    }
    case schema::Event::DISK_READ: {
        auto r = in.getDiskRead();
        return Payload{DiskRead{r.getDrive(), r.getLba(), r.getSectors(), get_digest(r.getData())}};
    }
    case schema::Event::END: {
        auto r = in.getEnd();
        return Payload{End{from_schema<Outcome>(r.getOutcome()), r.getExitCode(),
                           get_digest(r.getStateHash())}};
    }
    }
    return Payload{UnknownEvent{static_cast<uint16_t>(in.which())}};
}

std::vector<uint8_t> pack_message(capnp::MessageBuilder& message, uint32_t& words) {
    auto segments = message.getSegmentsForOutput();
    words = static_cast<uint32_t>(capnp::computeSerializedSizeInWords(segments));
    kj::VectorOutputStream out(words * 8 + 64);
    capnp::writePackedMessage(out, segments);
    auto bytes = out.getArray();
    return {bytes.begin(), bytes.end()};
}

bool valid_access_size(uint8_t tag_class, uint8_t size) {
    switch (size) {
    case 1:
    case 2:
    case 4: return true;
    case 8: return tag_class == kTagClassMmio;
    default: return false;
    }
}

} // namespace rr86::trace
