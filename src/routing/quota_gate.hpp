#pragma once
// Declared provider and model quotas counted beyond this replica (every
// replica pointed at one Redis): the router asks the gate after this
// replica's own quota took an attempt, only for a target whose provider or
// model declares a quota. The router knows the gate by this interface only.
#include <switchyard/config.hpp>
#include <switchyard/error.hpp>

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <functional>

namespace switchyard::routing {

class QuotaGate {
 public:
  // Told the tokens the attempt used once it ends (gives back what it reserved beyond them).
  using Release = std::function<void(std::uint64_t used_tokens)>;
  virtual ~QuotaGate() = default;
  // Takes `tokens` (and a request) from `provider`'s and `target`'s shared
  // quotas. An error (quota_exhausted) fails the attempt over like a local
  // refusal; an empty Release: nothing was taken.
  virtual boost::asio::awaitable<result<Release>> take(const ProviderConfig& provider, const TargetConfig* target, std::uint64_t tokens) = 0;
};

}  // namespace switchyard::routing
