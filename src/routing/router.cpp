#include "routing/router.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>

#include <boost/json.hpp>

#include "health/health_score.hpp"
#include "error/error_response.hpp"
#include "providers/upstream_error.hpp"
#include "resilience/retry_policy.hpp"

namespace switchyard::routing {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;
constexpr auto use_nothrow = asio::as_tuple(asio::use_awaitable);

struct TargetState {
  std::string provider, model;
  std::size_t provider_index = 0;
  health::ModelHealthMetrics* health = nullptr;
  resilience::CircuitBreaker breaker;
  std::map<int, std::uint64_t> by_status;  // final outcomes of requests this target answered last
  observability::FixedHistogram latency{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120};
  observability::FixedHistogram ttft{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
  Usage tokens;         // summed over every answer this target gave (streams counted when they end)
  double cost_usd = 0;  // the same answers priced with their route's input_price / output_price
  // Ad-hoc targets ("provider/model" not in any route) are kept in a bounded LRU.
  bool adhoc = false;
  std::list<TargetState*>::iterator lru;
  std::uint32_t users = 0;  // requests and open streams using this state: never retired while > 0

  // Counts another target's figures into this one (a retired ad-hoc target into "other").
  void absorb(const TargetState& o) {
    for (const auto& [status, n] : o.by_status) by_status[status] += n;
    latency.merge(o.latency);
    ttft.merge(o.ttft);
    tokens += o.tokens;
    cost_usd += o.cost_usd;
  }
};

namespace {
// Holds a target state in use for as long as it lives.
class TargetUse {
 public:
  explicit TargetUse(TargetState* s = nullptr) noexcept : s_(s) {
    if (s_) ++s_->users;
  }
  TargetUse(TargetUse&& o) noexcept : s_(std::exchange(o.s_, nullptr)) {}
  TargetUse& operator=(TargetUse&&) = delete;
  ~TargetUse() {
    if (s_) --s_->users;
  }

 private:
  TargetState* s_;
};
}  // namespace

namespace {
// Prices are per million tokens; cached tokens are priced as input, reasoning as output.
double cost_of(const Usage& u, const TargetConfig* prices) noexcept {
  if (!prices) return 0;
  return (static_cast<double>(u.prompt_tokens) * prices->input_price +
          static_cast<double>(u.completion_tokens) * prices->output_price) / 1e6;
}
}  // namespace

namespace {

resilience::BreakerConfig breaker_config(const ResilienceConfig& r) {
  resilience::BreakerConfig b;
  b.failure_threshold = r.breaker_failures;
  b.error_rate_threshold = r.breaker_error_rate;
  b.min_requests = r.breaker_min_requests;
  b.window = r.breaker_window;
  b.cooldown = r.breaker_cooldown;
  b.half_open_probes = r.breaker_probes;
  return b;
}

resilience::RetryConfig retry_config(const ResilienceConfig& r) {
  resilience::RetryConfig c;
  c.attempts_per_target = r.attempts_per_target;
  c.base_backoff = r.base_backoff;
  c.max_backoff = r.max_backoff;
  c.budget = r.retry_budget;
  c.max_retry_after = r.max_retry_after;
  return c;
}

double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

// What an attempt produced, besides the result: time to first chunk for streams.

// Hands out the first chunk (already received), then the rest; reports a
// stream that breaks later to the target's health and breaker, and the
// tokens it used when it ends (finished, broken or cancelled).
class FirstChunkGate final : public ChunkSource {
 public:
  FirstChunkGate(std::unique_ptr<ChunkSource> inner, std::optional<std::string_view> first, TargetState* target,
                 const TargetConfig* prices, RouterCounters& counters, const std::vector<std::string>& secrets)
      : inner_(std::move(inner)), first_(first), target_(target), use_(target), prices_(prices), counters_(counters),
        secrets_(secrets) {}
  ~FirstChunkGate() override { count_usage(); }
  FirstChunkGate(const FirstChunkGate&) = delete;
  FirstChunkGate& operator=(const FirstChunkGate&) = delete;

  Usage usage() const noexcept override { return inner_->usage(); }

