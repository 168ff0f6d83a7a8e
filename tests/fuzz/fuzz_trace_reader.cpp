// libFuzzer target over the trace reader (issue 4, "Bad input"). Built by clang++-19 with
// -fsanitize=fuzzer,address and FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION, which makes every
// checksum pass so mutated inputs reach the decoders behind them.
#include "tests/fuzz/exercise_reader.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    rr86::trace::fuzz::exercise_reader({data, size});
    return 0;
}
