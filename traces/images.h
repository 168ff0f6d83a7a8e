// Image identity (seed 003: a ROM of another size or content is another machine). The recorder
// describes each image into the header; the replayer compares the header against what it is about
// to load and refuses the first mismatch.
#pragma once

#include "traces/header.h"
#include "traces/result.h"

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace rr86::trace {

// Size and XXH3-128 of a file on disk.
Result<ImageInfo> describe_image(ImageRole role, std::string name, const std::string& path);
// The same for bytes given inline (e.g. `-fw_cfg name=...,string=...`).
ImageInfo describe_bytes(ImageRole role, std::string name, std::span<const uint8_t> bytes);

// The first difference between the recorded images and the machine's, as one line naming the
// image: a missing or extra image, another size, another digest. Images match by role and name.
Status compare_images(const std::vector<ImageInfo>& recorded, const std::vector<ImageInfo>& actual);

// Re-describes every recorded image that has a path and compares it with the record.
Status check_images_on_disk(const std::vector<ImageInfo>& recorded);

} // namespace rr86::trace
