#include "providers/openai_client.hpp"

#include <boost/beast/http/field.hpp>
#include <boost/json/serialize.hpp>

#include "providers/upstream_error.hpp"
#include "sse/sse_parser.hpp"
#include "upstream/tls_context.hpp"

namespace switchyard::providers {

namespace asio = boost::asio;
namespace http = boost::beast::http;

namespace {

constexpr std::size_t kMaxErrorBody = 64 * 1024;
constexpr std::size_t kMaxStreamEvent = 1024 * 1024;

upstream::ExchangeTimeouts timeouts_of(const ProviderConfig& c, Millis read_override) {
  return {c.response_timeout, read_override.count() > 0 ? read_override : c.read_timeout};
}

// Relays an OpenAI SSE stream as chunk JSON texts. Ends cleanly only on
// `data: [DONE]`; a body that ends without it is a cut stream.
class OpenAiChunkStream final : public ChunkSource {
 public:
  OpenAiChunkStream(std::unique_ptr<upstream::UpstreamExchange> exchange, const ProviderConfig& config)
      : exchange_(std::move(exchange)), config_(config), parser_(kMaxStreamEvent) {}

  asio::awaitable<result<std::optional<std::string_view>>> next() override {
    if (finished_) co_return std::optional<std::string_view>{};
    for (;;) {
      sse::SseEvent ev;
      switch (parser_.next(ev)) {
        case sse::SseStatus::event: {
          if (ev.data == "[DONE]") {
            finished_ = true;
            co_await drain();
            co_return std::optional<std::string_view>{};
          }
          if (auto err = error_in_stream(ev.data, config_.name, config_.api_key)) {
            finished_ = true;
            co_return *err;
          }
          co_return std::optional<std::string_view>{ev.data};
        }
        case sse::SseStatus::too_large:
          finished_ = true;
          co_return make_error(errc::upstream_bad_response,
                               "sent a stream event larger than " + std::to_string(kMaxStreamEvent) + " bytes",
                               config_.name);
        case sse::SseStatus::need_more: break;
      }
      auto piece = co_await exchange_->read_some();
      if (!piece) {
        finished_ = true;
        co_return piece.error();
      }
      if (piece->empty()) {
        finished_ = true;
        co_return make_error(errc::upstream_reset, "ended the stream before [DONE]", config_.name);
      }
      parser_.feed(*piece);
    }
  }

 private:
  // Reads what follows [DONE] (normally just the last chunk marker) so the
  // connection can go back to the pool.
  asio::awaitable<void> drain() {
    while (!exchange_->done()) {
      auto piece = co_await exchange_->read_some();
      if (!piece || piece->empty()) break;
    }
  }

