#pragma once
// Admission with [state] backend = "redis": this replica's own counters
// first (always kept: they decide when Redis does not answer), then the
// counters every replica shares, in one round trip (at most
// redis_timeout_ms; on_redis_error = "deny" answers 503 instead). Also the
// router's QuotaGate for declared provider and model quotas. Used by the
// admit stage only; nothing else knows where limits live.
#include <switchyard/chat.hpp>
#include <switchyard/config.hpp>

#include <boost/json/object.hpp>

#include <cstdint>
#include <functional>
#include <string>

#include "observability/relaxed_counter.hpp"
#include "governance/governor.hpp"
#include "governance/shared_limiter.hpp"
#include "providers/key_quota.hpp"
#include "routing/quota_gate.hpp"

namespace switchyard::pipeline {

class SharedAdmission final : public routing::QuotaGate, public providers::KeyQuota {
 public:
  // `replica_id` names this replica's concurrency slots in Redis.
  SharedAdmission(governance::SharedLimiter& limiter, const StateConfig& state, std::string replica_id);

  // `governor`'s admission (the key's generation), then the shared counters'.
  // `user`: the end user. The key's, its team's and the (team, user)'s shared counters, one script each.
  boost::asio::awaitable<Admission> admit(governance::Governor& governor, const auth::KeyEntry* key, const boost::json::object& body,
                                          std::string user);
  boost::asio::awaitable<result<Release>> take(const ProviderConfig& provider, const TargetConfig* target, std::uint64_t tokens) override;
  // A provider key's declared limits, every replica together (subject "key:<provider>#<fingerprint>").
  boost::asio::awaitable<std::int64_t> take_key(std::string_view provider, std::string_view fingerprint, const LimitsConfig& limits,
                                                std::uint64_t tokens) override;

  // Admissions and quotas decided locally because Redis did not answer; requests refused for it ("deny").
  std::uint64_t fallbacks() const noexcept { return fallbacks_; }
  std::uint64_t denied() const noexcept { return denied_; }

 private:
  using Refuse = std::function<Error(const governance::SharedLimiter::Verdict&)>;
  boost::asio::awaitable<bool> admit_level(Admission& local, const std::string& subject, const LimitsConfig& limits,
                                           const std::optional<BudgetConfig>& budget, std::uint64_t reserved, const Refuse& refuse);
  std::string next_slot(std::string_view kind) { return replica_id_ + ":" + std::string(kind) + std::to_string(++slot_seq_); }

  governance::SharedLimiter& limiter_;
  bool deny_on_error_;
  Millis timeout_;
  std::string replica_id_;
  std::uint64_t slot_seq_ = 0;
  observability::RelaxedCounter<std::uint64_t> fallbacks_, denied_;  // read from any thread
};

}  // namespace switchyard::pipeline