  asio::awaitable<result<std::optional<std::string_view>>> next() override {
    if (pending_) {
      pending_ = false;
      co_return first_;
    }
    auto r = co_await inner_->next();
    if (!r) r = providers::redacted(r.error(), secrets_);  // upstream text: no key leaves, whatever the provider echoed
    if (!r && r.error().code != errc::cancelled && resilience::counts_against_target(r.error())) {
      ++counters_.stream_breaks;
      target_->health->on_failure(Clock::now(), false, std::nullopt);
      target_->breaker.on_failure(Clock::now());
    }
    if (!r || !*r) count_usage();  // the end: counted before the client sees it
    co_return r;
  }

 private:
  // Once per stream: at its end, or when it is dropped (cancelled) before that.
  void count_usage() noexcept {
    if (counted_) return;
    counted_ = true;
    const Usage used = inner_->usage();
    target_->tokens += used;
    target_->cost_usd += cost_of(used, prices_);
  }

  std::unique_ptr<ChunkSource> inner_;
  std::optional<std::string_view> first_;
  bool counted_ = false;
  bool pending_ = true;
  TargetState* target_;
  TargetUse use_;
  const TargetConfig* prices_;
  RouterCounters& counters_;
  const std::vector<std::string>& secrets_;
};

}  // namespace

RequestNeeds needs_of(const boost::json::object& body) {
  RequestNeeds n;
  if (const auto* tools = body.if_contains("tools"); tools && tools->is_array() && !tools->as_array().empty()) n.tools = true;
  if (const auto* fns = body.if_contains("functions"); fns && fns->is_array() && !fns->as_array().empty()) n.tools = true;
  std::size_t chars = 0;
  if (const auto* msgs = body.if_contains("messages"); msgs && msgs->is_array()) {
    for (const auto& m : msgs->as_array()) {
      const auto* content = m.is_object() ? m.as_object().if_contains("content") : nullptr;
      if (!content) continue;
      if (content->is_string()) {
        chars += content->as_string().size();
      } else if (content->is_array()) {
        for (const auto& part : content->as_array()) {
          if (!part.is_object()) continue;
          const auto* type = part.as_object().if_contains("type");
          if (type && type->is_string() && (type->as_string() == "image_url" || type->as_string() == "input_image")) n.images = true;
          if (const auto* text = part.as_object().if_contains("text"); text && text->is_string()) chars += text->as_string().size();
        }
      }
    }
  }
  std::size_t max_tokens = 0;
  for (const char* k : {"max_tokens", "max_completion_tokens"}) {
    if (const auto* v = body.if_contains(k); v && v->is_int64() && v->as_int64() > 0) max_tokens = static_cast<std::size_t>(v->as_int64());
  }
  n.context_tokens = chars / 4 + max_tokens;  // ~4 characters a token
  return n;
}

Router::Router(asio::any_io_executor ex, const Config& config,
               std::vector<std::unique_ptr<providers::ProviderClient>>& clients)
    : ex_(std::move(ex)), config_(config), clients_(clients), rng_(std::random_device{}()) {
  for (const auto& p : config_.providers) {
    if (!p.api_key.empty()) secrets_.push_back(p.api_key);
    for (const auto& [name, value] : p.headers) {
      if (value.size() >= 8) secrets_.push_back(value);
    }
  }
  // Slots for every configured target up front; provider/model targets get theirs on first use.
  for (const auto& route : config_.models) {
    for (const auto& t : route.targets) {
      for (std::size_t i = 0; i < config_.providers.size(); ++i) {
        if (config_.providers[i].name == t.provider) state_for(Target{i, t.model, &t});
      }
    }
  }
}

Router::~Router() = default;

TargetState* Router::state_for(const Target& target) {
  // Configured targets: found by their config's address, no key string built per request.
  if (target.config) {
    if (auto it = by_config_.find(target.config); it != by_config_.end()) return it->second;
  }
  const auto& provider = config_.providers[target.provider].name;
  std::string key = provider + '/' + std::string(target.model);
  if (auto it = states_.find(key); it != states_.end()) {
    auto* st = it->second.get();
    if (target.config) {
      by_config_.emplace(target.config, st);
      if (st->adhoc) {  // a configured target now: never retired
        adhoc_lru_.erase(st->lru);
        st->adhoc = false;
      }
    } else if (st->adhoc && st->lru != adhoc_lru_.begin()) {
      adhoc_lru_.splice(adhoc_lru_.begin(), adhoc_lru_, st->lru);
    }
    return st;
  }
  const bool adhoc = !target.config;
  if (adhoc && adhoc_lru_.size() >= config_.resilience.max_adhoc_targets && !retire_adhoc()) return nullptr;
  auto* slot = table_.slot(provider, target.model);
  if (!slot) return nullptr;  // table full
  auto state = std::make_unique<TargetState>();
  state->provider = provider;
  state->model = std::string(target.model);
  state->provider_index = target.provider;
  state->health = slot;
  state->breaker = resilience::CircuitBreaker(breaker_config(config_.resilience));
  auto* raw = state.get();
  states_.emplace(std::move(key), std::move(state));
  if (target.config) by_config_.emplace(target.config, raw);
  if (adhoc) {
    raw->adhoc = true;
    adhoc_lru_.push_front(raw);
    raw->lru = adhoc_lru_.begin();
  }
  return raw;
}

TargetState& Router::other_of(std::size_t provider_index) {
  auto& slot = others_[provider_index];
  if (!slot) {
    slot = std::make_unique<TargetState>();
    slot->provider = config_.providers[provider_index].name;
    slot->model = "other";
    slot->provider_index = provider_index;
  }
  return *slot;
}

bool Router::retire_adhoc() {
  for (auto it = adhoc_lru_.rbegin(); it != adhoc_lru_.rend(); ++it) {
    TargetState* st = *it;
    if (st->users > 0 || st->health->snapshot(Clock::now()).in_flight > 0) continue;
    other_of(st->provider_index).absorb(*st);
    adhoc_lru_.erase(std::next(it).base());
    const std::string provider = st->provider, model = st->model;
    states_.erase(provider + '/' + model);  // destroys st
    table_.release(provider, model);
    return true;
  }
  return false;
}

TargetView Router::view_of(TargetState& state, health::TimePoint now, const health::PeerBaseline& peers) {
  TargetView v;
  v.health = state.health->snapshot(now);
  v.circuit = state.breaker.state(now);
  v.score = health::computeHealthScore(v.health, peers, v.circuit);
  return v;
}

// One try on one target, with its bookkeeping: in-flight count, health
// sample, breaker outcome and histograms. A cancelled try (client gone, lost
// hedge race) records nothing and gives back a half-open probe slot.
template <class T, class Attempt>
asio::awaitable<Attempted<T>> Router::recorded(Attempt& attempt, const Target& target, TargetState& st) {
  ++counters_.attempts;
  st.health->on_start();
  struct Finish {
    TargetState& st;
    bool outcome = false;
    ~Finish() {
      st.health->on_finish();
      if (!outcome) st.breaker.release_probe();
    }
  } finish{st};
  const auto t0 = Clock::now();
  Attempted<T> outcome = co_await attempt(target, st);
  const auto t1 = Clock::now();
  outcome.state = &st;
  if (!outcome.value) outcome.value = providers::redacted(outcome.value.error(), secrets_);
  if (outcome.value) {
    finish.outcome = true;
    st.health->on_success(t1, ms_between(t0, t1), outcome.ttft_ms);
    st.breaker.on_success(t1);
    ++st.by_status[200];
    if constexpr (std::is_same_v<T, ChatResponse>) {
      st.tokens += outcome.value->usage;
      st.cost_usd += cost_of(outcome.value->usage, target.config);
    }
    if (outcome.ttft_ms) st.ttft.observe(*outcome.ttft_ms / 1000.0);
    else st.latency.observe(ms_between(t0, t1) / 1000.0);
    co_return outcome;
  }
  const Error& e = outcome.value.error();
  if (e.code != errc::cancelled && resilience::counts_against_target(e)) {
    finish.outcome = true;
    const auto retry_after = resilience::parse_retry_after(e.retry_after);
    const bool rate_limit = e.upstream_status == 429;
    std::optional<double> avoid_ms;
    if (rate_limit) avoid_ms = retry_after ? static_cast<double>(retry_after->count()) : 1000.0;
    st.health->on_failure(t1, rate_limit, avoid_ms);
    st.breaker.on_failure(t1);
  }
  co_return outcome;
}

std::optional<Millis> Router::hedge_delay_for(const RoutePlan& plan, const TargetState& st) const {
  if (!plan.route_config) return std::nullopt;
  const auto& r = *plan.route_config;
  if (r.hedge_after_p95 && st.ttft.count() >= 20) {
    // p95 of the target's time to first token, as the upper bound of its histogram bucket.
    const auto rank = static_cast<std::uint64_t>(0.95 * static_cast<double>(st.ttft.count()));
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < st.ttft.bounds().size(); ++i) {
      seen += st.ttft.bucket(i);
      if (seen >= rank) return Millis(static_cast<long long>(st.ttft.bounds()[i] * 1000));
    }
  }
  if (r.hedge_after.count() > 0) return r.hedge_after;
  return std::nullopt;
}

template <class T, class Attempt>
asio::awaitable<result<T>> Router::run(const RoutePlan& plan, ChatRequest& request, Attempt attempt,
                                       const std::vector<std::string>* exclude) {
  ++counters_.requests;
  if (auto it = route_requests_.find(plan.route); it != route_requests_.end()) ++it->second;
  else if (plan.route_config || route_requests_.size() < 1024) route_requests_.emplace(std::string(plan.route), 1);
  const auto retry = retry_config(config_.resilience);
  const auto started = Clock::now();
  const auto deadline = started + retry.budget;
  const auto targets = plan.targets();
  const std::string_view strategy = plan.route_config ? std::string_view(plan.route_config->strategy) : "failover";

  std::vector<TargetState*> states(targets.size());
  std::vector<TargetUse> uses;  // none of these states is retired while this request runs
  uses.reserve(targets.size());
  std::vector<TargetView> views(targets.size());
  health::PeerBaseline peers;
  for (std::size_t i = 0; i < targets.size(); ++i) {
    states[i] = state_for(targets[i]);
    if (!states[i]) co_return make_error(errc::no_target, "too many distinct provider/model names in use at once; retry shortly");
    uses.emplace_back(states[i]);
    const auto s = states[i]->health->snapshot(started);
    auto best = [](double& slot, double v) { if (v > 0 && (slot == 0 || v < slot)) slot = v; };
    best(peers.best_latency_ms, s.ewma_latency_ms);
    best(peers.best_ttft_ms, s.ewma_ttft_ms);
  }
  for (std::size_t i = 0; i < targets.size(); ++i) {
    views[i] = view_of(*states[i], started, peers);
    views[i].config = targets[i].config;
    if (exclude && std::find(exclude->begin(), exclude->end(), states[i]->provider + '/' + states[i]->model) != exclude->end()) {
      views[i].circuit = resilience::CircuitState::open;  // treated as unusable for this request
    }
  }
  const auto needs = needs_of(request.body);
  const auto order = order_targets(strategy, views, needs, [this] { return std::uniform_real_distribution<double>(0, 1)(rng_); });
  if (order.empty()) {
    bool any_capable = false;
    for (const auto& t : targets) any_capable = any_capable || capable(t.config, needs);
    co_return make_error(errc::no_target, any_capable
        ? "every target of '" + std::string(plan.route) + "' is unavailable (circuit open); retry later"
        : "no target of '" + std::string(plan.route) + "' supports what this request needs (tools, images or context length)");
  }

  std::optional<Error> last;
  TargetState* last_state = nullptr;
  bool tried_one = false;
  // Counts a failed request under the target that failed last.
  auto failed = [&](Error e) -> Error {
    if (last_state) ++last_state->by_status[error::http_status_of(e)];
    return e;
  };
  asio::steady_timer backoff_timer(ex_);
  std::vector<TargetState*> hedged_out;  // tried as a hedge that failed: not tried again
  for (const std::size_t index : order) {
    TargetState& st = *states[index];
    const Target& target = targets[index];
    if (std::find(hedged_out.begin(), hedged_out.end(), &st) != hedged_out.end()) continue;
    if (!st.breaker.allow(Clock::now())) continue;  // its half-open probe is taken, or it just opened
    if (tried_one) ++counters_.failovers;
    tried_one = true;
    for (int n = 0; n < retry.attempts_per_target; ++n) {
      if (n > 0) ++counters_.retries;
      Attempted<T> outcome;
      // Hedging: if this first try has no first token after the delay, start
      // the next target too; the first to succeed wins, the other is cancelled.
      const auto hedge_delay = hedge_delay_for(plan, st);
      TargetState* hedge_state = nullptr;
      const Target* hedge_target = nullptr;
      if (hedge_delay && n == 0) {
        for (auto it = std::find(order.begin(), order.end(), index) + 1; it != order.end(); ++it) {
          if (states[*it] != &st) {
            hedge_state = states[*it];
            hedge_target = &targets[*it];
            break;
          }
        }
      }
      bool hedged = false;  // the hedge ran: a failure of both tries moves on past both targets
      if (hedge_state) {
        using namespace asio::experimental::awaitable_operators;
        // Once the hedge runs, a failure of either try waits for the other:
        // the request moves on only when both have failed. (A failed try is a
        // value, so with a plain race it would end the race and cancel a
        // hedge that was about to answer.)
        enum class Arm { running, failed };
        Arm first_arm = Arm::running, hedge_arm = Arm::running;
        bool hedge_started = false;
        asio::steady_timer first_waits(ex_), hedge_waits(ex_);
        std::optional<Attempted<T>> first_failure;
        auto first = [&]() -> asio::awaitable<Attempted<T>> {
          auto r = co_await recorded<T>(attempt, target, st);
          if (r.value || !hedge_started || hedge_arm == Arm::failed) co_return r;
          first_arm = Arm::failed;
          first_failure = std::move(r);
          first_waits.expires_at(Clock::time_point::max());
          co_await first_waits.async_wait(use_nothrow);  // until the hedge's own outcome ends the race
          co_return std::move(*first_failure);
        };
        auto hedge = [&]() -> asio::awaitable<Attempted<T>> {
          asio::steady_timer timer(ex_, *hedge_delay);
          if (auto [ec] = co_await timer.async_wait(use_nothrow); ec) {  // the first try finished in time
            co_return Attempted<T>{make_error(errc::cancelled, "hedge not needed"), std::nullopt, nullptr};
          }
          if (hedge_state->breaker.allow(Clock::now())) {
            ++counters_.hedges;
            hedge_started = true;
            auto r = co_await recorded<T>(attempt, *hedge_target, *hedge_state);
            if (r.value) co_return r;
            hedge_arm = Arm::failed;
            // Both failed: the first try's error stands (it is the route's first choice).
            if (first_arm == Arm::failed) co_return std::move(*first_failure);
          }
          // A hedge that cannot start or fails never wins the race: wait for the first try.
          hedge_waits.expires_at(Clock::time_point::max());
          co_await hedge_waits.async_wait(use_nothrow);
          co_return Attempted<T>{make_error(errc::cancelled, "hedge abandoned"), std::nullopt, nullptr};
        };
        auto raced = co_await (first() || hedge());
        outcome = raced.index() == 0 ? std::move(std::get<0>(raced)) : std::move(std::get<1>(raced));
        hedged = hedge_started;
      } else {
        outcome = co_await recorded<T>(attempt, target, st);
      }
      if (outcome.value) co_return std::move(outcome.value);
      Error e = outcome.value.error();
      last_state = outcome.state ? outcome.state : &st;
      if (e.code == errc::cancelled) co_return e;
      const auto t1 = Clock::now();
      const auto retry_after = resilience::parse_retry_after(e.retry_after);
      last = std::move(e);
      if (!resilience::is_retryable(*last)) co_return failed(std::move(*last));  // the caller's error: no other target fixes it
      if (hedged) {  // both this target and the hedge failed: on to the targets after both
        hedged_out.push_back(hedge_state);
        break;
      }
      if (n + 1 >= retry.attempts_per_target || st.breaker.state(t1) == resilience::CircuitState::open) break;
      auto wait = resilience::backoff(retry, n, std::uniform_real_distribution<double>(0, 1)(rng_));
      if (retry_after) {
        if (*retry_after > retry.max_retry_after) break;  // too long: another target answers sooner
        wait = std::max(wait, *retry_after);
      }
      if (Clock::now() + wait >= deadline) break;
      if (wait.count() > 0) {
        backoff_timer.expires_after(wait);
        auto [ec] = co_await backoff_timer.async_wait(use_nothrow);
        if (ec) co_return make_error(errc::cancelled, "cancelled");
      }
      if (!st.breaker.allow(Clock::now())) break;
    }
    if (Clock::now() >= deadline) break;
  }
  if (last) co_return failed(std::move(*last));
  co_return make_error(errc::no_target, "every target of '" + std::string(plan.route) + "' is unavailable (circuit open); retry later");
}

asio::awaitable<result<ChatResponse>> Router::chat(const RoutePlan& plan, ChatRequest& request) {
  const Millis stall = plan.route_config ? plan.route_config->stall_timeout : Millis(0);
  co_return co_await run<ChatResponse>(plan, request, [&](const Target& target, TargetState& st) -> asio::awaitable<Attempted<ChatResponse>> {
    auto& client = *clients_[st.provider_index];
    auto r = co_await client.chat_completion(providers::ChatCall{request.body, target.model, request.request_id, stall});
    co_return Attempted<ChatResponse>{std::move(r), std::nullopt};
  });
}

namespace {

// Relays a stream and, when it breaks after bytes went out, continues the
// answer from the next target: the text streamed so far goes back as an
// assistant message, and the continuation's chunks are spliced into the same
// client stream (its role-only opening chunk dropped), so the client sees one
// answer. Without a target left, the break is reported as before.
class ResumingChunkSource final : public ChunkSource {
 public:
  ResumingChunkSource(Router& router, const RoutePlan& plan, boost::json::object body, ChatStream first, std::string request_id,
                      RouterCounters& counters)
      : router_(router), plan_(plan), body_(std::move(body)), current_(std::move(first)), request_id_(std::move(request_id)),
        counters_(counters) {
    exclude_.push_back(current_.provider() + '/' + current_.model());
  }

