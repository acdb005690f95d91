// Gemini streamGenerateContent frames → OpenAI chunks.
#include "fuzz_support.hpp"
#include "providers/gemini_translator.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  switchyard::providers::GeminiStreamTranslator t("model", size % 2 == 0);
  std::vector<std::string> out;
  for (const auto& [event, payload] : switchyard::fuzz::sse_events(text, switchyard::fuzz::split_of(data, size))) {
    out.clear();
    if (!t.on_event(event, payload, out)) return 0;
  }
  out.clear();
  (void)t.on_end(out);
  return 0;
}
