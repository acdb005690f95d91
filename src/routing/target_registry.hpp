#pragma once
// Every target's runtime state (health slot, circuit breaker, per-target
// metrics, tokens and spend), found by its config or "provider/model"; the
// status views (/v1/providers, /health) and the per-target Prometheus series
// are read from here. Ad-hoc targets (a "provider/model" no route names) are
// kept in a bounded LRU; a retired one's counts fold into model="other".
#include <switchyard/chat.hpp>
#include <switchyard/config.hpp>

#include <functional>
#include <list>
#include <map>
#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "governance/key_limiter.hpp"
#include "health/health_score.hpp"
#include "health/health_table.hpp"
#include "observability/prometheus.hpp"
#include "providers/quota_headers.hpp"
#include "resilience/circuit_breaker.hpp"
#include "routing/route_resolver.hpp"
#include "routing/target_selector.hpp"

namespace switchyard::routing {

// What an answer's tokens cost at a target's prices (per million tokens):
// uncached input, cached input (cached_input_price), cache writes
// (cache_write_price) and output (reasoning included) each at their price.
// 0 without prices (a provider/model target).
double cost_of(const Usage& used, const TargetConfig* prices) noexcept;

// What one upstream attempt took from its target's and its provider's
// declared quotas (a request, reserved tokens, a concurrency slot); finish()
// reconciles the tokens with what was used. Dropped unfinished: nothing used.
class QuotaHold {
 public:
  QuotaHold() = default;
  // `guard`: the registry's lock, under which the quotas change.
  QuotaHold(governance::KeyLimiter* provider, governance::KeyLimiter* target, std::uint64_t reserved, std::mutex* guard) noexcept
      : provider_(provider), target_(target), reserved_(reserved), guard_(guard) {}
  QuotaHold(QuotaHold&& o) noexcept
      : provider_(std::exchange(o.provider_, nullptr)), target_(std::exchange(o.target_, nullptr)), reserved_(o.reserved_),
        guard_(o.guard_), shared_(std::exchange(o.shared_, nullptr)) {}
  QuotaHold& operator=(QuotaHold&& o) noexcept {
    if (this != &o) {
      finish(0);
      provider_ = std::exchange(o.provider_, nullptr);
      target_ = std::exchange(o.target_, nullptr);
      reserved_ = o.reserved_;
      guard_ = o.guard_;
      shared_ = std::exchange(o.shared_, nullptr);
    }
    return *this;
  }
  ~QuotaHold() { finish(0); }
  void finish(std::uint64_t used_tokens) noexcept;
  // What the same quotas took in the counters every replica shares: told the tokens used at finish().
  void share(std::function<void(std::uint64_t used_tokens)> shared) { shared_ = std::move(shared); }

 private:
  governance::KeyLimiter* provider_ = nullptr;
  governance::KeyLimiter* target_ = nullptr;
  std::uint64_t reserved_ = 0;
  std::mutex* guard_ = nullptr;
  std::function<void(std::uint64_t)> shared_;
};

// Every worker reactor's requests use the same target states. The health slot
// is lock-free (atomics); everything else here changes under `guard` (its
// registry's lock, lock_state()), held for bookkeeping only, never across a wait.
struct TargetState {
  std::mutex* guard = nullptr;
  std::string provider, model;
  std::size_t provider_index = 0;
  health::ModelHealthMetrics* health = nullptr;
  resilience::CircuitBreaker breaker;
  std::map<int, std::uint64_t> by_status;  // final outcomes of requests this target answered last
  observability::FixedHistogram latency{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120};
  observability::FixedHistogram ttft{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
  // The GenAI conventions' client histograms: an answer's duration (a stream: until its end) and the
  // tokens the provider reported (input, output), observed once per answer.
  observability::FixedHistogram genai_duration{0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92};
  observability::FixedHistogram genai_input_tokens{1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864};
  observability::FixedHistogram genai_output_tokens{1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864};
  std::uint64_t attempts_ok = 0, attempts_failed = 0;  // every attempt (not only the last): the error_rate alerts' counts
  Usage tokens;         // summed over every answer this target gave (streams counted when they end)
  double cost_usd = 0;  // the same answers priced with their route's input_price / output_price
  bool adhoc = false;
  std::list<TargetState*>::iterator lru;
  std::atomic<std::uint32_t> users{0};  // requests and open streams using this state: never retired while > 0
  std::unique_ptr<governance::KeyLimiter> quota;  // the target's declared quota (a configured target with limits)
  governance::KeyLimiter* provider_quota = nullptr;  // its provider's, shared by the provider's targets
  governance::Ms exhausted_until = 0;  // the provider's headers said no quota is left until then
  std::string last_error;  // the last failed try: its code and message (redacted, at most 240 bytes)

  // Counts another target's figures into this one (a retired ad-hoc target into "other").
  void absorb(const TargetState& o);
  // An answer's tokens and their cost (cost_of). `prices` may be null (ad-hoc target).
  void account(const Usage& used, const TargetConfig* prices) noexcept;
};

// The lock a target state's bookkeeping changes under.
[[nodiscard]] inline std::unique_lock<std::mutex> lock_state(const TargetState& st) { return std::unique_lock<std::mutex>(*st.guard); }

// Holds a target state in use (not retired) for as long as it lives.
class TargetUse {
 public:
  explicit TargetUse(TargetState* s = nullptr) noexcept : s_(s) {
    if (s_) s_->users.fetch_add(1, std::memory_order_relaxed);
  }
  TargetUse(TargetUse&& o) noexcept : s_(std::exchange(o.s_, nullptr)) {}
  TargetUse& operator=(TargetUse&&) = delete;
  ~TargetUse() {
    if (s_) s_->users.fetch_sub(1, std::memory_order_relaxed);
  }

