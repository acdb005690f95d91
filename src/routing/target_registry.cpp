#include "routing/target_registry.hpp"

#include "telemetry/genai_names.hpp"
#include "governance/wall_clock.hpp"

#include <algorithm>
#include <chrono>
#include <tuple>

namespace switchyard::routing {

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


}  // namespace

void TargetState::absorb(const TargetState& o) {
  for (const auto& [status, n] : o.by_status) by_status[status] += n;
  latency.merge(o.latency);
  ttft.merge(o.ttft);
  genai_duration.merge(o.genai_duration);
  genai_input_tokens.merge(o.genai_input_tokens);
  genai_output_tokens.merge(o.genai_output_tokens);
  attempts_ok += o.attempts_ok;
  attempts_failed += o.attempts_failed;
  tokens += o.tokens;
  cost_usd += o.cost_usd;
}

double cost_of(const Usage& u, const TargetConfig* prices) noexcept {
  if (!prices) return 0;
  const auto cached = std::max<std::int64_t>(0, u.cached_tokens);
  const auto written = std::max<std::int64_t>(0, u.cache_write_tokens);
  const auto uncached = std::max<std::int64_t>(0, u.prompt_tokens - cached - written);
  return (static_cast<double>(uncached) * prices->input_price +
          static_cast<double>(cached) * prices->cached_input_price.value_or(prices->input_price) +
          static_cast<double>(written) * prices->cache_write_price.value_or(prices->input_price) +
          static_cast<double>(std::max<std::int64_t>(0, u.completion_tokens)) * prices->output_price) / 1e6;
}

void TargetState::account(const Usage& used, const TargetConfig* prices) noexcept {
  if (used.reported) {  // what the provider said (an estimate is not a GenAI token count)
    genai_input_tokens.observe(static_cast<double>(used.prompt_tokens));
    genai_output_tokens.observe(static_cast<double>(used.completion_tokens));
  }
  tokens += used;
  cost_usd += cost_of(used, prices);
}

void QuotaHold::finish(std::uint64_t used_tokens) noexcept {
  if (shared_) {
    auto shared = std::exchange(shared_, nullptr);
    try {
      shared(used_tokens);
    } catch (...) {  // out of memory: the shared slot expires by itself
    }
  }
  if (!provider_ && !target_) return;
  const auto now = static_cast<governance::Ms>(
      governance::wall_now_ms());
  if (!provider_ && !target_) return;
  std::unique_lock<std::mutex> lock;
  if (guard_) lock = std::unique_lock<std::mutex>(*guard_);
  if (provider_) provider_->finish(reserved_, used_tokens, now);
  if (target_) target_->finish(reserved_, used_tokens, now);
  provider_ = target_ = nullptr;
}

std::optional<governance::LimitRefusal> TargetRegistry::quota_refusal(TargetState& st, std::uint64_t tokens, governance::Ms now) {
  std::optional<governance::LimitRefusal> refusal;
  if (now < st.exhausted_until) refusal = governance::LimitRefusal{"the provider reports no quota left", st.exhausted_until - now, true};
  for (auto* q : {st.provider_quota, st.quota.get()}) {
    if (!q) continue;
    auto r = q->check(tokens, now);
    if (r && (!refusal || r->retry_after_ms > refusal->retry_after_ms)) refusal = std::move(r);
  }
  return refusal;
}

result<QuotaHold> TargetRegistry::take_quota(TargetState& st, std::uint64_t tokens, governance::Ms now) {
  if (!st.provider_quota && !st.quota && now >= st.exhausted_until) return QuotaHold{};
  if (auto refusal = quota_refusal(st, tokens, now)) {
    Error e = make_error(errc::quota_exhausted, "the quota of " + st.provider + "/" + st.model + " (" + refusal->limit + ") is used up",
                         st.provider);
    e.retry_after = std::to_string(std::max<governance::Ms>(1, (refusal->retry_after_ms + 999) / 1000));
    return e;
  }
  if (st.provider_quota) st.provider_quota->admit(tokens, now);
  if (st.quota) st.quota->admit(tokens, now);
  return QuotaHold(st.provider_quota, st.quota.get(), tokens, st.guard);
}

