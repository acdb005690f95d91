// Request and response translators, both ways (embeddings and the Anthropic
// passthrough's readers too), on any JSON: errors as values.
#include <boost/json.hpp>

#include <cstdint>
#include <string>

#include "providers/anthropic_inbound.hpp"
#include "providers/anthropic_passthrough.hpp"
#include "providers/embeddings.hpp"
#include "providers/responses_translator.hpp"
#include "providers/anthropic_translator.hpp"
#include "providers/gemini_translator.hpp"
#include "providers/gemini_inbound.hpp"
#include "providers/converse_translator.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace switchyard::providers;
  const std::string text(reinterpret_cast<const char*>(data), size);
  switchyard::Usage usage;
  (void)anthropic_to_openai_response(text, "m", usage);
  (void)gemini_to_openai_response(text, "m", usage);
  (void)openai_response_to_anthropic(text, "m");
  (void)anthropic_message_usage(text);
  (void)gemini_to_openai_embeddings(text, "m", size % 2 == 0, size % 5, 1);
  (void)embeddings_for_client(text, size % 3 != 0, "p");
  (void)openai_response_to_gemini(text, "m");
  (void)openai_embeddings_to_gemini(text, size % 2 == 0);
  (void)converse_to_openai_response(text, "m", usage);
  (void)gemini_response_usage(text);
  (void)parse_gemini_path(text);
  {
    OpenAiToGeminiStream stream("m");
    std::string out;
    (void)stream.on_chunk(text, out);
    (void)stream.on_chunk(text, out);
    stream.on_end(out);
  }
  const auto echo = ResponsesEcho::of(boost::json::object(), "x");
  (void)chat_response_to_responses(text, echo);
  (void)responses_body_usage(text);
  {
    ChatToResponsesStream stream(echo);
    std::string out;
    (void)stream.on_chunk(text, out);
    (void)stream.on_chunk(text, out);
    stream.on_end(out);
  }
  boost::system::error_code ec;
  auto v = boost::json::parse(text, ec);
  if (ec || !v.is_object()) return 0;
  const auto& o = v.as_object();
  try {
    (void)openai_to_anthropic_request(o, "m");
    (void)gemini_request_to_openai(o, "m", size % 2 == 0);  // the Gemini-ingress request reader
    (void)gemini_embed_to_openai(o, "m", size % 2 == 0);
    (void)openai_to_converse_request(o, size % 2 ? "anthropic.claude-x" : "amazon.nova-lite-v1:0");
    (void)openai_to_gemini_request(o);
    (void)anthropic_request_to_openai(o);
    (void)read_embedding_request(o);
    (void)openai_to_gemini_embeddings(o, "m");
    (void)body_with_model(o, "m");
    (void)responses_request_to_chat(o);
    (void)ResponsesEcho::of(o, "x");
  } catch (...) {
    __builtin_trap();  // no exception may escape a translator
  }
  return 0;
}
