#pragma once
// What every HTTP provider adapter shares: the endpoint, TLS context and
// connection pool, the request head built once (request line, host, auth and
// extra headers), error reading, timeouts and the /models health probe.
// Adapters (OpenAiClient, AnthropicClient) add the wire format.
#include <switchyard/config.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ssl/context.hpp>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "providers/key_pool.hpp"
#include "providers/key_quota.hpp"
#include "providers/provider_client.hpp"
#include "upstream/connection_pool.hpp"
#include "upstream/endpoint.hpp"
#include "upstream/upstream_exchange.hpp"

namespace switchyard::providers {

class HttpProvider : public ProviderClient {
 public:
  using Headers = std::vector<std::pair<std::string, std::string>>;

  // `path` is appended to the base URL's path (e.g. "/chat/completions");
  // `auth` are the headers that carry the provider's key.
  // `probe_path`: the health check's GET, after the base URL's path.
  HttpProvider(const boost::asio::any_io_executor& ex, const ProviderConfig& config, std::string_view path, const Headers& auth,
               std::string_view probe_path = "/models");

  const std::string& name() const noexcept override { return config_.name; }
  boost::asio::awaitable<result<void>> probe() override;  // GET <base_url><probe_path>
  void use_keys(std::shared_ptr<KeyPool> pool, KeyQuota* shared) override {
    keys_ = std::move(pool);
    key_quota_ = shared;
  }
  upstream::PoolStats pool_stats() const override { return pool_->stats(); }
  void shutdown() noexcept override { pool_->close(); }

 protected:
  // The head (request line and fixed headers) + per-request headers in `head` + the body.
  // `native`: the client's headers for a provider of its own API are added.
  upstream::UpstreamExchange::RequestBuffers request(std::string_view body, std::string_view request_id,
                                                     std::string& head, const NativeRequest* native = nullptr,
                                                     std::string_view key = {}, std::string_view traceparent = {}) const;
  // The same for a path chosen per request (e.g. Gemini's /models/{model}:generateContent).
  upstream::UpstreamExchange::RequestBuffers request_to(std::string_view path, std::string_view body,
                                                        std::string_view request_id, std::string& head,
                                                        const NativeRequest* native = nullptr, std::string_view key = {},
                                                        std::string_view traceparent = {}) const;
  upstream::ExchangeTimeouts timeouts(Millis read_override) const;
  // POSTs `body` to `path` (empty: the adapter's fixed path) and reads the
  // whole 2xx answer; an error status becomes the provider's Error.
  boost::asio::awaitable<result<std::string>> post(std::string_view path, std::string_view body, const ChatCall& call) const;
  // POSTs a stream request; the exchange once a 2xx text/event-stream answer began.
  // `content_type`: the stream's media type (Bedrock: application/vnd.amazon.eventstream).
  boost::asio::awaitable<result<std::unique_ptr<upstream::UpstreamExchange>>> post_stream(
      std::string_view path, std::string_view body, const ChatCall& call, std::string_view content_type = "text/event-stream") const;
  // Headers computed per request from what is sent (e.g. an AWS signature),
  // appended to `head`: the request line's path as sent (`wire_path`, base
  // URL's path included, query included) and the body. Nothing by default.
  // Called only when `authorizes_` is set (by the adapters that override it): other providers pay nothing for it.
  virtual void authorize(std::string_view wire_path, std::string_view body, std::string& head) const {
    (void)wire_path, (void)body, (void)head;
  }
  bool authorizes_ = false;
  boost::asio::awaitable<Error> read_error(upstream::UpstreamExchange& exchange) const;
  // Passes what the response headers say of the provider's quota to the observer.
  void observe_headers(const upstream::UpstreamExchange& exchange, std::string_view model) const;
  std::unique_ptr<upstream::UpstreamExchange> exchange(Millis read_override) const {
    return std::make_unique<upstream::UpstreamExchange>(*pool_, timeouts(read_override), config_.name);
  }
  upstream::ConnectionPool& pool() const noexcept { return *pool_; }

  ProviderConfig config_;
  upstream::Endpoint endpoint_;

 private:
  // Sends the request with a key of the pool (or the provider's one key):
  // a key refused (401/403) or throttled (429) is noted and the next key
  // tried, before the answer goes back to the router. The exchange, started.
  boost::asio::awaitable<result<std::unique_ptr<upstream::UpstreamExchange>>> send(std::string_view path, std::string_view body,
                                                                                   const ChatCall& call) const;
  void append_key(std::string& head, std::string_view key) const;

  std::shared_ptr<KeyPool> keys_;
  KeyQuota* key_quota_ = nullptr;  // the reactor's shared admission (outlives its generations' clients)
  std::string key_header_;  // "Authorization: Bearer ", "x-api-key: ", ... (for a pool's keys)
  std::string fixed_headers_;  // host, user agent, auth, configured headers, content type
  std::string head_prefix_;
  std::string probe_request_;
  std::unique_ptr<boost::asio::ssl::context> tls_;
  std::unique_ptr<upstream::ConnectionPool> pool_;
};

}  // namespace switchyard::providers