void TargetRegistry::learn(std::size_t provider_index, std::string_view model, const providers::QuotaReport& report, governance::Ms now) {
  if (provider_index >= config_.providers.size()) return;
  auto lock = this->lock();
  auto it = states_.find(config_.providers[provider_index].name + '/' + std::string(model));
  if (it == states_.end()) return;
  TargetState& st = *it->second;
  governance::Ms until = 0;
  if (report.requests_remaining && *report.requests_remaining == 0) until = std::max(until, now + std::max<governance::Ms>(report.requests_reset_ms, 1000));
  if (report.tokens_remaining && *report.tokens_remaining == 0) until = std::max(until, now + std::max<governance::Ms>(report.tokens_reset_ms, 1000));
  st.exhausted_until = until;
  if (until > 0) has_quotas_.store(true, std::memory_order_relaxed);  // from now on, selection looks at quotas
}

TargetRegistry::TargetRegistry(const Config& config, TargetRegistry* previous)
    : config_(config), table_(previous ? previous->table_ : std::make_shared<health::HealthTable>()) {
  for (const auto& p : config_.providers) {
    provider_quotas_.push_back(p.limits.any() ? std::make_unique<governance::KeyLimiter>(p.limits) : nullptr);
    if (p.limits.any()) has_quotas_.store(true, std::memory_order_relaxed);
  }
  for (const auto& route : config_.models) {
    for (const auto& t : route.targets) {
      for (std::size_t i = 0; i < config_.providers.size(); ++i) {
        if (config_.providers[i].name == t.provider) state_for(Target{i, t.model, &t});
      }
    }
  }
  if (previous) adopt(*previous);
}

// What a reload keeps of a target: everything a client or an operator would
// see jump otherwise (circuit, counters, histograms, spend, quota counts), as
// long as its provider's settings are the same. (The health slot is shared
// already: same table, same "provider/model".) Requests of the old
// configuration still running report to its copies, not to these.
void TargetRegistry::adopt(TargetRegistry& previous) {
  auto held = previous.lock();  // its requests keep running on the workers
  const auto wall = static_cast<governance::Ms>(governance::wall_now_ms());
  auto same_provider = [&](std::size_t now_index, std::size_t then_index) {
    return now_index < config_.providers.size() && then_index < previous.config_.providers.size() &&
           config_.providers[now_index] == previous.config_.providers[then_index];
  };
  std::map<std::string, std::size_t> before;  // provider name → index in the previous config
  for (std::size_t i = 0; i < previous.config_.providers.size(); ++i) before[previous.config_.providers[i].name] = i;
  for (std::size_t i = 0; i < config_.providers.size(); ++i) {
    auto it = before.find(config_.providers[i].name);
    if (it == before.end()) continue;
    // Quota counts follow the provider's name (its account): a changed quota applies to what was used.
    if (provider_quotas_[i] && previous.provider_quotas_[it->second]) provider_quotas_[i]->carry_from(*previous.provider_quotas_[it->second], wall);
    if (!same_provider(i, it->second)) continue;
    if (auto o = previous.others_.find(it->second); o != previous.others_.end()) other_of(i).absorb(*o->second);
  }
  const bool same_breakers = config_.resilience == previous.config_.resilience;
  for (auto& [key, st] : states_) {
    auto it = previous.states_.find(key);
    if (it == previous.states_.end() || it->second->adhoc) continue;
    TargetState& old = *it->second;
    if (st->quota && old.quota) st->quota->carry_from(*old.quota, wall);
    if (!same_provider(st->provider_index, old.provider_index)) continue;
    if (same_breakers) st->breaker = old.breaker;
    st->absorb(old);
    st->exhausted_until = old.exhausted_until;
  }
}