 private:
  TargetState* s_;
};

struct TargetStatus {
  std::string provider, model;
  health::HealthSnapshot health;
  resilience::CircuitState circuit = resilience::CircuitState::closed;
  double score = 1;
  governance::WindowStatus quota_requests, quota_tokens;  // the tightest declared quota (limit 0: none)
  std::uint64_t answered = 0, failed = 0;  // final outcomes since start: 2xx, and the rest
  std::string last_error;
};

class TargetRegistry {
 public:
  // Slots for every configured target are made up front. `previous`: the
  // registry of the configuration this one replaces (a reload): the health
  // table is shared with it, and a target whose provider did not change keeps
  // its breaker, counters, histograms and quota counts.
  explicit TargetRegistry(const Config& config, TargetRegistry* previous = nullptr);
  ~TargetRegistry();
  TargetRegistry(const TargetRegistry&) = delete;
  TargetRegistry& operator=(const TargetRegistry&) = delete;

  // The lock every target state of this registry changes under (see TargetState):
  // state_for, view_of, quota_refusal and take_quota are called with it held.
  [[nodiscard]] std::unique_lock<std::mutex> lock() const { return std::unique_lock<std::mutex>(mu_); }

  // The target's state; made on first use for a provider/model target.
  // nullptr when the ad-hoc LRU is full of targets in use, or the health table is full.
  TargetState* state_for(const Target& target);
  // The selector's view of a target now, scored against its peers.
  static TargetView view_of(const TargetState& state, health::TimePoint now, const health::PeerBaseline& peers);

  // Declared quotas: whether any exists, whether this target's (and its
  // provider's) can take a request of `tokens` now, and taking it.
  bool has_quotas() const noexcept { return has_quotas_.load(std::memory_order_relaxed); }
  static std::optional<governance::LimitRefusal> quota_refusal(TargetState& st, std::uint64_t tokens, governance::Ms now);
  static result<QuotaHold> take_quota(TargetState& st, std::uint64_t tokens, governance::Ms now);
  // What a provider's response headers said of its quota for `model`: at zero
  // requests or tokens left, the target counts as used up until the reset.
  void learn(std::size_t provider_index, std::string_view model, const providers::QuotaReport& report, governance::Ms now);

  // An active health check of a provider finished: feeds all its targets.
  void on_probe(std::size_t provider_index, bool ok, health::TimePoint now);

  std::vector<TargetStatus> status() const;
  // Every target's latency and TTFT histograms added into `latency` and `ttft` (same bounds as TargetState's).
  void merge_histograms(observability::FixedHistogram& latency, observability::FixedHistogram& ttft) const;
  // Every configured or ad-hoc target's state, under the registry's lock (alert rules read their counters).
  void for_each(const std::function<void(const TargetState&)>& fn) const;
  // Configured routes none of whose targets is usable now (circuit open or rate-limited).
  std::vector<std::string> unhealthy_routes() const;
  // Per-target requests by status, latency and TTFT histograms, tokens, cost, circuits, scores, in-flight.
  void write_metrics(observability::PrometheusWriter& out) const;

 private:
  bool retire_adhoc();
  TargetState& other_of(std::size_t provider_index);
  void adopt(TargetRegistry& previous);

  void write_genai_metrics(observability::PrometheusWriter& out, const std::vector<const TargetState*>& counted) const;
  const Config& config_;
  mutable std::mutex mu_;
  std::shared_ptr<health::HealthTable> table_;  // shared with the registries of earlier configurations
  std::unordered_map<std::string, std::unique_ptr<TargetState>> states_;  // "provider/model"
  std::unordered_map<const TargetConfig*, TargetState*> by_config_;       // configured targets, without a key string
  std::list<TargetState*> adhoc_lru_;                                      // ad-hoc targets, most recently used first
  std::map<std::size_t, std::unique_ptr<TargetState>> others_;             // per provider: retired ad-hoc targets' counts
  std::vector<std::unique_ptr<governance::KeyLimiter>> provider_quotas_;   // by provider index (null: no quota)
  std::atomic<bool> has_quotas_{false};
};

}  // namespace switchyard::routing
