// Readers of JSON that does not come through the request parser: the scan
// for an OpenAI usage object (find_openai_usage, no parser: any bytes, never
// past the end) and the shared cache's entries as Redis returns them
// (decode_entry: anything not an entry is refused, and what it accepts
// encodes back to an entry that decodes the same); and a provider's native
// answer served in its other shape (native_events of a body, native_whole of
// the events, and finished_answer / finished_stream): any bytes, no crash.
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "cache/cached_entry_codec.hpp"
#include "cache/completion_chunks.hpp"
#include "cache/native_shapes.hpp"
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
  const auto events = switchyard::cache::native_events(text);
  if (!events.empty() && !switchyard::cache::native_whole(events)) __builtin_trap();  // what it makes, it reads back
  // The bytes as a stored stream: split at blank lines into events.
  std::vector<std::string> frames;
  for (std::size_t at = 0; at < text.size();) {
    auto end = text.find("\n\n", at);
    if (end == std::string::npos) end = text.size();
    frames.push_back(text.substr(at, end - at) + "\n\n");
    at = end + 2;
  }
  (void)switchyard::cache::native_whole(frames);
  (void)switchyard::cache::finished_answer(text);
  std::deque<std::string> stream(frames.begin(), frames.end());
  (void)switchyard::cache::finished_stream(stream, switchyard::cache::UsageMarks{});
  return 0;
}