  asio::awaitable<result<std::optional<std::string_view>>> next() override {
    for (;;) {
      auto r = co_await current_.next();
      if (r) {
        if (*r) {
          if (skip_role_chunk_ && is_role_only(**r)) {
            skip_role_chunk_ = false;
            continue;
          }
          skip_role_chunk_ = false;
          collect(**r);
        }
        co_return r;
      }
      if (r.error().code == errc::cancelled || exclude_.size() >= plan_.targets().size()) co_return r;
      // Continue from another target.
      boost::json::object body = body_;
      auto& messages = body["messages"].as_array();
      messages.push_back(boost::json::object{{"role", "assistant"}, {"content", streamed_}});
      ChatRequest continuation{std::move(body), std::nullopt, request_id_};
      auto resumed = co_await router_.chat_stream_excluding(plan_, continuation, exclude_);
      if (!resumed) co_return r;  // nobody to continue: the original break stands
      ++counters_.resumes;
      exclude_.push_back(resumed->provider() + '/' + resumed->model());
      earlier_ += current_.usage();
      current_ = std::move(*resumed);
      skip_role_chunk_ = true;
    }
  }

  // Every leg's tokens: the broken ones were paid for too.
  Usage usage() const noexcept override {
    Usage u = earlier_;
    u += current_.usage();
    u.reported = current_.usage().reported;
    return u;
  }

