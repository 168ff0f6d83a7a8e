// The example of traces/README.md, compiled and run, so that it cannot rot.
#include "test_support.h"

#include "traces/images.h"

using namespace rr86::trace;
using namespace rr86::trace::test;

TEST_CASE("the README example works") {
    ScratchDir dir;
    write_file(dir.file("bios.bin"), std::vector<uint8_t>(65536, 0xff));
    std::filesystem::current_path(dir.path());
    auto die = [](const std::string& message) { FAIL(message); };
    std::vector<std::pair<uint64_t, PortAccess>> seen;
    auto use = [&](uint64_t icount, const PortAccess& p) { seen.emplace_back(icount, p); };

    // --- as in traces/README.md ---
    // clang-format off
    Header header{.rr86_version = "0.1.0", .options = {{"m", "128M"}}, .machine = {128u << 20, "pentium3"}};
    header.images.push_back(*describe_image(ImageRole::Firmware, "bios", "bios.bin"));
    auto writer = TraceWriter::create("boot.rr86", header);  // Result<std::unique_ptr<TraceWriter>>
    (*writer)->port_access(1234, 0xcf9, 1, /*write=*/true, 0x06); // vCPU thread: no lock, no syscall
    (*writer)->append(1234, GuestRequest{RequestKind::ResetCf9, 0x06});
    Status closed = (*writer)->close();                      // index, trailer, fdatasync

    auto reader = TraceReader::open("boot.rr86");            // Result<TraceReader>
    if (auto refused = check_images_on_disk(reader->header().images); !refused) die(refused.message());
    reader->seek(1000);                                      // reads one chunk
    for (Event e; reader->next(e);) if (auto* p = e.get<PortAccess>()) use(e.icount, *p);
    if (!reader->status().ok()) die(reader->status().message());
    // clang-format on
    // --- end of the example ---

    CHECK(closed.ok());
    REQUIRE(seen.size() == 1);
    CHECK(seen[0].first == 1234);
    CHECK(seen[0].second == PortAccess{0xcf9, 1, true, 6});
    std::filesystem::current_path(std::filesystem::temp_directory_path());
}
