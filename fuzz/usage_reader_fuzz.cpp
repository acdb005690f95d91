// find_openai_usage scans JSON text without a parser: any bytes, never past the end.
#include <cstdint>
#include <string>

#include "providers/openai_usage.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // A copy of exactly `size` bytes, so ASan sees any read past the end.
  const std::string text(reinterpret_cast<const char*>(data), size);
  if (auto u = switchyard::providers::find_openai_usage(text)) {
    if (u->prompt_tokens < 0 && u->completion_tokens < 0 && u->reasoning_tokens < 0) return 0;
  }
  return 0;
}
