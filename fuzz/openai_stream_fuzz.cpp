// What the gateway reads of an OpenAI-type stream: each event checked for an
// in-stream error and for usage (the chunk itself is relayed as it is); and
// what the response cache makes of the chunks: the whole answer they
// assemble into, and that answer as chunks again.
#include "cache/completion_chunks.hpp"
#include "fuzz_support.hpp"
#include "providers/openai_usage.hpp"
#include "providers/upstream_error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::string provider = "p";
  std::deque<std::string> chunks;
  for (const auto& [event, payload] : switchyard::fuzz::sse_events(text, switchyard::fuzz::split_of(data, size))) {
    if (auto e = switchyard::providers::error_in_stream(payload, provider, "secret-key-123")) {
      if (e->message.find("secret-key-123") != std::string::npos) __builtin_trap();
    }
    (void)switchyard::providers::find_openai_usage(payload);
    (void)switchyard::cache::finished_answer(payload);
    (void)switchyard::cache::is_usage_only_chunk(payload);
    if (chunks.size() < 64) chunks.emplace_back(payload);
  }
  if (auto whole = switchyard::cache::assemble_completion(chunks)) {
    const auto again = switchyard::cache::completion_to_chunks(*whole, true);
    if (again.empty()) __builtin_trap();  // an assembled answer is always a chat.completion
    if (!switchyard::cache::assemble_completion(std::deque<std::string>(again.begin(), again.end()))) __builtin_trap();
  }
  return 0;
}
