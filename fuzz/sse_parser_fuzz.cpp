// The SSE parser: any bytes, split anywhere, never crash, never exceed its
// bound; parsing borrowed bytes gives exactly what parsing copies gives.
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto copied = switchyard::fuzz::sse_events(text, switchyard::fuzz::split_of(data, size));
  for (const auto& [event, payload] : copied) {
    if (payload.size() > 64 * 1024 + 1) __builtin_trap();
  }
  if (switchyard::fuzz::sse_events(text, switchyard::fuzz::split_of(data, size), true) != copied) __builtin_trap();
  return 0;
}
