// /v1/messages outbound: OpenAI chunks (one per line of the input) → Anthropic events.
#include <cstdint>
#include <string>
#include <string_view>

#include "providers/anthropic_inbound.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  switchyard::providers::OpenAiToAnthropicStream s("model");
  std::string out;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    const std::string chunk(text.substr(0, nl));
    out.clear();
    if (!s.on_chunk(chunk, out)) return 0;  // a malformed chunk is an error value, never an exception
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
  }
  out.clear();
  s.on_end(out);
  return 0;
}
