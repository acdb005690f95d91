// Gateway's admission with [state] backend = "redis": this replica's own
// counters first (always kept: they decide when Redis does not answer), then
// the counters every replica shares, in one round trip.
#include "gateway/gateway_impl.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

namespace switchyard {

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

// A request admitted by the shared counters: finishing it finishes its local
// ticket and gives its unused tokens and its concurrency slot back in Redis
// (one script, in the background, bounded by redis_timeout_ms).
class SharedTicket final : public AdmissionTicket {
 public:
  SharedTicket(std::shared_ptr<AdmissionTicket> local, asio::any_io_executor ex, governance::SharedLimiter& shared, std::string subject,
               LimitsConfig limits, std::optional<BudgetConfig> budget, std::uint64_t reserved, std::string slot)
      : local_(std::move(local)), ex_(std::move(ex)), shared_(shared), subject_(std::move(subject)), limits_(limits), budget_(budget),
        reserved_(reserved), slot_(std::move(slot)) {}
  ~SharedTicket() override { finish(Usage{}, 0); }
  void finish(const Usage& used, double cost_usd) noexcept override {
    if (finished_) return;
    finished_ = true;
    if (local_) local_->finish(used, cost_usd);
    const bool spent = budget_ && cost_usd > 0;
    if (!spent && !limits_.concurrent && !limits_.tokens_per_minute && !limits_.tokens_per_hour && !limits_.tokens_per_day) return;
    const auto tokens = static_cast<std::uint64_t>(std::max<std::int64_t>(0, used.total()));
    try {
      shared_.finish_soon(subject_, limits_, reserved_, tokens, slot_, budget_, cost_usd);
    } catch (...) {  // out of memory: the slot expires by itself
    }
  }

 private:
  std::shared_ptr<AdmissionTicket> local_;
  asio::any_io_executor ex_;
  governance::SharedLimiter& shared_;
  std::string subject_;
  LimitsConfig limits_;
  std::optional<BudgetConfig> budget_;
  std::uint64_t reserved_;
  std::string slot_;
  bool finished_ = false;
};

// A request admitted by this replica's own counters because Redis did not answer:
// when it ends, its tokens and spend still go to the shared counters (queued, and
// kept until Redis is back if it is still away), so the other replicas see them.
class FallbackTicket final : public AdmissionTicket {
 public:
  FallbackTicket(std::shared_ptr<AdmissionTicket> local, governance::SharedLimiter& shared, std::string subject, LimitsConfig limits,
                 std::optional<BudgetConfig> budget)
      : local_(std::move(local)), shared_(shared), subject_(std::move(subject)), limits_(limits), budget_(budget) {
    limits_.concurrent = 0;  // no slot was taken in Redis
  }
  ~FallbackTicket() override { finish(Usage{}, 0); }
  void finish(const Usage& used, double cost_usd) noexcept override {
    if (finished_) return;
    finished_ = true;
    if (local_) local_->finish(used, cost_usd);
    const auto tokens = static_cast<std::uint64_t>(std::max<std::int64_t>(0, used.total()));
    if (tokens == 0 && !(budget_ && cost_usd > 0)) return;
    try {
      shared_.finish_soon(subject_, limits_, 0, tokens, std::string(), budget_, cost_usd);  // 0 reserved: the tokens are taken
    } catch (...) {
    }
  }

 private:
  std::shared_ptr<AdmissionTicket> local_;
  governance::SharedLimiter& shared_;
  std::string subject_;
  LimitsConfig limits_;
  std::optional<BudgetConfig> budget_;
  bool finished_ = false;
};

}  // namespace

bool Gateway::shares_state() const noexcept { return impl_->shared != nullptr; }

asio::awaitable<Admission> Gateway::admit_shared(const auth::KeyEntry* key, const boost::json::object& body) {
  return impl_->admit_shared(key, body);
}

