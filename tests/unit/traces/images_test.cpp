// Seed 003: images are identified by size and XXH3-128; a changed ROM is another machine.
#include "test_support.h"

#include "traces/images.h"

#include <xxhash.h>

using namespace rr86::trace;
using namespace rr86::trace::test;

TEST_CASE("digests print as xxh128sum does") {
    std::vector<uint8_t> bytes = {'r', 'r', '8', '6'};
    Digest128 d = digest_of(bytes);
    XXH128_canonical_t canonical;
    XXH128_canonicalFromHash(&canonical, XXH3_128bits(bytes.data(), bytes.size()));
    std::string expected;
    for (uint8_t b : canonical.digest)
        expected += fmt::format("{:02x}", b);
    CHECK(d.hex() == expected);
    CHECK(Digest128::from_hex(d.hex()) == d);
    CHECK_FALSE(Digest128::from_hex("xyz").has_value());
    CHECK(digest_of({}).hex() == "99aa06d3014798d86001c324468d497f"); // XXH3-128 of nothing
}

TEST_CASE("describe, compare and check images") {
    ScratchDir dir;
    std::vector<uint8_t> rom(65536, 0xff);
    rom[0] = 0xea;
    write_file(dir.file("bios.bin"), rom);
    auto bios = describe_image(ImageRole::Firmware, "bios", dir.file("bios.bin"));
    REQUIRE_OK(bios);
    CHECK(bios->size == 65536);
    CHECK(bios->digest == digest_of(rom).hex());
    ImageInfo blob = describe_bytes(ImageRole::FwCfgBlob, "opt/GuestInfo", rom);
    std::vector<ImageInfo> recorded = {*bios, blob};

    CHECK_OK(compare_images(recorded, recorded));
    CHECK_OK(check_images_on_disk(recorded));

    SUBCASE("a ROM of another size") {
        rom.resize(131072, 0xff);
        write_file(dir.file("bios.bin"), rom);
        auto st = check_images_on_disk(recorded);
        REQUIRE_FALSE(st.ok());
        CHECK(st.message() == "image firmware 'bios': " + dir.file("bios.bin") +
                                  " is 131072 bytes, the trace recorded 65536 bytes (another "
                                  "machine)");
    }
    SUBCASE("a ROM of the same size, other content") {
        rom[100] = 0;
        write_file(dir.file("bios.bin"), rom);
        auto st = check_images_on_disk(recorded);
        REQUIRE_FALSE(st.ok());
        CHECK(st.message().find("has digest") != std::string::npos);
    }
    SUBCASE("a missing file") {
        std::filesystem::remove(dir.file("bios.bin"));
        auto st = check_images_on_disk(recorded);
        REQUIRE_FALSE(st.ok());
        CHECK(st.message().find("No such file") != std::string::npos);
    }
    SUBCASE("an image missing from the machine, or added to it") {
        auto st = compare_images(recorded, {*bios});
        REQUIRE_FALSE(st.ok());
        CHECK(st.message() == "image fw-cfg-blob 'opt/GuestInfo': in the trace but not in this "
                              "machine");
        ImageInfo disk{ImageRole::Disk, "ide0-hd0", "/d.img", 1, "00"};
        st = compare_images(recorded, {*bios, blob, disk});
        REQUIRE_FALSE(st.ok());
        CHECK(st.message() == "image disk 'ide0-hd0': in this machine but not in the trace");
    }
}

TEST_CASE("the header's images survive a trace round trip and can refuse a changed ROM") {
    ScratchDir dir;
    std::vector<uint8_t> rom(4096, 0x90);
    write_file(dir.file("bios.bin"), rom);
    Header header = sample_header();
    auto bios = describe_image(ImageRole::Firmware, "bios", dir.file("bios.bin"));
    REQUIRE_OK(bios);
    header.images = {*bios};
    auto writer = TraceWriter::create(dir.file("t.rr86"), header);
    REQUIRE_OK(writer);
    REQUIRE_OK((*writer)->close());
    auto reader = TraceReader::open(dir.file("t.rr86"));
    REQUIRE_OK(reader);
    CHECK_OK(check_images_on_disk(reader->header().images));
    rom.push_back(0);
    write_file(dir.file("bios.bin"), rom);
    CHECK_FALSE(check_images_on_disk(reader->header().images).ok());
}