 private:
  static bool is_role_only(std::string_view chunk) {
    boost::system::error_code ec;
    auto v = boost::json::parse(chunk, ec);
    if (ec || !v.is_object()) return false;
    const auto* choices = v.as_object().if_contains("choices");
    if (!choices || !choices->is_array() || choices->as_array().empty()) return false;
    const auto* delta = choices->as_array()[0].as_object().if_contains("delta");
    if (!delta || !delta->is_object()) return false;
    const auto* content = delta->as_object().if_contains("content");
    return delta->as_object().contains("role") && (!content || (content->is_string() && content->as_string().empty()));
  }

  // Keeps the text of every content delta, to hand to the next target.
  void collect(std::string_view chunk) {
    boost::system::error_code ec;
    auto v = boost::json::parse(chunk, ec);
    if (ec || !v.is_object()) return;
    const auto* choices = v.as_object().if_contains("choices");
    if (!choices || !choices->is_array()) return;
    for (const auto& c : choices->as_array()) {
      const auto* delta = c.is_object() ? c.as_object().if_contains("delta") : nullptr;
      const auto* content = delta && delta->is_object() ? delta->as_object().if_contains("content") : nullptr;
      if (content && content->is_string()) streamed_ += std::string_view(content->as_string());
    }
  }

  Router& router_;
  RoutePlan plan_;
  boost::json::object body_;
  ChatStream current_;
  std::string request_id_;
  RouterCounters& counters_;
  std::vector<std::string> exclude_;
  std::string streamed_;
  bool skip_role_chunk_ = false;
  Usage earlier_;
};

}  // namespace

asio::awaitable<result<ChatStream>> Router::chat_stream(const RoutePlan& plan, ChatRequest& request) {
  // Resume needs the route's own (stable) names and targets: configured routes only.
  if (plan.route_config && plan.route_config->resume) {
    RoutePlan stable = plan;
    stable.route = plan.route_config->name;
    boost::json::object body(request.body, boost::json::storage_ptr());  // owned copy, outliving the request
    auto first = co_await chat_stream_excluding(stable, request, {});
    if (!first) co_return first.error();
    const std::string provider = first->provider(), model = first->model();
    const auto upstream_time = first->upstream_time();
    co_return ChatStream(std::make_unique<ResumingChunkSource>(*this, stable, std::move(body), std::move(*first),
                                                               request.request_id, counters_),
                         provider, model, upstream_time);
  }
  co_return co_await chat_stream_excluding(plan, request, {});
}

asio::awaitable<result<ChatStream>> Router::chat_stream_excluding(const RoutePlan& plan, ChatRequest& request,
                                                                 const std::vector<std::string>& exclude) {
  const Millis stall = plan.route_config ? plan.route_config->stall_timeout : Millis(0);
  const Millis ttft_timeout = plan.route_config ? plan.route_config->ttft_timeout : Millis(0);
  co_return co_await run<ChatStream>(plan, request, [&](const Target& target, TargetState& st) -> asio::awaitable<Attempted<ChatStream>> {
    using namespace asio::experimental::awaitable_operators;
    auto& client = *clients_[st.provider_index];
    const auto t0 = Clock::now();
    auto first_chunk = [&]() -> asio::awaitable<result<std::pair<std::unique_ptr<ChunkSource>, std::optional<std::string_view>>>> {
      auto source = co_await client.chat_completion_stream(providers::ChatCall{request.body, target.model, request.request_id, stall});
      if (!source) co_return source.error();
      // First-chunk gate: the client's 200 waits for the first chunk, so a
      // provider that fails before it can still be failed over.
      auto first = co_await (*source)->next();
      if (!first) co_return first.error();
      co_return std::make_pair(std::move(*source), *first);
    };
    result<std::pair<std::unique_ptr<ChunkSource>, std::optional<std::string_view>>> got = make_error(errc::internal, "");
    if (ttft_timeout.count() > 0) {
      asio::steady_timer timer(ex_, ttft_timeout);
      auto raced = co_await (first_chunk() || timer.async_wait(use_nothrow));
      if (raced.index() == 1) {
        ++counters_.ttft_timeouts;
        co_return Attempted<ChatStream>{
            make_error(errc::upstream_timeout, "no first token within " + std::to_string(ttft_timeout.count()) + " ms", st.provider),
            std::nullopt};
      }
      got = std::move(std::get<0>(raced));
    } else {
      got = co_await first_chunk();
    }
    if (!got) co_return Attempted<ChatStream>{got.error(), std::nullopt};
    const auto ttft = Clock::now() - t0;
    ChatStream stream(std::make_unique<FirstChunkGate>(std::move(got->first), got->second, &st, target.config, counters_, secrets_), st.provider,
                      st.model, ttft);
    co_return Attempted<ChatStream>{std::move(stream), ms_between(t0, Clock::now())};
  }, exclude.empty() ? nullptr : &exclude);
}

void Router::on_probe(std::size_t provider_index, bool ok) {
  const auto now = Clock::now();
  ++counters_.health_checks;
  if (!ok) ++counters_.health_check_failures;
  for (auto& [key, st] : states_) {
    if (st->provider_index != provider_index) continue;
    if (ok) {
      st->breaker.on_probe_success(now);
    } else {
      st->health->on_failure(now, false, std::nullopt);
      st->breaker.on_failure(now);
    }
  }
}

std::vector<TargetStatus> Router::status() const {
  std::vector<TargetStatus> out;
  const auto now = Clock::now();
  for (const auto& [key, st] : states_) {
    TargetStatus s;
    s.provider = st->provider;
    s.model = st->model;
    s.health = st->health->snapshot(now);
    s.circuit = st->breaker.state(now);
    s.score = health::computeHealthScore(s.health, {}, s.circuit);
    out.push_back(std::move(s));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return std::tie(a.provider, a.model) < std::tie(b.provider, b.model); });
  return out;
}

