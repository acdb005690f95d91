// Anthropic Messages stream → OpenAI chunks: any event sequence, errors as values.
#include "fuzz_support.hpp"
#include "providers/anthropic_translator.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  switchyard::providers::AnthropicStreamTranslator t("model", size % 2 == 0);
  switchyard::fuzz::run_stream_translator(data, size, t);
  return 0;
}
