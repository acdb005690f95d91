// Readers of JSON that does not come through the request parser: the scan
// for an OpenAI usage object (find_openai_usage, no parser: any bytes, never
// past the end) and the shared cache's entries as Redis returns them
// (decode_entry: anything not an entry is refused, and what it accepts
// encodes back to an entry that decodes the same).
#include <cstdint>
#include <string>

#include "cache/cached_entry_codec.hpp"
#include "providers/openai_usage.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // A copy of exactly `size` bytes, so ASan sees any read past the end.
  const std::string text(reinterpret_cast<const char*>(data), size);
  if (auto u = switchyard::providers::find_openai_usage(text)) {
    if (u->prompt_tokens < 0 && u->completion_tokens < 0 && u->reasoning_tokens < 0) return 0;
  }
  if (auto e = switchyard::cache::decode_entry(text)) {
    const auto again = switchyard::cache::decode_entry(switchyard::cache::encode_entry(*e));
    if (!again || again->chunks != e->chunks || again->body != e->body || again->marks.usage_only != e->marks.usage_only) __builtin_trap();
  }
  return 0;
}
