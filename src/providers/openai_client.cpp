#include "providers/openai_client.hpp"

#include <boost/json/serialize.hpp>

#include "providers/openai_usage.hpp"
#include "providers/upstream_error.hpp"
#include "upstream/sse_event_reader.hpp"

namespace switchyard::providers {

namespace asio = boost::asio;

namespace {

// Relays an OpenAI SSE stream as chunk JSON texts. Ends cleanly only on
// `data: [DONE]`; a body that ends without it is a cut stream. The upstream
// is always asked for usage; the usage-only chunk is read, and passed on only
// when the client asked for it too.
class OpenAiChunkStream final : public ChunkSource {
 public:
  OpenAiChunkStream(std::unique_ptr<upstream::UpstreamExchange> exchange, const ProviderConfig& config, bool client_wants_usage)
      : reader_(std::move(exchange), config.name), config_(config), client_wants_usage_(client_wants_usage) {}

  asio::awaitable<result<std::optional<std::string_view>>> next() override {
    for (;;) {
      if (finished_) co_return std::optional<std::string_view>{};
      auto ev = co_await reader_.next();
      if (!ev || !*ev) finished_ = true;
      if (!ev) co_return ev.error();
      if (!*ev) co_return make_error(errc::upstream_reset, "ended the stream before [DONE]", config_.name);
      const std::string_view data = (*ev)->data;
      if (data == "[DONE]") {
        finished_ = true;
        co_await reader_.drain();
        co_return std::optional<std::string_view>{};
      }
      if (auto err = error_in_stream(data, config_.name, config_.api_key)) {
        finished_ = true;
        co_return *err;
      }
      if (auto u = find_openai_usage(data)) {
        usage_ = *u;
        // Some providers put usage on the last content chunk: that one is passed on as it is.
        if (!client_wants_usage_ && data.find("\"choices\":[]") != std::string_view::npos) continue;
      } else if (!usage_.reported) {
        ++usage_.completion_tokens;  // about a token per chunk until the report comes
      }
      co_return std::optional<std::string_view>{data};
    }
  }

  Usage usage() const noexcept override { return usage_; }

 private:
  upstream::SseEventReader reader_;
  const ProviderConfig& config_;
  bool client_wants_usage_;
  bool finished_ = false;
  Usage usage_;
};

}  // namespace

OpenAiClient::OpenAiClient(const asio::any_io_executor& ex, const ProviderConfig& config)
    : HttpProvider(ex, config, "/chat/completions",
                   config.api_key.empty() ? Headers{} : Headers{{"Authorization", "Bearer " + config.api_key}}) {}

asio::awaitable<result<ChatResponse>> OpenAiClient::chat_completion(ChatCall call) {
  call.body.erase("stream");
  call.body.erase("stream_options");
  call.body["model"] = call.model;
  const std::string body_text = boost::json::serialize(call.body);
  const auto started_at = std::chrono::steady_clock::now();
  auto body = co_await post({}, body_text, call);
  if (!body) co_return body.error();
  const Usage usage = find_openai_usage(*body).value_or(Usage{});
  co_return ChatResponse{std::move(*body), config_.name, std::string(call.model),
                         std::chrono::steady_clock::now() - started_at, usage};
}

asio::awaitable<result<std::unique_ptr<ChunkSource>>> OpenAiClient::chat_completion_stream(ChatCall call) {
  call.body["stream"] = true;
  call.body["model"] = call.model;
  const bool client_wants_usage = wants_usage(call.body);
  if (auto* so = call.body.if_contains("stream_options"); so && so->is_object()) so->as_object()["include_usage"] = true;
  else call.body["stream_options"] = boost::json::object{{"include_usage", true}};
  const std::string body_text = boost::json::serialize(call.body);
  auto exchange = co_await post_stream({}, body_text, call);
  if (!exchange) co_return exchange.error();
  co_return std::make_unique<OpenAiChunkStream>(std::move(*exchange), config_, client_wants_usage);
}

}  // namespace switchyard::providers
