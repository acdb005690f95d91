// Anthropic Messages stream → OpenAI chunks, and passed through as it came:
// any event sequence, errors as values.
#include "fuzz_support.hpp"
#include "providers/anthropic_passthrough.hpp"
#include "providers/anthropic_translator.hpp"
#include "providers/responses_translator.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  switchyard::providers::AnthropicStreamTranslator t("model", size % 2 == 0);
  switchyard::fuzz::run_stream_translator(data, size, t);
  switchyard::providers::AnthropicPassthrough passthrough;  // the same events, passed through
  switchyard::fuzz::run_stream_translator(data, size, passthrough);
  switchyard::providers::ResponsesPassthrough responses;  // a Responses stream passed through: the same reader
  switchyard::fuzz::run_stream_translator(data, size, responses);
  return 0;
}
