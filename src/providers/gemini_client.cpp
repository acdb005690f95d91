#include "providers/gemini_client.hpp"

#include <boost/beast/http/field.hpp>
#include <boost/json/serialize.hpp>

#include <deque>

#include "providers/gemini_translator.hpp"
#include "upstream/sse_event_reader.hpp"

namespace switchyard::providers {

namespace asio = boost::asio;
namespace http = boost::beast::http;

namespace {

// Translates Gemini's stream (one whole GenerateContentResponse per frame,
// no [DONE]) into OpenAI chunks, frame by frame.
class GeminiChunkStream final : public ChunkSource {
 public:
  GeminiChunkStream(std::unique_ptr<upstream::UpstreamExchange> exchange, std::string model, bool include_usage,
                    std::string provider)
      : reader_(std::move(exchange), std::move(provider)), translator_(std::move(model), include_usage) {}

  asio::awaitable<result<std::optional<std::string_view>>> next() override {
    for (;;) {
      if (!pending_.empty()) {
        current_ = std::move(pending_.front());
        pending_.pop_front();
        co_return std::optional<std::string_view>{current_};
      }
      if (ended_) co_return std::optional<std::string_view>{};
      auto ev = co_await reader_.next();
      if (!ev) co_return ev.error();
      std::vector<std::string> out;
      if (!*ev) {  // the body ended: clean only after a finishReason
        ended_ = true;
        if (auto r = translator_.on_end(out); !r) co_return with_provider(r.error());
      } else if (auto r = translator_.on_frame((*ev)->data, out); !r) {
        ended_ = true;
        co_return with_provider(r.error());
      }
      for (auto& c : out) pending_.push_back(std::move(c));
    }
  }

  Usage usage() const noexcept override { return translator_.usage(); }

 private:
  Error with_provider(Error e) const {
    e.provider = reader_.provider();
    return e;
  }

  upstream::SseEventReader reader_;
  GeminiStreamTranslator translator_;
  std::deque<std::string> pending_;
  std::string current_;
  bool ended_ = false;
};

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
  auto translated = openai_to_gemini_request(call.body);
  if (!translated) co_return translated.error();
  const std::string body_text = boost::json::serialize(*translated);
  std::string head;
  const auto req = request_to(*path, body_text, call.request_id, head);
  upstream::UpstreamExchange ex(pool(), timeouts(call.read_timeout), config_.name);
  const auto started_at = std::chrono::steady_clock::now();
  if (auto started = co_await ex.start(req); !started) co_return started.error();
  if (ex.status() / 100 != 2) co_return co_await read_error(ex);
  auto body = co_await ex.read_all(config_.max_response_bytes);
  if (!body) co_return body.error();
  Usage usage;
  auto openai = gemini_to_openai_response(*body, call.model, usage);
  if (!openai) {
    auto e = openai.error();
    e.provider = config_.name;
    co_return e;
  }
  co_return ChatResponse{std::move(*openai), config_.name, std::string(call.model), std::chrono::steady_clock::now() - started_at,
                         usage};
}

asio::awaitable<result<std::unique_ptr<ChunkSource>>> GeminiClient::chat_completion_stream(ChatCall call) {
  auto path = gemini_path(call.model, "streamGenerateContent?alt=sse");
  if (!path) co_return path.error();
  bool include_usage = false;
  if (const auto* so = call.body.if_contains("stream_options"); so && so->is_object()) {
    if (const auto* iu = so->as_object().if_contains("include_usage"); iu && iu->is_bool()) include_usage = iu->as_bool();
  }
  auto translated = openai_to_gemini_request(call.body);
  if (!translated) co_return translated.error();
  const std::string body_text = boost::json::serialize(*translated);
  std::string head;
  const auto req = request_to(*path, body_text, call.request_id, head);
  auto ex = exchange(call.read_timeout);
  if (auto started = co_await ex->start(req); !started) co_return started.error();
  if (ex->status() / 100 != 2) co_return co_await read_error(*ex);
  auto ct = ex->headers().find(http::field::content_type);
  if (ct == ex->headers().end() || ct->value().find("text/event-stream") == std::string_view::npos) {
    co_return make_error(errc::upstream_bad_response, "answered a stream request without text/event-stream", config_.name);
  }
  co_return std::make_unique<GeminiChunkStream>(std::move(ex), std::string(call.model), include_usage, config_.name);
}

}  // namespace switchyard::providers
