#include "providers/anthropic_client.hpp"

#include <boost/beast/http/field.hpp>
#include <boost/json/serialize.hpp>

#include <deque>

#include "providers/anthropic_translator.hpp"
#include "upstream/sse_event_reader.hpp"

namespace switchyard::providers {

namespace asio = boost::asio;
namespace http = boost::beast::http;

namespace {

// Translates a Messages event stream into OpenAI chunks, event by event.
class AnthropicChunkStream final : public ChunkSource {
 public:
  AnthropicChunkStream(std::unique_ptr<upstream::UpstreamExchange> exchange, std::string model, bool include_usage,
                       std::string provider)
      : reader_(std::move(exchange), std::move(provider)), translator_(std::move(model), include_usage) {}

  asio::awaitable<result<std::optional<std::string_view>>> next() override {
    for (;;) {
      if (!pending_.empty()) {
        current_ = std::move(pending_.front());
        pending_.pop_front();
        co_return std::optional<std::string_view>{current_};
      }
      if (translator_.finished()) {
        co_await reader_.drain();
        co_return std::optional<std::string_view>{};
      }
      auto ev = co_await reader_.next();
      if (!ev) co_return ev.error();
      if (!*ev) co_return make_error(errc::upstream_reset, "ended the stream before message_stop", reader_.provider());
      std::vector<std::string> out;
      if (auto r = translator_.on_event((*ev)->event, (*ev)->data, out); !r) {
        auto e = r.error();
        e.provider = reader_.provider();
        co_return e;
      }
      for (auto& c : out) pending_.push_back(std::move(c));
    }
  }

  Usage usage() const noexcept override { return translator_.usage(); }

 private:
  upstream::SseEventReader reader_;
  AnthropicStreamTranslator translator_;
  std::deque<std::string> pending_;
  std::string current_;
};

}  // namespace

AnthropicClient::AnthropicClient(const asio::any_io_executor& ex, const ProviderConfig& config)
    : HttpProvider(ex, config, "/messages", Headers{{"x-api-key", config.api_key}, {"anthropic-version", kVersion}}) {}

asio::awaitable<result<ChatResponse>> AnthropicClient::chat_completion(ChatCall call) {
  call.body.erase("stream");
  auto translated = openai_to_anthropic_request(call.body, call.model);
  if (!translated) co_return translated.error();
  const std::string body_text = boost::json::serialize(*translated);
  std::string head;
  const auto req = request(body_text, call.request_id, head);
  upstream::UpstreamExchange ex(pool(), timeouts(call.read_timeout), config_.name);
  const auto started_at = std::chrono::steady_clock::now();
  if (auto started = co_await ex.start(req); !started) co_return started.error();
  if (ex.status() / 100 != 2) co_return co_await read_error(ex);
  auto body = co_await ex.read_all(config_.max_response_bytes);
  if (!body) co_return body.error();
  Usage usage;
  auto openai = anthropic_to_openai_response(*body, call.model, usage);
  if (!openai) {
    auto e = openai.error();
    e.provider = config_.name;
    co_return e;
  }
  co_return ChatResponse{std::move(*openai), config_.name, std::string(call.model), std::chrono::steady_clock::now() - started_at,
                         usage};
}

asio::awaitable<result<std::unique_ptr<ChunkSource>>> AnthropicClient::chat_completion_stream(ChatCall call) {
  call.body["stream"] = true;
  bool include_usage = false;
  if (const auto* so = call.body.if_contains("stream_options"); so && so->is_object()) {
    if (const auto* iu = so->as_object().if_contains("include_usage"); iu && iu->is_bool()) include_usage = iu->as_bool();
  }
  auto translated = openai_to_anthropic_request(call.body, call.model);
  if (!translated) co_return translated.error();
  const std::string body_text = boost::json::serialize(*translated);
  std::string head;
  const auto req = request(body_text, call.request_id, head);
  auto ex = exchange(call.read_timeout);
  if (auto started = co_await ex->start(req); !started) co_return started.error();
  if (ex->status() / 100 != 2) co_return co_await read_error(*ex);
  auto ct = ex->headers().find(http::field::content_type);
  if (ct == ex->headers().end() || ct->value().find("text/event-stream") == std::string_view::npos) {
    co_return make_error(errc::upstream_bad_response, "answered a stream request without text/event-stream", config_.name);
  }
  co_return std::make_unique<AnthropicChunkStream>(std::move(ex), std::string(call.model), include_usage, config_.name);
}

}  // namespace switchyard::providers