  std::unique_ptr<upstream::UpstreamExchange> exchange_;
  const ProviderConfig& config_;
  sse::SseParser parser_;
  bool finished_ = false;
};

}  // namespace

namespace {
bool has_line_break(std::string_view s) { return s.find_first_of("\r\n") != std::string_view::npos; }
}  // namespace

OpenAiClient::OpenAiClient(const asio::any_io_executor& ex, const ProviderConfig& config) : config_(config) {
  auto ep = upstream::parse_endpoint(config_.base_url);
  if (!ep) throw std::invalid_argument("provider '" + config_.name + "': " + ep.error().message);
  endpoint_ = std::move(*ep);
  // Everything but the request id and length is the same for every request: build it once.
  head_prefix_ = "POST " + endpoint_.path_prefix + "/chat/completions HTTP/1.1\r\nHost: " + endpoint_.host_header +
                 "\r\nContent-Type: application/json\r\nUser-Agent: switchyard/0.1\r\n";
  if (has_line_break(config_.api_key)) throw std::invalid_argument("provider '" + config_.name + "': api_key has a line break");
  if (!config_.api_key.empty()) head_prefix_ += "Authorization: Bearer " + config_.api_key + "\r\n";
  for (const auto& [k, v] : config_.headers) {
    if (has_line_break(k) || has_line_break(v) || k.find(':') != std::string::npos || k.empty()) {
      throw std::invalid_argument("provider '" + config_.name + "': invalid header '" + k + "'");
    }
    head_prefix_ += k + ": " + v + "\r\n";
  }
  probe_request_ = "GET " + endpoint_.path_prefix + "/models HTTP/1.1\r\nHost: " + endpoint_.host_header +
                   "\r\nUser-Agent: switchyard/0.1\r\n";
  if (!config_.api_key.empty()) probe_request_ += "Authorization: Bearer " + config_.api_key + "\r\n";
  for (const auto& [k, v] : config_.headers) probe_request_ += k + ": " + v + "\r\n";
  probe_request_ += "\r\n";
  if (endpoint_.tls) tls_ = upstream::make_client_tls_context(config_);
  pool_ = std::make_unique<upstream::ConnectionPool>(ex, endpoint_, config_.name, config_.pool, config_.connect_timeout,
                                                     tls_.get());
}

upstream::UpstreamExchange::RequestBuffers OpenAiClient::build_request(ChatCall& call, std::string& head,
                                                                        std::string& body) const {
  call.body["model"] = call.model;
  body = boost::json::serialize(call.body);
  head.clear();
  if (!call.request_id.empty()) {
    head += "x-request-id: ";
    head += call.request_id;
    head += "\r\n";
  }
  head += "Content-Length: ";
  head += std::to_string(body.size());
  head += "\r\n\r\n";
  return {asio::buffer(head_prefix_), asio::buffer(head), asio::buffer(body)};
}

asio::awaitable<Error> OpenAiClient::read_error(upstream::UpstreamExchange& exchange) const {
  const unsigned status = exchange.status();
  std::string retry_after;
  if (auto it = exchange.headers().find(http::field::retry_after); it != exchange.headers().end()) {
    retry_after = std::string(it->value().substr(0, 64));
  }
  auto body = co_await exchange.read_all(kMaxErrorBody);
  co_return error_from_upstream(status, body ? std::string_view(*body) : std::string_view{}, retry_after, config_.name,
                                config_.api_key);
}

asio::awaitable<result<void>> OpenAiClient::probe() {
  upstream::UpstreamExchange exchange(*pool_, timeouts_of(config_, Millis(0)), config_.name);
  const upstream::UpstreamExchange::RequestBuffers req{asio::buffer(probe_request_), asio::const_buffer(), asio::const_buffer()};
  if (auto started = co_await exchange.start(req); !started) co_return started.error();
  if (exchange.status() / 100 != 2) co_return co_await read_error(exchange);
  auto body = co_await exchange.read_all(1024 * 1024);  // read it all so the connection is reusable
  if (!body) co_return body.error();
  co_return result<void>();
}

asio::awaitable<result<ChatResponse>> OpenAiClient::chat_completion(ChatCall call) {
  call.body.erase("stream");
  call.body.erase("stream_options");
  std::string head, body_text;
  const auto req = build_request(call, head, body_text);
  upstream::UpstreamExchange exchange(*pool_, timeouts_of(config_, call.read_timeout), config_.name);
  const auto started_at = std::chrono::steady_clock::now();
  if (auto started = co_await exchange.start(req); !started) co_return started.error();
  if (exchange.status() / 100 != 2) co_return co_await read_error(exchange);
  auto body = co_await exchange.read_all(config_.max_response_bytes);
  if (!body) co_return body.error();
  co_return ChatResponse{std::move(*body), config_.name, std::string(call.model),
                         std::chrono::steady_clock::now() - started_at};
}

asio::awaitable<result<std::unique_ptr<ChunkSource>>> OpenAiClient::chat_completion_stream(ChatCall call) {
  call.body["stream"] = true;
  std::string head, body_text;
  const auto req = build_request(call, head, body_text);
  auto exchange = std::make_unique<upstream::UpstreamExchange>(*pool_, timeouts_of(config_, call.read_timeout), config_.name);
  if (auto started = co_await exchange->start(req); !started) co_return started.error();
  if (exchange->status() / 100 != 2) co_return co_await read_error(*exchange);
  const auto& headers = exchange->headers();
  auto ct = headers.find(http::field::content_type);
  if (ct == headers.end() || ct->value().find("text/event-stream") == std::string_view::npos) {
    co_return make_error(errc::upstream_bad_response, "answered a stream request without text/event-stream",
                         config_.name);
  }
  co_return std::make_unique<OpenAiChunkStream>(std::move(exchange), config_);
}

}  // namespace switchyard::providers