asio::awaitable<Admission> Gateway::Impl::admit_shared(const auth::KeyEntry* key, const boost::json::object& body) {
  Impl& impl = *this;
  auto& governor = gen_of(key).governor;  // the request pins its generation (the HTTP front-end, or Prepared)
  Admission local = governor.admit(key, body);  // this replica's own counters: always kept, the fallback
  if (!impl.shared || !key || local.refused || !local.ticket) co_return local;
  const LimitsConfig* limits = governor.limits_of(*key);
  const auto budget = governor.budget_of(*key);
  if (!limits || (!limits->any() && !budget)) co_return local;
  const std::uint64_t reserved = governor.reservation(*key, body);
  const std::string slot = impl.replica_id + ":" + std::to_string(++impl.slot_seq);
  const std::string subject = "key:" + key->name;
  auto verdict = co_await impl.shared->admit(subject, *limits, reserved, slot, governance::wall_now_ms(), budget);
  if (!verdict) {
    ++impl.state_fallbacks;
    // The script may still run when Redis resumes (it was sent): its slot is given back
    // right after it (same connection, in order), not left to expire in slot_ttl.
    if (limits->concurrent) impl.shared->finish_soon(subject, *limits, 0, 0, slot);
    if (impl.state.deny_on_redis_error) {
      ++impl.state_denied;
      local.ticket->finish(Usage{}, 0);
      local.ticket.reset();
      local.refused = make_error(errc::overloaded, "the shared rate-limit state (Redis) did not answer within " +
                                                       std::to_string(impl.state.redis_timeout.count()) + " ms; try again");
      local.refused->retry_after = "1";
    }
    // on_redis_error = "local": this replica's own counters decided; what it uses still reaches Redis.
    local.ticket = std::make_shared<FallbackTicket>(std::move(local.ticket), *impl.shared, subject, *limits, budget);
    co_return local;
  }
  set_status(local, verdict->windows);
  if (verdict->refused) {
    local.ticket->finish(Usage{}, 0);  // what it reserved here comes back (the request stays counted: stricter, never looser)
    local.ticket.reset();
    local.refused = verdict->refused->limit == "budget" ? governor.budget_refusal(*key, verdict->budget_spent)
                                                        : governor.refusal(*key, *verdict->refused);
    co_return local;
  }
  local.ticket = std::make_shared<SharedTicket>(std::move(local.ticket), impl.ex, *impl.shared, subject, *limits, budget, reserved, slot);
  co_return local;
}

asio::awaitable<result<void>> Gateway::Impl::admit_embedded(ChatRequest& request) {
  if (request.admitted || !shared) co_return result<void>{};
  auto admission = co_await admit_shared(request.key, request.body);
  if (admission.refused) co_return std::move(*admission.refused);
  request.admission = std::move(admission.ticket);
  request.admitted = true;
  co_return result<void>{};
}

asio::awaitable<result<std::function<void(std::uint64_t)>>> Gateway::Impl::shared_quota(const ProviderConfig& provider, const TargetConfig* target,
                                                                                       std::uint64_t tokens) {
  using Held = std::vector<std::pair<std::string, LimitsConfig>>;
  Held subjects, held;
  if (provider.limits.any()) subjects.emplace_back("provider:" + provider.name, provider.limits);
  if (target && target->limits.any()) subjects.emplace_back("target:" + provider.name + "/" + target->model, target->limits);
  const std::string slot = replica_id + ":q" + std::to_string(++slot_seq);
  auto give_back = [this, slot, tokens](const Held& taken, std::uint64_t used) {
    for (const auto& [subject, limits] : taken) shared->finish_soon(subject, limits, tokens, used, slot);
  };
  for (const auto& [subject, limits] : subjects) {
    auto verdict = co_await shared->admit(subject, limits, tokens, slot, governance::wall_now_ms());
    if (!verdict) {  // Redis did not answer in time: this replica's own count of the quota decided
      ++state_fallbacks;
      if (limits.concurrent) shared->finish_soon(subject, limits, 0, 0, slot);  // if the script still runs, its slot goes right after
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
  if (held.empty()) co_return std::function<void(std::uint64_t)>{};
  co_return std::function<void(std::uint64_t)>([give_back, held](std::uint64_t used) { give_back(held, used); });
}

std::string Gateway::state_problem() const {
  const Impl& impl = *impl_;
  if (!impl.redis || impl.redis->healthy() || impl.redis->stats().commands == 0) return {};
  return "the shared state (Redis) is unreachable, limits are counted per replica: " + impl.redis->last_error();
}

}  // namespace switchyard
