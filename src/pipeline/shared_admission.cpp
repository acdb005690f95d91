#include "pipeline/shared_admission.hpp"

#include "auth/key_store.hpp"

#include <algorithm>
#include "governance/wall_clock.hpp"

namespace switchyard::pipeline {

namespace asio = boost::asio;

namespace {

// The tightest request and token windows of the shared counters, for the rate-limit headers.
void set_status(Admission& a, const std::vector<std::pair<std::string, governance::WindowStatus>>& windows) {
  bool requests = false, tokens = false;
  for (const auto& [name, w] : windows) {
    const bool of_tokens = name.starts_with("tokens_");
    if (!of_tokens && !name.starts_with("requests_")) continue;
    LimitStatus& s = of_tokens ? a.tokens : a.requests;
    bool& seen = of_tokens ? tokens : requests;
    if (!seen || w.remaining < s.remaining) s = LimitStatus{w.limit, w.remaining, std::chrono::milliseconds(w.reset_ms)};
    seen = true;
  }
}

// A request admitted with the shared counters: finishing it finishes its local
// ticket, then tells Redis (one script, queued, bounded by redis_timeout_ms):
// - admitted by Redis (`in_redis`): its unused tokens and its concurrency slot go back;
// - admitted by this replica's own counters because Redis did not answer: its tokens
//   and spend are added there (kept until Redis is back), so the other replicas see them.
class SharedTicket final : public AdmissionTicket {
 public:
  SharedTicket(std::shared_ptr<AdmissionTicket> local, governance::SharedLimiter& shared, std::string subject, LimitsConfig limits,
               std::optional<BudgetConfig> budget, bool in_redis, std::uint64_t reserved = 0, std::string slot = {})
      : local_(std::move(local)), shared_(shared), subject_(std::move(subject)), limits_(limits), budget_(budget), in_redis_(in_redis),
        reserved_(reserved), slot_(std::move(slot)) {
    if (!in_redis_) limits_.concurrent = 0;  // no slot was taken in Redis
  }
  ~SharedTicket() override { finish(Usage{}, 0); }
  void finish(const Usage& used, double cost_usd) noexcept override {
    if (finished_) return;
    finished_ = true;
    if (local_) local_->finish(used, cost_usd);
    const bool spent = budget_ && cost_usd > 0;
    const auto tokens = static_cast<std::uint64_t>(std::max<std::int64_t>(0, used.total()));
    const bool token_limits = limits_.tokens_per_minute || limits_.tokens_per_hour || limits_.tokens_per_day;
    if (!spent && !(in_redis_ ? limits_.concurrent || token_limits : tokens > 0)) return;
    try {
      shared_.finish_soon(subject_, limits_, reserved_, tokens, slot_, budget_, cost_usd);
    } catch (...) {  // out of memory: a slot expires by itself
    }
  }

