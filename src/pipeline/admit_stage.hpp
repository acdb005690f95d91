#pragma once
// The admit stage: may this key start this request now? The key's rate
// limits, concurrency cap and budget (the Governor of the key's generation),
// and with [state] backend = "redis" the same counted for every replica
// (SharedAdmission). The only code that knows whether limits live in memory
// or in Redis. Fills the exchange's ticket and the windows for the
// x-ratelimit-* headers, admitted or refused.
#include <switchyard/error.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include <optional>

#include "pipeline/exchange.hpp"

namespace switchyard::governance {
class Governor;
}

namespace switchyard::pipeline {

class SharedAdmission;

class AdmitStage {
 public:
  // `shared` null: limits are this replica's own.
  explicit AdmitStage(SharedAdmission* shared = nullptr) noexcept : shared_(shared) {}

  // The refusal (429 rate_limited / budget_exceeded, 503 when Redis did not
  // answer and on_redis_error = "deny"), or nothing: admitted. `body`: what
  // the request's tokens are estimated from.
  boost::asio::awaitable<std::optional<Error>> admit(Exchange& ex, governance::Governor& governor, const boost::json::object& body);

 private:
  SharedAdmission* shared_;
};

}  // namespace switchyard::pipeline
