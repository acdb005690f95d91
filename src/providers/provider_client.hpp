#pragma once
// The interface every provider adapter implements. The router hands it the
// client's request body (OpenAI shape) and the upstream model; the adapter
// builds the upstream request, sends it over its pool and turns the answer
// back into OpenAI shape.
#include <functional>
#include <switchyard/chat.hpp>
#include <switchyard/config.hpp>
#include <switchyard/error.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "upstream/connection_pool.hpp"

#include "providers/quota_headers.hpp"

namespace switchyard::providers {

struct ChatCall {
  // The client's request. Shared by every attempt of the request (retries,
  // failover, hedges): adapters build their upstream body from it and never change it.
  const boost::json::object& body;
  std::string_view model;        // the upstream model to ask for
  std::string_view request_id;   // forwarded as x-request-id when not empty
  Millis read_timeout{0};        // longest gap between body bytes / stream chunks; 0 = the provider's own
  // Set when this provider speaks the client's API: send it instead of translating `body`, answer untouched.
  const NativeRequest* native = nullptr;
  std::string_view traceparent;  // W3C trace context for the provider ("" = none)
};

class ProviderClient {
 public:
  virtual ~ProviderClient() = default;
  virtual const std::string& name() const noexcept = 0;
  virtual boost::asio::awaitable<result<ChatResponse>> chat_completion(ChatCall call) = 0;
  // Returns once the response headers arrived; chunks come from the source.
  virtual boost::asio::awaitable<result<std::unique_ptr<ChunkSource>>> chat_completion_stream(ChatCall call) = 0;
  // An OpenAI embeddings request (call.body); the answer in OpenAI's shape,
  // vectors encoded as the client asked (encoding_format). A provider
  // without an embeddings API says so (targets declare it: TargetConfig::embeddings).
  virtual boost::asio::awaitable<result<ChatResponse>> embeddings(ChatCall call) {
    (void)call;
    co_return make_error(errc::invalid_request, "provider '" + name() + "' has no embeddings API", name());
  }
  // Anthropic's POST /v1/messages/count_tokens for the client's own request
  // (call.native): the provider's answer ({"input_tokens": N}) as it came.
  virtual boost::asio::awaitable<result<std::string>> count_tokens(ChatCall call) {
    (void)call;
    co_return make_error(errc::invalid_request, "provider '" + name() + "' does not count tokens", name());
  }
  // The provider's several keys (shared by every worker's client of it): each request takes one.
  // `shared`: the keys' declared limits counted across replicas (Redis), or null.
  virtual void use_keys(std::shared_ptr<class KeyPool> pool, class KeyQuota* shared) { (void)pool, (void)shared; }
  // A cheap request that proves the provider answers (active health checks).
  virtual boost::asio::awaitable<result<void>> probe() = 0;
  virtual upstream::PoolStats pool_stats() const = 0;
  virtual void shutdown() noexcept = 0;

  // Told what the provider's response headers say of its remaining quota, for `model` (the router listens).
  using QuotaObserver = std::function<void(std::string_view model, const QuotaReport& report)>;
  void observe_quota(QuotaObserver observer) { quota_observer_ = std::move(observer); }
  bool observing_quota() const noexcept { return static_cast<bool>(quota_observer_); }

 protected:
  void report_quota(std::string_view model, const QuotaReport& report) const {
    if (quota_observer_ && !report.empty()) quota_observer_(model, report);
  }

 private:
  QuotaObserver quota_observer_;
};

}  // namespace switchyard::providers
