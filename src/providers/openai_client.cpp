#include "providers/openai_client.hpp"

#include <boost/beast/http/field.hpp>
#include <boost/json/serialize.hpp>

#include "providers/openai_usage.hpp"
#include "providers/upstream_error.hpp"
#include "upstream/sse_event_reader.hpp"

namespace switchyard::providers {

namespace asio = boost::asio;
namespace http = boost::beast::http;

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
  std::string head;
  const auto req = request(body_text, call.request_id, head);
  upstream::UpstreamExchange ex(pool(), timeouts(call.read_timeout), config_.name);
  const auto started_at = std::chrono::steady_clock::now();
  if (auto started = co_await ex.start(req); !started) co_return started.error();
  if (ex.status() / 100 != 2) co_return co_await read_error(ex);
  auto body = co_await ex.read_all(config_.max_response_bytes);
  if (!body) co_return body.error();
  const Usage usage = find_openai_usage(*body).value_or(Usage{});
  co_return ChatResponse{std::move(*body), config_.name, std::string(call.model),
                         std::chrono::steady_clock::now() - started_at, usage};
}

asio::awaitable<result<std::unique_ptr<ChunkSource>>> OpenAiClient::chat_completion_stream(ChatCall call) {
  call.body["stream"] = true;
  call.body["model"] = call.model;
  bool client_wants_usage = false;
  if (auto* so = call.body.if_contains("stream_options"); so && so->is_object()) {
    if (const auto* iu = so->as_object().if_contains("include_usage"); iu && iu->is_bool()) client_wants_usage = iu->as_bool();
    so->as_object()["include_usage"] = true;
  } else {
    call.body["stream_options"] = boost::json::object{{"include_usage", true}};
  }
  const std::string body_text = boost::json::serialize(call.body);
  std::string head;
  const auto req = request(body_text, call.request_id, head);
  auto exchange = this->exchange(call.read_timeout);
  if (auto started = co_await exchange->start(req); !started) co_return started.error();
  if (exchange->status() / 100 != 2) co_return co_await read_error(*exchange);
  const auto& headers = exchange->headers();
  auto ct = headers.find(http::field::content_type);
  if (ct == headers.end() || ct->value().find("text/event-stream") == std::string_view::npos) {
    co_return make_error(errc::upstream_bad_response, "answered a stream request without text/event-stream",
                         config_.name);
  }
  co_return std::make_unique<OpenAiChunkStream>(std::move(exchange), config_, client_wants_usage);
}

}  // namespace switchyard::providers
