#include "providers/http_provider.hpp"

#include <chrono>
#include <boost/beast/http/field.hpp>

#include "providers/upstream_error.hpp"
#include "upstream/tls_context.hpp"
#include "governance/wall_clock.hpp"

namespace switchyard::providers {

namespace asio = boost::asio;
namespace http = boost::beast::http;

namespace {
constexpr std::size_t kMaxErrorBody = 64 * 1024;
bool has_line_break(std::string_view s) { return s.find_first_of("\r\n") != std::string_view::npos; }

// The headers that change per request, and the empty line that ends the head.
void append_request_headers(std::string& head, std::size_t body_size, std::string_view request_id, const NativeRequest* native,
                            std::string_view traceparent) {
  if (native) {  // the client's own headers for a provider of its API (checked when they were read)
    for (const auto& [k, v] : native->headers) {
      head += k;
      head += ": ";
      head += v;
      head += "\r\n";
    }
  }
  if (!traceparent.empty()) {
    head += "traceparent: ";
    head += traceparent;
    head += "\r\n";
  }
  if (!request_id.empty()) {
    head += "x-request-id: ";
    head += request_id;
    head += "\r\n";
  }
  head += "Content-Length: ";
  head += std::to_string(body_size);
  head += "\r\n\r\n";
}
}  // namespace

HttpProvider::HttpProvider(const asio::any_io_executor& ex, const ProviderConfig& config, std::string_view path,
                           const Headers& auth, std::string_view probe_path)
    : config_(config) {
  auto ep = upstream::parse_endpoint(config_.base_url);
  if (!ep) throw std::invalid_argument("provider '" + config_.name + "': " + ep.error().message);
  endpoint_ = std::move(*ep);
  std::string fixed = "Host: " + endpoint_.host_header + "\r\nUser-Agent: switchyard/0.1\r\n";
  Headers all;
  for (const auto& h : auth) {
    if (!config_.keys.empty() && h.second.empty()) continue;  // the one-key header, empty: the pool's keys go per request
    all.push_back(h);
  }
  all.insert(all.end(), config_.headers.begin(), config_.headers.end());
  switch (config_.type) {
    case ProviderType::anthropic: key_header_ = "x-api-key: "; break;
    case ProviderType::gemini: key_header_ = "x-goog-api-key: "; break;
    case ProviderType::azure: key_header_ = "api-key: "; break;
    default: key_header_ = "Authorization: Bearer "; break;
  }
  for (const auto& [k, v] : all) {
    if (has_line_break(k) || has_line_break(v) || k.find(':') != std::string::npos || k.empty()) {
      throw std::invalid_argument("provider '" + config_.name + "': invalid header '" + k + "' (or a line break in its key)");
    }
    fixed += k + ": " + v + "\r\n";
  }
  // Everything but the request id and length is the same for every request: built once.
  fixed_headers_ = fixed + "Content-Type: application/json\r\n";
  head_prefix_ = "POST " + endpoint_.path_prefix + std::string(path) + " HTTP/1.1\r\n" + fixed_headers_;
  probe_request_ = "GET " + endpoint_.path_prefix + std::string(probe_path) + " HTTP/1.1\r\n" + fixed + "\r\n";
  if (endpoint_.tls) tls_ = upstream::make_client_tls_context(config_);
  pool_ = std::make_unique<upstream::ConnectionPool>(ex, endpoint_, config_.name, config_.pool, config_.connect_timeout,
                                                     tls_.get());
}

void HttpProvider::append_key(std::string& head, std::string_view key) const {
  if (key.empty()) return;
  head += key_header_;
  head += key;
  head += "\r\n";
}

upstream::UpstreamExchange::RequestBuffers HttpProvider::request(std::string_view body, std::string_view request_id,
                                                                 std::string& head, const NativeRequest* native, std::string_view key,
                                                                 std::string_view traceparent) const {
  head.clear();
  append_key(head, key);
  if (authorizes_) authorize(std::string_view(head_prefix_).substr(5, head_prefix_.find(' ', 5) - 5), body, head);
  append_request_headers(head, body.size(), request_id, native, traceparent);
  return {asio::buffer(head_prefix_), asio::buffer(head), asio::buffer(body)};
}

upstream::UpstreamExchange::RequestBuffers HttpProvider::request_to(std::string_view path, std::string_view body,
                                                                    std::string_view request_id, std::string& head,
                                                                    const NativeRequest* native, std::string_view key,
                                                                    std::string_view traceparent) const {
  // The whole head in one string: the request line varies per request.
  head.clear();
  head += "POST ";
  head += endpoint_.path_prefix;
  head += path;
  const std::size_t path_at = 5;
  const std::size_t path_size = head.size() - path_at;
  head += " HTTP/1.1\r\n";
  head += fixed_headers_;
  if (authorizes_) {  // a copy: authorize() appends to `head`, which may move
    const std::string wire_path = head.substr(path_at, path_size);
    authorize(wire_path, body, head);
  }
  append_key(head, key);
  append_request_headers(head, body.size(), request_id, native, traceparent);
  return {asio::buffer(head), asio::const_buffer(), asio::buffer(body)};
}

upstream::ExchangeTimeouts HttpProvider::timeouts(Millis read_override) const {
  return {config_.response_timeout, read_override.count() > 0 ? read_override : config_.read_timeout};
}

asio::awaitable<result<std::unique_ptr<upstream::UpstreamExchange>>> HttpProvider::send(std::string_view path, std::string_view body,
                                                                                       const ChatCall& call) const {
  std::string head;
  if (!keys_) {
    const auto req = path.empty() ? request(body, call.request_id, head, call.native, {}, call.traceparent)
                                    : request_to(path, body, call.request_id, head, call.native, {}, call.traceparent);
    auto ex = exchange(call.read_timeout);
    if (auto started = co_await ex->start(req); !started) co_return started.error();
    co_return std::move(ex);
  }
  const double tokens = static_cast<double>(body.size()) / 4;  // the estimate a key's token limits count
  std::uint64_t tried = 0;
  std::optional<Error> last;
  for (;;) {
    const auto now = governance::wall_now_ms();
    auto pick = keys_->pick(now, tried, tokens);
    if (!pick) {
      if (last) {
        // Every key refused: the provider cannot be used with what it was given (a 502 the router fails over), not the client's doing.
        if (last->upstream_status == 401 || last->upstream_status == 403) {
          last->message = "refused every key: " + last->message;
          last->upstream_status = 502;
        }
        co_return std::move(*last);
      }
      Error e = make_error(errc::quota_exhausted, "every key of the provider is set aside (refused), resting (429) or at its limits", config_.name);
      co_return e;
    }
    tried |= std::uint64_t{1} << pick->index;
    if (key_quota_ && pick->limits.any()) {  // the key's limits, every replica together
      const auto wait_ms = co_await key_quota_->take_key(config_.name, pick->fingerprint, pick->limits, static_cast<std::uint64_t>(tokens));
      if (wait_ms > 0) {
        keys_->rest(pick->index, now, wait_ms);
        continue;
      }
    }
    const auto req = path.empty() ? request(body, call.request_id, head, call.native, pick->key, call.traceparent)
                                  : request_to(path, body, call.request_id, head, call.native, pick->key, call.traceparent);
    auto ex = exchange(call.read_timeout);
    if (auto started = co_await ex->start(req); !started) co_return started.error();
    const unsigned status = ex->status();
    if (status != 401 && status != 403 && status != 429) {
      keys_->succeeded(pick->index);
      co_return std::move(ex);
    }
    observe_headers(*ex, call.model);
    std::int64_t retry_after_ms = 0;
    if (auto it = ex->headers().find(http::field::retry_after); it != ex->headers().end()) {
      retry_after_ms = static_cast<std::int64_t>(std::atof(std::string(it->value().substr(0, 16)).c_str()) * 1000);
    }
    Error e = co_await read_error(*ex);  // the body read: the connection is reusable
    e.message = "key #" + std::to_string(pick->index) + " (" + KeyPool::fingerprint(pick->key) + ") " + e.message;
    if (status == 429) {
      keys_->throttled(pick->index, now, retry_after_ms);
    } else {
      keys_->refused(pick->index, now);
      keys_->note_refusal(pick->index, e.message);
    }
    last = std::move(e);
  }
}

asio::awaitable<result<std::string>> HttpProvider::post(std::string_view path, std::string_view body, const ChatCall& call) const {
  if (!keys_) {  // one key: the exchange on this frame, as before key pools (no allocation on the hot path)
    std::string head;
    const auto req = path.empty() ? request(body, call.request_id, head, call.native, {}, call.traceparent)
                                    : request_to(path, body, call.request_id, head, call.native, {}, call.traceparent);
    upstream::UpstreamExchange one(*pool_, timeouts(call.read_timeout), config_.name);
    if (auto started = co_await one.start(req); !started) co_return started.error();
    observe_headers(one, call.model);
    if (one.status() / 100 != 2) co_return co_await read_error(one);
    co_return co_await one.read_all(config_.max_response_bytes);
  }
  auto ex = co_await send(path, body, call);
  if (!ex) co_return ex.error();
  observe_headers(**ex, call.model);
  if ((*ex)->status() / 100 != 2) co_return co_await read_error(**ex);
  co_return co_await (*ex)->read_all(config_.max_response_bytes);
}

asio::awaitable<result<std::unique_ptr<upstream::UpstreamExchange>>> HttpProvider::post_stream(std::string_view path,
                                                                                              std::string_view body,
                                                                                              const ChatCall& call,
                                                                                              std::string_view content_type) const {
  auto sent = co_await send(path, body, call);
  if (!sent) co_return sent.error();
  auto ex = std::move(*sent);
  observe_headers(*ex, call.model);
  if (ex->status() / 100 != 2) co_return co_await read_error(*ex);
  auto ct = ex->headers().find(http::field::content_type);
  if (ct == ex->headers().end() || ct->value().find(content_type) == std::string_view::npos) {
    co_return make_error(errc::upstream_bad_response, "answered a stream request without " + std::string(content_type), config_.name);
  }
  co_return std::move(ex);
}

void HttpProvider::observe_headers(const upstream::UpstreamExchange& ex, std::string_view model) const {
  if (!observing_quota()) return;
  const auto now = governance::wall_now_ms();
  report_quota(model, read_quota_headers(ex.headers(), now));
}

asio::awaitable<Error> HttpProvider::read_error(upstream::UpstreamExchange& exchange) const {
  const unsigned status = exchange.status();
  std::string retry_after;
  if (auto it = exchange.headers().find(http::field::retry_after); it != exchange.headers().end()) {
    retry_after = std::string(it->value().substr(0, 64));
  }
  auto body = co_await exchange.read_all(kMaxErrorBody);
  co_return error_from_upstream(status, body ? std::string_view(*body) : std::string_view{}, retry_after, config_.name,
                                config_.api_key.empty() ? std::string_view(config_.ad_token) : std::string_view(config_.api_key));
}

asio::awaitable<result<void>> HttpProvider::probe() {
  upstream::UpstreamExchange ex(*pool_, timeouts(Millis(0)), config_.name);
  const upstream::UpstreamExchange::RequestBuffers req{asio::buffer(probe_request_), asio::const_buffer(), asio::const_buffer()};
  if (auto started = co_await ex.start(req); !started) co_return started.error();
  if (ex.status() / 100 != 2) co_return co_await read_error(ex);
  auto body = co_await ex.read_all(1024 * 1024);  // read it all so the connection is reusable
  if (!body) co_return body.error();
  co_return result<void>();
}

}  // namespace switchyard::providers
