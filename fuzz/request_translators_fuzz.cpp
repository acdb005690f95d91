// Request and response translators, both ways, on any JSON: errors as values.
#include <boost/json.hpp>

#include <cstdint>
#include <string>

#include "providers/anthropic_inbound.hpp"
#include "providers/anthropic_translator.hpp"
#include "providers/gemini_translator.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace switchyard::providers;
  const std::string text(reinterpret_cast<const char*>(data), size);
  switchyard::Usage usage;
  (void)anthropic_to_openai_response(text, "m", usage);
  (void)gemini_to_openai_response(text, "m", usage);
  (void)openai_response_to_anthropic(text, "m");
  boost::system::error_code ec;
  auto v = boost::json::parse(text, ec);
  if (ec || !v.is_object()) return 0;
  const auto& o = v.as_object();
  try {
    (void)openai_to_anthropic_request(o, "m");
    (void)openai_to_gemini_request(o);
    (void)anthropic_request_to_openai(o);
  } catch (...) {
    __builtin_trap();  // no exception may escape a translator
  }
  return 0;
}
