// Gemini streamGenerateContent frames → OpenAI chunks.
#include "fuzz_support.hpp"
#include "providers/gemini_translator.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  switchyard::providers::GeminiStreamTranslator t("model", size % 2 == 0);
  switchyard::fuzz::run_stream_translator(data, size, t);
  return 0;
}