void Router::write_metrics(observability::PrometheusWriter& out) const {
  const auto now = Clock::now();
  std::vector<const TargetState*> targets;
  for (const auto& [key, st] : states_) targets.push_back(st.get());
  std::vector<const TargetState*> others;
  for (const auto& [i, st] : others_) others.push_back(st.get());
  // Counters include retired ad-hoc targets (model="other"); gauges are for live targets only.
  std::vector<const TargetState*> counted = targets;
  counted.insert(counted.end(), others.begin(), others.end());
  std::sort(targets.begin(), targets.end(), [](auto* a, auto* b) { return std::tie(a->provider, a->model) < std::tie(b->provider, b->model); });

  out.help("switchyard_requests_total", "counter", "Requests by the target that answered last and the status the client got.");
  for (const auto* t : counted) {
    for (const auto& [status, n] : t->by_status) {
      const auto code = std::to_string(status);
      out.sample("switchyard_requests_total", {{"provider", t->provider}, {"model", t->model}, {"status", code}}, static_cast<double>(n));
    }
  }
  out.help("switchyard_route_requests_total", "counter", "Requests by the model (route) the client asked for.");
  for (const auto& [route, n] : route_requests_) out.sample("switchyard_route_requests_total", {{"route", route}}, static_cast<double>(n));
  out.help("switchyard_request_duration_seconds", "histogram", "Non-streamed completions: upstream request to complete answer.");
  for (const auto* t : counted) out.histogram("switchyard_request_duration_seconds", {{"provider", t->provider}, {"model", t->model}}, t->latency);
  out.help("switchyard_time_to_first_token_seconds", "histogram", "Streams: upstream request to first chunk.");
  for (const auto* t : counted) out.histogram("switchyard_time_to_first_token_seconds", {{"provider", t->provider}, {"model", t->model}}, t->ttft);
  out.help("switchyard_tokens_total", "counter", "Tokens by target and kind (prompt includes cached, completion includes reasoning).");
  for (const auto* t : counted) {
    const std::pair<const char*, std::int64_t> kinds[] = {{"prompt", t->tokens.prompt_tokens}, {"completion", t->tokens.completion_tokens},
                                                          {"cached", t->tokens.cached_tokens}, {"reasoning", t->tokens.reasoning_tokens}};
    for (auto [kind, n] : kinds) {
      out.sample("switchyard_tokens_total", {{"provider", t->provider}, {"model", t->model}, {"kind", kind}}, static_cast<double>(n));
    }
  }
  out.help("switchyard_cost_usd_total", "counter", "Spend by target: tokens times the route's input_price / output_price (per million tokens).");
  for (const auto* t : counted) out.sample("switchyard_cost_usd_total", {{"provider", t->provider}, {"model", t->model}}, t->cost_usd);
  out.help("switchyard_circuit_state", "gauge", "0 closed, 1 half-open, 2 open.");
  for (const auto* t : targets) {
    const auto c = t->breaker.state(now);
    out.sample("switchyard_circuit_state", {{"provider", t->provider}, {"model", t->model}},
               c == resilience::CircuitState::closed ? 0 : c == resilience::CircuitState::half_open ? 1 : 2);
  }
  out.help("switchyard_health_score", "gauge", "computeHealthScore in [0, 1].");
  for (const auto* t : targets) {
    const auto snap = t->health->snapshot(now);
    out.sample("switchyard_health_score", {{"provider", t->provider}, {"model", t->model}},
               health::computeHealthScore(snap, {}, t->breaker.state(now)));
  }
  out.help("switchyard_in_flight_requests", "gauge", "Upstream requests in flight.");
  for (const auto* t : targets) {
    out.sample("switchyard_in_flight_requests", {{"provider", t->provider}, {"model", t->model}}, t->health->snapshot(now).in_flight);
  }
  const std::pair<const char*, std::uint64_t> counters[] = {
      {"switchyard_upstream_attempts_total", counters_.attempts}, {"switchyard_retries_total", counters_.retries},
      {"switchyard_failovers_total", counters_.failovers},         {"switchyard_ttft_timeouts_total", counters_.ttft_timeouts},
      {"switchyard_stream_breaks_total", counters_.stream_breaks}, {"switchyard_hedges_total", counters_.hedges},
      {"switchyard_resumes_total", counters_.resumes},
      {"switchyard_health_checks_total", counters_.health_checks},
      {"switchyard_health_check_failures_total", counters_.health_check_failures}};
  for (const auto& [name, value] : counters) {
    out.help(name, "counter", "Router events.");
    out.sample(name, {}, static_cast<double>(value));
  }
}

std::vector<std::string> Router::unhealthy_routes() const {
  std::vector<std::string> out;
  const auto now = Clock::now();
  for (const auto& route : config_.models) {
    bool usable = false;
    for (const auto& t : route.targets) {
      auto it = states_.find(t.provider + '/' + t.model);
      if (it == states_.end()) continue;
      const auto& st = *it->second;
      usable = usable || (st.breaker.state(now) != resilience::CircuitState::open && !st.health->snapshot(now).rate_limited);
    }
    if (!usable) out.push_back(route.name);
  }
  return out;
}

}  // namespace switchyard::routing
