// Format 2 stores the value of each 4- and 8-byte access as the difference (modulo the access
// width) from the previous value of an access with the same tag (class, size, direction) and
// address in the same chunk, or from 0 for the first. Counters read in loops (ACPI PM timer,
// HPET, LAPIC timer) and stepping writes (PCI 0xcf8 addresses) then become small repeating
// numbers: a real SeaBIOS boot went from 1.28 to 0.86 bytes per access (traces/README.md).
// Byte-wide values (console text, fw_cfg data) stay raw: differences make them worse. The history
// starts empty in every chunk, so chunks stay independently decodable. Internal.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace rr86::trace {

// How the values of an EventChunk are coded, from the file's format version.
enum class ValueCoding : uint8_t { Raw, WideDeltas };
inline ValueCoding value_coding(uint32_t format_version) {
    return format_version >= 2 ? ValueCoding::WideDeltas : ValueCoding::Raw;
}
inline bool is_delta_coded(ValueCoding coding, uint8_t access_size) {
    return coding == ValueCoding::WideDeltas && access_size >= 4;
}

// Previous value per (tag, address): an exact map (open addressing), cleared per chunk.
class ValueHistory {
  public:
    void clear();
    // The previous value for (tag, address), 0 if none yet; assign to it to record the new one.
    // The reference is valid until the next call.
    uint64_t& previous(uint8_t tag, uint64_t address);

  private:
    struct Entry {
        uint64_t address = 0;
        uint64_t value = 0;
        uint8_t tag = 0;
        bool used = false;
    };
    size_t slot(uint8_t tag, uint64_t address) const;
    void grow();

    std::vector<Entry> table_ = std::vector<Entry>(64);
    size_t used_ = 0;
};

} // namespace rr86::trace
