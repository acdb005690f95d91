#include "providers/gemini_client.hpp"

#include <boost/json/serialize.hpp>

#include "providers/embeddings.hpp"
#include "providers/event_passthrough.hpp"
#include "providers/gemini_translator.hpp"
#include "providers/openai_usage.hpp"
#include "providers/translated_chunk_stream.hpp"

namespace switchyard::providers {

namespace asio = boost::asio;

namespace {

bool path_safe(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
}

}  // namespace

result<std::string> gemini_path(std::string_view model, std::string_view method) {
  if (model.substr(0, 7) == "models/") model.remove_prefix(7);
  if (model.empty()) return make_error(errc::invalid_request, "empty Gemini model name");
  for (char c : model) {
    if (!path_safe(c)) return make_error(errc::invalid_request, "Gemini model names use letters, digits, '-', '.' and '_' only");
  }
  std::string path = "/models/";
  path += model;
  path += ':';
  path += method;
  return path;
}

GeminiClient::GeminiClient(const asio::any_io_executor& ex, const ProviderConfig& config)
    : HttpProvider(ex, config, "", config.api_key.empty() ? Headers{} : Headers{{"x-goog-api-key", config.api_key}}) {}

asio::awaitable<result<ChatResponse>> GeminiClient::chat_completion(ChatCall call) {
  auto path = gemini_path(call.model, "generateContent");
  if (!path) co_return path.error();
  if (call.native) {  // a Gemini client's own request: sent as it came, answered as it comes
    const auto started_at = std::chrono::steady_clock::now();
    auto body = co_await post(*path, boost::json::serialize(call.native->body), call);
    if (!body) co_return body.error();
    const Usage usage = gemini_response_usage(*body);
    ChatResponse r{std::move(*body), config_.name, std::string(call.model), std::chrono::steady_clock::now() - started_at, usage};
    r.native = true;
    co_return r;
  }
  auto translated = openai_to_gemini_request(call.body);
  if (!translated) co_return translated.error();
  const std::string body_text = boost::json::serialize(*translated);
  const auto started_at = std::chrono::steady_clock::now();
  auto body = co_await post(*path, body_text, call);
  if (!body) co_return body.error();
  Usage usage;
  auto openai = gemini_to_openai_response(*body, call.model, usage);
  if (!openai) co_return with_provider(openai.error(), config_.name);
  co_return ChatResponse{std::move(*openai), config_.name, std::string(call.model), std::chrono::steady_clock::now() - started_at,
                         usage};
}

asio::awaitable<result<std::unique_ptr<ChunkSource>>> GeminiClient::chat_completion_stream(ChatCall call) {
  auto path = gemini_path(call.model, "streamGenerateContent?alt=sse");
  if (!path) co_return path.error();
  if (call.native) {
    auto ex = co_await post_stream(*path, boost::json::serialize(call.native->body), call);
    if (!ex) co_return ex.error();
    co_return std::make_unique<TranslatedChunkStream<EventPassthrough<GeminiEvents>>>(std::move(*ex), config_.name, EventPassthrough<GeminiEvents>());
  }
  auto translated = openai_to_gemini_request(call.body);
  if (!translated) co_return translated.error();
  const std::string body_text = boost::json::serialize(*translated);
  auto ex = co_await post_stream(*path, body_text, call);
  if (!ex) co_return ex.error();
  co_return std::make_unique<TranslatedChunkStream<GeminiStreamTranslator>>(
      std::move(*ex), config_.name, GeminiStreamTranslator(std::string(call.model), wants_usage(call.body)));
}

asio::awaitable<result<ChatResponse>> GeminiClient::embeddings(ChatCall call) {
  auto path = gemini_path(call.model, "batchEmbedContents");
  if (!path) co_return path.error();
  auto inputs = read_embedding_request(call.body);
  if (!inputs) co_return inputs.error();
  auto translated = openai_to_gemini_embeddings(call.body, call.model);
  if (!translated) co_return translated.error();
  const auto started_at = std::chrono::steady_clock::now();
  auto body = co_await post(*path, *translated, call);
  if (!body) co_return body.error();
  auto answer = gemini_to_openai_embeddings(*body, call.model, wants_base64(call.body), inputs->items, inputs->estimated_tokens);
  if (!answer) co_return with_provider(answer.error(), config_.name);
  Usage usage;  // Gemini reports no usage for embeddings: the estimate (~4 characters a token)
  usage.prompt_tokens = inputs->estimated_tokens;
  co_return ChatResponse{std::move(*answer), config_.name, std::string(call.model), std::chrono::steady_clock::now() - started_at, usage};
}

}  // namespace switchyard::providers
