#pragma once
// A Vertex provider's Google access token from its service account: the
// signed JWT exchanged at the credentials file's token_uri, cached, and
// refreshed by one flight: a request with a valid token never waits (a token
// with under 5 minutes left is refreshed in the background while it is still
// used); requests that find none (the first, or after an expiry) wait for the
// one exchange in flight, bounded by the provider's connect and response
// timeouts. A failed exchange is a 502 naming the reason, retried by the
// next request (and failed over by the router like any provider failure).
// One source per provider client, so per worker reactor.
#include <switchyard/config.hpp>
#include <switchyard/error.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "providers/google_service_account.hpp"

namespace switchyard::providers {

class VertexTokenSource {
 public:
  using Clock = std::function<std::int64_t()>;  // unix seconds
  static constexpr std::int64_t kRefreshAhead = 300;  // seconds before expiry (google-auth-library's 5 minutes)

  // Throws std::invalid_argument for a token_uri that is not an http(s) URL (startup).
  VertexTokenSource(const boost::asio::any_io_executor& ex, const ProviderConfig& config, ServiceAccount account, Clock clock = {});
  ~VertexTokenSource();

  boost::asio::awaitable<result<std::string>> token();
  std::uint64_t exchanges() const noexcept;  // token requests sent
  bool refreshing() const noexcept;          // an exchange is in flight
  void shutdown() noexcept;

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace switchyard::providers
