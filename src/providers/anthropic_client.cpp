#include "providers/anthropic_client.hpp"

#include <boost/json/serialize.hpp>

#include "providers/anthropic_passthrough.hpp"
#include "providers/anthropic_translator.hpp"
#include "providers/openai_usage.hpp"
#include "providers/translated_chunk_stream.hpp"

namespace switchyard::providers {

namespace asio = boost::asio;


AnthropicClient::AnthropicClient(const asio::any_io_executor& ex, const ProviderConfig& config)
    : HttpProvider(ex, config, "/messages", Headers{{"x-api-key", config.api_key}, {"anthropic-version", kVersion}}) {}

asio::awaitable<result<ChatResponse>> AnthropicClient::chat_completion(ChatCall call) {
  if (call.native) {  // the client's own Messages request: as it came, answered as it comes
    const std::string body_text = body_with_model(call.native->body, call.model);
    const auto started_at = std::chrono::steady_clock::now();
    auto body = co_await post({}, body_text, call);
    if (!body) co_return body.error();
    const Usage usage = anthropic_message_usage(*body);
    ChatResponse r{std::move(*body), config_.name, std::string(call.model), std::chrono::steady_clock::now() - started_at, usage};
    r.native = true;
    co_return r;
  }
  auto translated = openai_to_anthropic_request(call.body, call.model);
  if (!translated) co_return translated.error();
  translated->erase("stream");
  const std::string body_text = boost::json::serialize(*translated);
  const auto started_at = std::chrono::steady_clock::now();
  auto body = co_await post({}, body_text, call);
  if (!body) co_return body.error();
  Usage usage;
  auto openai = anthropic_to_openai_response(*body, call.model, usage);
  if (!openai) co_return with_provider(openai.error(), config_.name);
  co_return ChatResponse{std::move(*openai), config_.name, std::string(call.model), std::chrono::steady_clock::now() - started_at,
                         usage};
}

asio::awaitable<result<std::unique_ptr<ChunkSource>>> AnthropicClient::chat_completion_stream(ChatCall call) {
  if (call.native) {
    const std::string body_text = body_with_model(call.native->body, call.model);
    auto ex = co_await post_stream({}, body_text, call);
    if (!ex) co_return ex.error();
    co_return std::make_unique<TranslatedChunkStream<AnthropicPassthrough>>(std::move(*ex), config_.name, AnthropicPassthrough());
  }
  auto translated = openai_to_anthropic_request(call.body, call.model);
  if (!translated) co_return translated.error();
  (*translated)["stream"] = true;
  const std::string body_text = boost::json::serialize(*translated);
  auto ex = co_await post_stream({}, body_text, call);
  if (!ex) co_return ex.error();
  co_return std::make_unique<TranslatedChunkStream<AnthropicStreamTranslator>>(
      std::move(*ex), config_.name, AnthropicStreamTranslator(std::string(call.model), wants_usage(call.body)));
}

asio::awaitable<result<std::string>> AnthropicClient::count_tokens(ChatCall call) {
  if (!call.native) co_return make_error(errc::invalid_request, "count_tokens takes an Anthropic Messages request");
  const std::string body_text = body_with_model(call.native->body, call.model);
  co_return co_await post("/messages/count_tokens", body_text, call);
}

}  // namespace switchyard::providers
