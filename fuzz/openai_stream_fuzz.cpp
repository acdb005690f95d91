// What the gateway reads of an OpenAI-type stream: each event checked for an
// in-stream error and for usage (the chunk itself is relayed as it is).
#include "fuzz_support.hpp"
#include "providers/openai_usage.hpp"
#include "providers/upstream_error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::string provider = "p";
  for (const auto& [event, payload] : switchyard::fuzz::sse_events(text, switchyard::fuzz::split_of(data, size))) {
    if (auto e = switchyard::providers::error_in_stream(payload, provider, "secret-key-123")) {
      if (e->message.find("secret-key-123") != std::string::npos) __builtin_trap();
    }
    (void)switchyard::providers::find_openai_usage(payload);
  }
  return 0;
}