 private:
  std::shared_ptr<AdmissionTicket> local_;
  governance::SharedLimiter& shared_;
  std::string subject_;
  LimitsConfig limits_;
  std::optional<BudgetConfig> budget_;
  bool in_redis_;
  std::uint64_t reserved_;  // 0 for a fallback: its tokens are taken, not reconciled
  std::string slot_;
  bool finished_ = false;
};

}  // namespace

SharedAdmission::SharedAdmission(governance::SharedLimiter& limiter, const StateConfig& state, std::string replica_id)
    : limiter_(limiter), deny_on_error_(state.deny_on_redis_error), timeout_(state.redis_timeout), replica_id_(std::move(replica_id)) {}

// One level's shared counters (a key's, its team's, its end user's): the local ticket is wrapped
// so its end reaches Redis. False: refused (local.refused set) or denied; stop there.
asio::awaitable<bool> SharedAdmission::admit_level(Admission& local, const std::string& subject, const LimitsConfig& limits,
                                                   const std::optional<BudgetConfig>& budget, std::uint64_t reserved, const Refuse& refuse) {
  const std::string slot = next_slot("");
  auto verdict = co_await limiter_.admit(subject, limits, reserved, slot, governance::wall_now_ms(), budget);
  if (!verdict) {
    ++fallbacks_;
    // The script may still run when Redis resumes (it was sent): its slot is given back
    // right after it (same connection, in order), not left to expire in slot_ttl.
    if (limits.concurrent) limiter_.finish_soon(subject, limits, 0, 0, slot);
    if (deny_on_error_) {
      ++denied_;
      local.ticket.reset();  // unfinished: nothing used, its slot and reservation come back
      local.refused = make_error(errc::overloaded, "the shared rate-limit state (Redis) did not answer within " +
                                                       std::to_string(timeout_.count()) + " ms; try again");
      local.refused->retry_after = "1";
      co_return false;
    }
    // on_redis_error = "local": this replica's own counters decided; what it uses still reaches Redis.
    local.ticket = std::make_shared<SharedTicket>(std::move(local.ticket), limiter_, subject, limits, budget, false);
    co_return true;
  }
  set_status(local, verdict->windows);
  if (verdict->refused) {
    local.ticket.reset();  // what the levels before took comes back (the request stays counted: stricter, never looser)
    local.refused = refuse(*verdict);
    co_return false;
  }
  local.ticket = std::make_shared<SharedTicket>(std::move(local.ticket), limiter_, subject, limits, budget, true, reserved, slot);
  co_return true;
}

asio::awaitable<Admission> SharedAdmission::admit(governance::Governor& governor, const auth::KeyEntry* key, const boost::json::object& body,
                                                  std::string user) {
  Admission local = governor.admit(key, body, user);  // this replica's own counters: always kept, the fallback
  if (!key || local.refused || !local.ticket) co_return local;
  // Most specific first: the end user's, the team's, then the key's. A refusal gives back the
  // tokens and slots the levels before took; their request counts stay (Redis windows are not
  // rolled back: stricter, never looser), so a user over their share never eats the team's.
  auto levels = governor.upper_levels(*key, user);
  std::reverse(levels.begin(), levels.end());
  for (const auto& level : levels) {
    const std::uint64_t level_reserved = level.limits.tokens_per_minute || level.limits.tokens_per_hour || level.limits.tokens_per_day
                                             ? governance::estimate_tokens(body, 256) : 0;
    const Refuse refuse = [&](const governance::SharedLimiter::Verdict& v) {
      return v.refused->limit == "budget" ? governor.level_budget_refusal(level, v.budget_spent) : governor.level_refusal(level, *v.refused);
    };
    const bool admitted = co_await admit_level(local, level.subject, level.limits, level.budget, level_reserved, refuse);
    if (!admitted) co_return local;
  }
  const LimitsConfig* limits = governor.limits_of(*key);
  const auto budget = governor.budget_of(*key);
  if (limits && (limits->any() || budget)) {
    const Refuse refuse = [&](const governance::SharedLimiter::Verdict& v) {
      return v.refused->limit == "budget" ? governor.budget_refusal(*key, v.budget_spent) : governor.refusal(*key, *v.refused);
    };
    const std::string subject = "key:" + key->name;
    const bool admitted = co_await admit_level(local, subject, *limits, budget, governor.reservation(*key, body), refuse);
    if (!admitted) co_return local;
  }
  co_return local;
}

asio::awaitable<result<routing::QuotaGate::Release>> SharedAdmission::take(const ProviderConfig& provider, const TargetConfig* target,
                                                                           std::uint64_t tokens) {
  using Held = std::vector<std::pair<std::string, LimitsConfig>>;
  Held subjects, held;
  if (provider.limits.any()) subjects.emplace_back("provider:" + provider.name, provider.limits);
  if (target && target->limits.any()) subjects.emplace_back("target:" + provider.name + "/" + target->model, target->limits);
  const std::string slot = next_slot("q");
  auto give_back = [&limiter = limiter_, slot, tokens](const Held& taken, std::uint64_t used) {
    for (const auto& [subject, limits] : taken) limiter.finish_soon(subject, limits, tokens, used, slot);
  };
  for (const auto& [subject, limits] : subjects) {
    auto verdict = co_await limiter_.admit(subject, limits, tokens, slot, governance::wall_now_ms());
    if (!verdict) {  // Redis did not answer in time: this replica's own count of the quota decided
      ++fallbacks_;
      if (limits.concurrent) limiter_.finish_soon(subject, limits, 0, 0, slot);  // if the script still runs, its slot goes right after
      continue;
    }
    if (verdict->refused) {
      give_back(held, 0);  // the provider's reservation, when the model's quota refused
      Error e = make_error(errc::quota_exhausted, "the quota of " + (target ? provider.name + "/" + target->model : provider.name) + " (" +
                                                      verdict->refused->limit + ", every replica together) is used up", provider.name);
      if (verdict->refused->ever) e.retry_after = std::to_string(std::max<governance::Ms>(1, (verdict->refused->retry_after_ms + 999) / 1000));
      co_return e;
    }
    held.emplace_back(subject, limits);
  }
  if (held.empty()) co_return Release{};
  co_return Release([give_back, held](std::uint64_t used) { give_back(held, used); });
}

asio::awaitable<std::int64_t> SharedAdmission::take_key(std::string_view provider, std::string_view fingerprint, const LimitsConfig& limits,
                                                         std::uint64_t tokens) {
  const std::string subject = "key:" + std::string(provider) + "#" + std::string(fingerprint);
  const std::string slot = next_slot("k");
  auto verdict = co_await limiter_.admit(subject, limits, tokens, slot, governance::wall_now_ms());
  if (!verdict) {  // Redis did not answer in time: the key pool's own count decided
    ++fallbacks_;
    co_return 0;
  }
  if (verdict->refused) co_return std::max<governance::Ms>(1, verdict->refused->ever ? verdict->refused->retry_after_ms : 60'000);
  co_return 0;  // the estimate is what a key's token window counts: nothing to reconcile, no slot (keys have no concurrency limit)
}

}  // namespace switchyard::pipeline