TargetRegistry::~TargetRegistry() = default;

TargetState* TargetRegistry::state_for(const Target& target) {
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
  auto* slot = table_->slot(provider, target.model);
  if (!slot) return nullptr;  // table full
  auto state = std::make_unique<TargetState>();
  state->guard = &mu_;
  state->provider = provider;
  state->model = std::string(target.model);
  state->provider_index = target.provider;
  state->health = slot;
  state->breaker = resilience::CircuitBreaker(breaker_config(config_.resilience));
  state->provider_quota = provider_quotas_[target.provider].get();
  if (target.config && target.config->limits.any()) {
    state->quota = std::make_unique<governance::KeyLimiter>(target.config->limits);
    has_quotas_.store(true, std::memory_order_relaxed);
  }
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

TargetState& TargetRegistry::other_of(std::size_t provider_index) {
  auto& slot = others_[provider_index];
  if (!slot) {
    slot = std::make_unique<TargetState>();
    slot->guard = &mu_;
    slot->provider = config_.providers[provider_index].name;
    slot->model = "other";
    slot->provider_index = provider_index;
  }
  return *slot;
}

bool TargetRegistry::retire_adhoc() {
  for (auto it = adhoc_lru_.rbegin(); it != adhoc_lru_.rend(); ++it) {
    TargetState* st = *it;
    if (st->users > 0 || st->health->snapshot(std::chrono::steady_clock::now()).in_flight > 0) continue;
    other_of(st->provider_index).absorb(*st);
    adhoc_lru_.erase(std::next(it).base());
    const std::string provider = st->provider, model = st->model;
    states_.erase(provider + '/' + model);  // destroys st
    table_->release(provider, model);
    return true;
  }
  return false;
}

TargetView TargetRegistry::view_of(const TargetState& state, health::TimePoint now, const health::PeerBaseline& peers) {
  TargetView v;
  v.health = state.health->snapshot(now);
  v.circuit = state.breaker.state(now);
  v.score = health::computeHealthScore(v.health, peers, v.circuit);
  return v;
}

void TargetRegistry::on_probe(std::size_t provider_index, bool ok, health::TimePoint now) {
  auto held = lock();
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

std::vector<TargetStatus> TargetRegistry::status() const {
  std::vector<TargetStatus> out;
  const auto now = std::chrono::steady_clock::now();
  auto held = lock();
  for (const auto& [key, st] : states_) {
    TargetStatus s;
    s.provider = st->provider;
    s.model = st->model;
    s.health = st->health->snapshot(now);
    s.circuit = st->breaker.state(now);
    s.score = health::computeHealthScore(s.health, {}, s.circuit);
    for (const auto& [status, n] : st->by_status) (status < 400 ? s.answered : s.failed) += n;
    s.last_error = st->last_error;
    const auto wall = static_cast<governance::Ms>(
        governance::wall_now_ms());
    auto tighter = [](governance::WindowStatus& slot, const governance::WindowStatus& w) {
      if (w.limit > 0 && (slot.limit == 0 || w.remaining < slot.remaining)) slot = w;
    };
    for (auto* q : {st->provider_quota, st->quota.get()}) {
      if (!q) continue;
      tighter(s.quota_requests, q->requests(wall));
      tighter(s.quota_tokens, q->tokens(wall));
    }
    out.push_back(std::move(s));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return std::tie(a.provider, a.model) < std::tie(b.provider, b.model); });
  return out;
}

void TargetRegistry::merge_histograms(observability::FixedHistogram& latency, observability::FixedHistogram& ttft) const {
  auto held = lock();
  for (const auto& [key, st] : states_) {
    latency.merge(st->latency);
    ttft.merge(st->ttft);
  }
  for (const auto& [i, st] : others_) {
    latency.merge(st->latency);
    ttft.merge(st->ttft);
  }
}

void TargetRegistry::for_each(const std::function<void(const TargetState&)>& fn) const {
  auto held = lock();
  for (const auto& [key, st] : states_) fn(*st);
}

std::vector<std::string> TargetRegistry::unhealthy_routes() const {
  std::vector<std::string> out;
  const auto now = std::chrono::steady_clock::now();
  auto held = lock();
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

void TargetRegistry::write_metrics(observability::PrometheusWriter& out) const {
  const auto now = std::chrono::steady_clock::now();
  auto held = lock();
  std::vector<const TargetState*> targets;
  for (const auto& [key, st] : states_) targets.push_back(st.get());
  std::sort(targets.begin(), targets.end(), [](auto* a, auto* b) { return std::tie(a->provider, a->model) < std::tie(b->provider, b->model); });
  // Counters include retired ad-hoc targets (model="other"); gauges are for live targets only.
  std::vector<const TargetState*> counted = targets;
  for (const auto& [i, st] : others_) counted.push_back(st.get());

  out.help("switchyard_requests_total", "counter", "Requests by the target that answered last and the status the client got.");
  for (const auto* t : counted) {
    for (const auto& [status, n] : t->by_status) {
      const auto code = std::to_string(status);
      out.sample("switchyard_requests_total", {{"provider", t->provider}, {"model", t->model}, {"status", code}}, static_cast<double>(n));
    }
  }
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
  out.help("switchyard_circuit_opens_total", "counter", "Times a target's circuit opened (failures seen by every worker count into one breaker).");
  for (const auto* t : targets) out.sample("switchyard_circuit_opens_total", {{"provider", t->provider}, {"model", t->model}}, static_cast<double>(t->breaker.opens()));
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
  // The quota alerts' reading, for Prometheus rules too: the tightest declared quota's share used.
  out.help("switchyard_quota_used_ratio", "gauge", "Share of its tightest declared quota (requests or tokens) a target has used in the current window.");
  const auto wall = static_cast<governance::Ms>(governance::wall_now_ms());
  for (const auto* t : targets) {
    double used = -1;
    for (auto* q : {t->provider_quota, t->quota.get()}) {
      if (!q) continue;
      for (const auto& w : {q->requests(wall), q->tokens(wall)}) {
        if (w.limit > 0) used = std::max(used, 1.0 - static_cast<double>(w.remaining) / static_cast<double>(w.limit));
      }
    }
    if (used >= 0) out.sample("switchyard_quota_used_ratio", {{"provider", t->provider}, {"model", t->model}}, used);
  }
  write_genai_metrics(out, counted);
}

// The OpenTelemetry GenAI client metrics, under their Prometheus names (dots as underscores, the unit as a suffix).
void TargetRegistry::write_genai_metrics(observability::PrometheusWriter& out, const std::vector<const TargetState*>& counted) const {
  auto system = [this](const TargetState* t) {
    return t->provider_index < config_.providers.size() ? telemetry::genai_provider_name(config_.providers[t->provider_index].type) : std::string_view("_OTHER");
  };
  out.help("gen_ai_client_operation_duration_seconds", "histogram", "GenAI: an answer's duration per target (a stream: until its end), in seconds.");
  for (const auto* t : counted) {
    out.histogram("gen_ai_client_operation_duration_seconds",
                  {{"gen_ai_provider_name", system(t)}, {"gen_ai_request_model", t->model}, {"switchyard_provider", t->provider}}, t->genai_duration);
  }
  out.help("gen_ai_client_token_usage", "histogram", "GenAI: tokens per answer as the provider reported them, by gen_ai_token_type (input, output).");
  for (const auto* t : counted) {
    for (auto [type, h] : {std::pair{"input", &t->genai_input_tokens}, {"output", &t->genai_output_tokens}}) {
      out.histogram("gen_ai_client_token_usage",
                    {{"gen_ai_provider_name", system(t)}, {"gen_ai_request_model", t->model}, {"gen_ai_token_type", type}, {"switchyard_provider", t->provider}},
                    *h);
    }
  }
}

}  // namespace switchyard::routing
