#pragma once
// Shared by the libFuzzer targets: splitting the input into SSE events the
// way an upstream body would arrive (in two reads, at a point the input picks).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sse/sse_parser.hpp"

namespace switchyard::fuzz {

// Every SSE event in `text`, fed to the parser in two pieces split at `split`.
// borrowed: fed with feed_borrowed() from one reused buffer that is
// scribbled over once the parser asked for more (as the upstream reader does).
inline std::vector<std::pair<std::string, std::string>> sse_events(std::string_view text, std::size_t split, bool borrowed = false) {
  std::vector<std::pair<std::string, std::string>> out;
  sse::SseParser parser(64 * 1024);
  std::string scratch;
  auto feed = [&](std::string_view piece) {
    if (!borrowed) return parser.feed(piece);
    std::fill(scratch.begin(), scratch.end(), '#');  // what the parser was lent is gone
    scratch.assign(piece);
    parser.feed_borrowed(scratch);
  };
  auto drain = [&] {
    sse::SseEvent ev;
    for (;;) {
      const auto status = parser.next(ev);
      if (status != sse::SseStatus::event) return status != sse::SseStatus::too_large;
      out.emplace_back(std::string(ev.event), std::string(ev.data));
    }
  };
  split = text.empty() ? 0 : split % (text.size() + 1);
  feed(text.substr(0, split));
  if (!drain()) return out;
  feed(text.substr(split));
  drain();
  return out;
}

inline std::size_t split_of(const std::uint8_t* data, std::size_t size) { return size ? data[0] * 7u : 0u; }

// Feeds every SSE event of the input to a stream translator (Anthropic,
// Gemini), then its end: errors are values, a finished stream stops early.
template <class Translator>
void run_stream_translator(const std::uint8_t* data, std::size_t size, Translator& t) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> out;
  for (const auto& [event, payload] : sse_events(text, split_of(data, size))) {
    out.clear();
    if (!t.on_event(event, payload, out) || t.finished()) return;
  }
  out.clear();
  (void)t.on_end(out);
}

}  // namespace switchyard::fuzz
