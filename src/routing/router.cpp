#include "routing/router.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>

#include <boost/json.hpp>

#include "error/error_response.hpp"
#include "providers/bedrock_invoke.hpp"
#include "providers/vertex_client.hpp"
#include "providers/upstream_error.hpp"
#include "resilience/retry_policy.hpp"
#include "routing/first_chunk_gate.hpp"
#include "routing/resuming_chunk_source.hpp"
#include "routing/target_selection.hpp"
#include "upstream/endpoint.hpp"
#include "governance/governor.hpp"
#include "governance/wall_clock.hpp"

#include <chrono>

namespace switchyard::routing {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;
constexpr auto use_nothrow = asio::as_tuple(asio::use_awaitable);

namespace {

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

// The plan's breaker questions, answered by this request's target states.
class StateGate final : public resilience::TargetGate {
 public:
  explicit StateGate(const std::vector<TargetState*>& states) : states_(states) {}
  bool allow(std::size_t t, Clock::time_point now) override {
    auto held = lock_state(*states_[t]);
    return states_[t]->breaker.allow(now);
  }
  bool is_open(std::size_t t, Clock::time_point now) const override {
    auto held = lock_state(*states_[t]);
    return states_[t]->breaker.state(now) == resilience::CircuitState::open;
  }

 private:
  const std::vector<TargetState*>& states_;
};

using FirstChunk = std::pair<std::unique_ptr<ChunkSource>, std::optional<std::string_view>>;

}  // namespace

Router::Router(asio::any_io_executor ex, const Config& config, std::vector<std::shared_ptr<providers::ProviderClient>>& clients,
               TargetRegistry& targets, std::shared_ptr<RouterTally> tally)
    : ex_(std::move(ex)), config_(config), clients_(clients), registry_(targets), rng_(std::random_device{}()),
      tally_(tally ? std::move(tally) : std::make_shared<RouterTally>()), counters_(tally_->live()) {
  // What providers' headers say of their quota feeds the targets' states.
  // (Through a token: a client may outlive this router, e.g. when a test builds another.)
  alive_ = std::make_shared<Router*>(this);
  for (std::size_t i = 0; i < clients_.size(); ++i) {
    clients_[i]->observe_quota([alive = std::weak_ptr<Router*>(alive_), i](std::string_view model, const providers::QuotaReport& report) {
      const auto self = alive.lock();
      if (!self) return;
      const auto wall = governance::wall_now_ms();
      (*self)->registry_.learn(i, model, report, wall);
    });
  }
  for (const auto& p : config_.providers) {
    auto ep = upstream::parse_endpoint(p.base_url);
    servers_.emplace_back(ep ? ep->host : std::string(), ep ? std::strtoll(ep->port.c_str(), nullptr, 10) : 0);
    if (!p.api_key.empty()) secrets_.push_back(p.api_key);
    if (!p.ad_token.empty()) secrets_.push_back(p.ad_token);
    for (const auto& k : p.keys) secrets_.push_back(k.key);
    for (const auto* v : {&p.secret_access_key, &p.session_token, &p.access_token}) {
      if (!v->empty()) secrets_.push_back(*v);
    }
    for (const auto& [name, value] : p.headers) {
      if (value.size() >= 8) secrets_.push_back(value);
    }
  }
}

Router::Router(asio::any_io_executor ex, const Config& config, std::vector<std::shared_ptr<providers::ProviderClient>>& clients)
    : Router(std::move(ex), config, clients, std::make_unique<TargetRegistry>(config)) {}

Router::Router(asio::any_io_executor ex, const Config& config, std::vector<std::shared_ptr<providers::ProviderClient>>& clients,
               std::unique_ptr<TargetRegistry> owned)
    : Router(std::move(ex), config, clients, *owned, nullptr) {
  owned_ = std::move(owned);  // kept alive with the router (the delegated constructor only references it)
}

Router::~Router() = default;

// One try on one target, with its bookkeeping: in-flight count, health
// sample, breaker outcome and histograms. A cancelled try (client gone, lost
// hedge race) records nothing and gives back a half-open probe slot.
AttemptTrace Router::trace_attempt(const Target& target, const TargetState& st, const RunContext& run) const {
  AttemptTrace at;
  at.traceparent = run.plan.traceparent;
  if (!run.plan.trace) return at;
  at.trace = run.plan.trace;
  const auto& server = servers_[st.provider_index];
  at.span = begin_attempt_span(*at.trace, AttemptStart{config_.providers[st.provider_index], target.model, run.plan.route, run.request.body,
                                                      run.op == Operation::embeddings, run.stream, native_for(run.plan, run.request, st),
                                                      server.first, server.second});
  at.own_traceparent = at.trace->traceparent(at.span);
  at.traceparent = at.own_traceparent;
  return at;
}

template <class T>
void Router::end_attempt(AttemptTrace& at, const Attempted<T>& outcome, resilience::CircuitState before, resilience::CircuitState after) {
  if (!at.trace) return;
  telemetry::Span& span = at.trace->attempt(at.span);
  if (before != after) {
    span.events.push_back(telemetry::SpanEvent{telemetry::wall_now_ns(), "circuit_breaker",
                                               {{"switchyard.breaker.from", std::string(resilience::to_string(before))},
                                                {"switchyard.breaker.to", std::string(resilience::to_string(after))}}});
  }
  if (!outcome.value) {
    error_attributes(span, outcome.value.error());
  } else if constexpr (std::is_same_v<T, ChatResponse>) {
    answer_attributes(span, *outcome.value);
  } else {
    at.trace->hold(at.span);  // a stream: its usage and finish reasons come with its end
    return;
  }
  at.trace->end_attempt(at.span, telemetry::wall_now_ns());
}

template <class T, class Attempt>
asio::awaitable<Attempted<T>> Router::recorded(Attempt& attempt, const Target& target, TargetState& st, std::uint64_t tokens,
                                               const RunContext& run) {
  // The target's and its provider's declared quotas: taken for the attempt, reconciled when it ends.
  QuotaHold quota;
  auto held = lock_state(st);
  if (st.quota || st.provider_quota || st.exhausted_until > 0) {
    const auto wall = static_cast<governance::Ms>(governance::wall_now_ms());
    auto taken = TargetRegistry::take_quota(st, tokens, wall);
    held.unlock();
    if (!taken) co_return Attempted<T>{taken.error(), std::nullopt, &st};
    quota = std::move(*taken);
    if (quota_gate_ && (st.quota || st.provider_quota)) {
      auto shared = co_await quota_gate_->take(config_.providers[st.provider_index], target.config, tokens);
      if (!shared) co_return Attempted<T>{shared.error(), std::nullopt, &st};  // `quota` goes: nothing used here
      quota.share(std::move(*shared));
    }
  }
  if (held.owns_lock()) held.unlock();
  ++counters_.attempts;
  st.health->on_start();
  struct Finish {
    TargetState& st;
    bool outcome = false;
    ~Finish() {
      st.health->on_finish();
      if (outcome) return;
      auto held = lock_state(st);
      st.breaker.release_probe();
    }
  } finish{st};
  AttemptTrace at = trace_attempt(target, st, run);
  const auto t0 = Clock::now();
  Attempted<T> outcome = co_await attempt(target, st, quota, at);
  const auto t1 = Clock::now();
  outcome.state = &st;
  if (!outcome.value) outcome.value = providers::redacted(outcome.value.error(), secrets_);
  resilience::CircuitState before{}, after{};
  if (outcome.value) {
    finish.outcome = true;
    st.health->on_success(t1, ms_between(t0, t1), outcome.ttft_ms);
    held.lock();
    before = st.breaker.state(t1), st.breaker.on_success(t1), after = st.breaker.state(t1);
    ++st.by_status[200];
    ++st.attempts_ok;
    if constexpr (std::is_same_v<T, ChatResponse>) st.account(outcome.value->usage, target.prices());
    held.unlock();
    if constexpr (std::is_same_v<T, ChatResponse>) {
      outcome.value->cost_usd = cost_of(outcome.value->usage, target.prices());
      quota.finish(static_cast<std::uint64_t>(std::max<std::int64_t>(0, outcome.value->usage.total())));
    }
    if (outcome.ttft_ms) st.ttft.observe(*outcome.ttft_ms / 1000.0);
    else st.latency.observe(ms_between(t0, t1) / 1000.0);
    if constexpr (std::is_same_v<T, ChatResponse>) st.genai_duration.observe(ms_between(t0, t1) / 1000.0);  // a stream's: at its end
    end_attempt(at, outcome, before, after);
    co_return outcome;
  }
  const Error& e = outcome.value.error();
  if (e.code != errc::cancelled) {
    tally_->count_failure(error::code_name(e));
    auto message = std::string(error::code_name(e)) + ": " + e.message.substr(0, 200);
    held.lock();
    st.last_error = std::move(message);
    held.unlock();
  }
  if (e.code != errc::cancelled && resilience::counts_against_target(e)) {
    finish.outcome = true;
    const auto retry_after = resilience::parse_retry_after(e.retry_after);
    const bool rate_limit = e.upstream_status == 429;
    std::optional<double> avoid_ms;
    if (rate_limit) avoid_ms = retry_after ? static_cast<double>(retry_after->count()) : 1000.0;
    st.health->on_failure(t1, rate_limit, avoid_ms);
    held.lock();
    before = st.breaker.state(t1), st.breaker.on_failure(t1), after = st.breaker.state(t1);
    ++st.attempts_failed;
    held.unlock();
  }
  end_attempt(at, outcome, before, after);
  co_return outcome;
}

// A first try raced with a hedge on the next target, started once the try
// has no answer after the plan's delay (and the hedge's breaker allows it).
// The first success wins and cancels the other. Once the hedge runs, a
// failure of either arm waits for the other: a failed try is a value, so
// with a plain race it would end the race and cancel a hedge that was about
// to answer. Both failed: the first try's error stands (the route's first choice).
template <class T, class Attempt>
asio::awaitable<Attempted<T>> Router::hedged(Attempt& attempt, std::span<const Target> targets, const Selection& sel,
                                             const resilience::PlanStep& step, resilience::AttemptPlan& plan, const RunContext& run) {
  using namespace asio::experimental::awaitable_operators;
  const Target& target = targets[step.target];
  TargetState& st = *sel.states[step.target];
  const Target& hedge_target = targets[*step.hedge];
  TargetState& hedge_state = *sel.states[*step.hedge];
  enum class Arm { running, failed };
  Arm first_arm = Arm::running, hedge_arm = Arm::running;
  bool hedge_started = false;
  asio::steady_timer first_waits(ex_), hedge_waits(ex_);
  std::optional<Attempted<T>> first_failure;
  auto first = [&]() -> asio::awaitable<Attempted<T>> {
    auto r = co_await recorded<T>(attempt, target, st, sel.tokens, run);
    if (r.value || !hedge_started || hedge_arm == Arm::failed) co_return r;
    first_arm = Arm::failed;
    first_failure = std::move(r);
    first_waits.expires_at(Clock::time_point::max());
    co_await first_waits.async_wait(use_nothrow);  // until the hedge's own outcome ends the race
    co_return std::move(*first_failure);
  };
  auto hedge = [&]() -> asio::awaitable<Attempted<T>> {
    asio::steady_timer timer(ex_, step.hedge_after);
    if (auto [ec] = co_await timer.async_wait(use_nothrow); ec) {  // the first try finished in time
      co_return Attempted<T>{make_error(errc::cancelled, "hedge not needed"), std::nullopt, nullptr};
    }
    if (plan.start_hedge(Clock::now())) {
      ++counters_.hedges;
      hedge_started = true;
      if (run.plan.trace) run.plan.trace->event("hedge", {{"switchyard.target", hedge_state.provider + "/" + hedge_state.model}});
      auto r = co_await recorded<T>(attempt, hedge_target, hedge_state, sel.tokens, run);
      if (r.value) co_return r;
      hedge_arm = Arm::failed;
      if (first_arm == Arm::failed) co_return std::move(*first_failure);
    }
    // A hedge that cannot start or fails never wins the race: wait for the first try.
    hedge_waits.expires_at(Clock::time_point::max());
    co_await hedge_waits.async_wait(use_nothrow);
    co_return Attempted<T>{make_error(errc::cancelled, "hedge abandoned"), std::nullopt, nullptr};
  };
  auto raced = co_await (first() || hedge());
  if (raced.index() == 0) co_return std::move(std::get<0>(raced));
  co_return std::move(std::get<1>(raced));
}

// A whole answer whose provider reported no usage (a passthrough answer with
// `usage: null`): charged the prompt as estimated, never $0.
void Router::charge_unreported(ChatResponse& answer, const boost::json::object& body, std::span<const Target> targets, const Selection& sel,
                               TargetState* answered) {
  if (answer.usage.reported) return;
  const auto estimate = static_cast<std::int64_t>(governance::estimate_prompt_tokens(body));
  if (estimate <= answer.usage.prompt_tokens) return;
  const Target* target = nullptr;
  for (std::size_t i = 0; i < targets.size() && !target; ++i) {
    if (sel.states[i] == answered) target = &targets[i];
  }
  Usage extra;
  extra.prompt_tokens = estimate - answer.usage.prompt_tokens;
  answer.usage.prompt_tokens = estimate;
  if (!target) return;
  answer.cost_usd = cost_of(answer.usage, target->prices());
  if (!answered) return;
  auto held = lock_state(*answered);
  answered->account(extra, target->prices());
}

// Carries out the attempt plan: each step is a try (maybe hedged) or a wait.
template <class T, class Attempt>
asio::awaitable<result<T>> Router::run(const RoutePlan& plan, ChatRequest& request, Attempt attempt,
                                       const std::vector<std::string>* exclude, Operation op) {
  RouteCounters* route = tally_->count_request(plan.route, plan.route_config != nullptr);
  const auto started = Clock::now();
  Selection sel;
  if (auto ok = select_targets(registry_, plan, request.body, op, exclude, [this] { return std::uniform_real_distribution<double>(0, 1)(rng_); }, sel);
      !ok) {
    if (ok.error().code == errc::no_target) tally_->count_failure(error::code_name(ok.error()));  // the no_target alerts' count
    co_return ok.error();
  }
  const auto targets = plan.targets();
  const auto retry = retry_config(config_.resilience);
  StateGate gate(sel.states);
  resilience::AttemptPlan steps(std::move(sel.order), retry, started + retry.budget, gate,
                                [this] { return std::uniform_real_distribution<double>(0, 1)(rng_); });
  asio::steady_timer backoff(ex_);
  const RunContext ctx{plan, request, op, std::is_same_v<T, ChatStream>};
  TargetState* last_state = nullptr;
  const Target* last_target = nullptr;
  for (;;) {
    const auto step = steps.next(Clock::now());
    if (step.kind == resilience::PlanStep::Kind::done) break;
    if (step.kind == resilience::PlanStep::Kind::wait) {
      backoff.expires_after(step.wait);
      if (auto [ec] = co_await backoff.async_wait(use_nothrow); ec) co_return make_error(errc::cancelled, "cancelled");
      continue;
    }
    if (step.retry) ++counters_.retries;
    if (step.failover) ++counters_.failovers, ++route->failovers;
    if (step.failover && plan.failovers) ++*plan.failovers;
    if (plan.trace && (step.retry || step.failover)) {
      const TargetState& next = *sel.states[step.target];
      plan.trace->event(step.failover ? "failover" : "retry", {{"switchyard.target", next.provider + "/" + next.model}});
    }
    Attempted<T> outcome;
    const auto hedges_before = counters_.hedges;
    last_target = &targets[step.target];
    if (step.hedge) outcome = co_await hedged<T>(attempt, targets, sel, step, steps, ctx);
    else outcome = co_await recorded<T>(attempt, targets[step.target], *sel.states[step.target], sel.tokens, ctx);
    route->hedges += counters_.hedges - hedges_before;
    if (outcome.value) {
      if constexpr (std::is_same_v<T, ChatResponse>) charge_unreported(*outcome.value, request.body, targets, sel, outcome.state);
      co_return std::move(outcome.value);
    }
    last_state = outcome.state ? outcome.state : sel.states[step.target];
    steps.failed(Clock::now(), std::move(outcome.value).error());
  }
  auto& failure = steps.error();
  if (!failure) {
    Error none = make_error(errc::no_target, "every target of '" + std::string(plan.route) + "' is unavailable (circuit open); retry later");
    tally_->count_failure(error::code_name(none));
    co_return none;
  }
  // Counted under the target that failed last (a client that left is not an answer).
  if (failure->code != errc::cancelled && last_state) {
    auto held = lock_state(*last_state);
    ++last_state->by_status[error::http_status_of(*failure)];
  }
  // A whole request whose client left while a provider had it: the provider bills the prompt
  // (and whatever it generates); the key is charged the prompt, as estimated, never nothing.
  if constexpr (std::is_same_v<T, ChatResponse>) {
    if (failure->code == errc::cancelled && last_target && last_state) {
      Usage billed;
      billed.prompt_tokens = static_cast<std::int64_t>(governance::estimate_prompt_tokens(request.body));
      failure->billed_prompt_tokens = billed.prompt_tokens;
      failure->billed_usd = cost_of(billed, last_target->prices());
      auto held = lock_state(*last_state);
      last_state->account(billed, last_target->prices());
    }
  }
  co_return std::move(*failure);
}

// The client's own request for a target whose provider speaks its API (not on
// resuming routes: a resumed stream's legs are spliced as OpenAI chunks).
const NativeRequest* Router::native_for(const RoutePlan& plan, const ChatRequest& request, const TargetState& st) const {
  if (!request.native || (plan.route_config && plan.route_config->resume)) return nullptr;
  const auto& p = config_.providers[st.provider_index];
  bool speaks = false;
  switch (request.native->api) {
    case NativeApi::anthropic_messages:
      speaks = p.type == ProviderType::anthropic || (p.type == ProviderType::bedrock && providers::bedrock_anthropic_model(st.model)) ||
               (p.type == ProviderType::vertex && providers::vertex_anthropic_model(st.model));
      break;
    case NativeApi::openai_responses: speaks = (p.type == ProviderType::openai || p.type == ProviderType::azure) && p.responses; break;
    case NativeApi::gemini_generate:
      speaks = p.type == ProviderType::gemini || (p.type == ProviderType::vertex && !providers::vertex_anthropic_model(st.model));
      break;
  }
  return speaks ? request.native.get() : nullptr;
}

asio::awaitable<result<ChatResponse>> Router::chat(const RoutePlan& plan, ChatRequest& request) {
  const Millis stall = plan.route_config ? plan.route_config->stall_timeout : Millis(0);
  co_return co_await run<ChatResponse>(plan, request, [&](const Target& target, TargetState& st, QuotaHold&, const AttemptTrace& at) -> asio::awaitable<Attempted<ChatResponse>> {
    auto& client = *clients_[st.provider_index];
    const auto* native = native_for(plan, request, st);
    auto r = co_await client.chat_completion(providers::ChatCall{request.body, target.model, request.request_id, stall, native, at.traceparent});
    if (r) r->native = native != nullptr;
    co_return Attempted<ChatResponse>{std::move(r), std::nullopt};
  });
}

asio::awaitable<result<ChatResponse>> Router::embeddings(const RoutePlan& plan, ChatRequest& request) {
  co_return co_await run<ChatResponse>(plan, request, [&](const Target& target, TargetState& st, QuotaHold&, const AttemptTrace& at) -> asio::awaitable<Attempted<ChatResponse>> {
    auto& client = *clients_[st.provider_index];
    auto r = co_await client.embeddings(providers::ChatCall{request.body, target.model, request.request_id, Millis(0), nullptr, at.traceparent});
    co_return Attempted<ChatResponse>{std::move(r), std::nullopt};
  }, nullptr, Operation::embeddings);
}

asio::awaitable<result<ChatStream>> Router::chat_stream(const RoutePlan& plan, ChatRequest& request) {
  // Resume needs the route's own (stable) names and targets: configured routes only.
  if (!plan.route_config || !plan.route_config->resume) co_return co_await chat_stream_excluding(plan, request, {});
  RoutePlan stable = plan;
  stable.route = plan.route_config->name;
  boost::json::object body(request.body, boost::json::storage_ptr());  // owned copy, outliving the request
  auto first = co_await chat_stream_excluding(stable, request, {});
  if (!first) co_return first.error();
  const std::string provider = first->provider(), model = first->model();
  const auto upstream_time = first->upstream_time();
  auto resume = [this, stable](ChatRequest& continuation, const std::vector<std::string>& exclude) -> asio::awaitable<result<ChatStream>> {
    if (stable.trace) stable.trace->event("resume", {{"switchyard.excluded", static_cast<std::int64_t>(exclude.size())}});
    auto resumed = co_await chat_stream_excluding(stable, continuation, exclude);
    if (resumed) {
      tally_->count_resume(stable.route);
    }
    co_return resumed;
  };
  co_return ChatStream(std::make_unique<ResumingChunkSource>(std::move(resume), stable.targets().size(), std::move(body),
                                                             std::move(*first), request.request_id),
                       provider, model, upstream_time);
}

// Opens a stream and waits for its first chunk, within the TTFT timeout.
asio::awaitable<result<FirstChunk>> Router::first_chunk(const Target& target, TargetState& st, ChatRequest& request, Millis stall,
                                                        Millis ttft_timeout, const NativeRequest* native, std::string_view traceparent) {
  using namespace asio::experimental::awaitable_operators;
  auto& client = *clients_[st.provider_index];
  auto open = [&]() -> asio::awaitable<result<FirstChunk>> {
    auto source = co_await client.chat_completion_stream(providers::ChatCall{request.body, target.model, request.request_id, stall, native, traceparent});
    if (!source) co_return source.error();
    auto first = co_await (*source)->next();
    if (!first) co_return first.error();
    co_return std::make_pair(std::move(*source), *first);
  };
  if (ttft_timeout.count() <= 0) co_return co_await open();
  asio::steady_timer timer(ex_, ttft_timeout);
  auto raced = co_await (open() || timer.async_wait(use_nothrow));
  if (raced.index() == 0) co_return std::move(std::get<0>(raced));
  ++counters_.ttft_timeouts;
  co_return make_error(errc::first_token_timeout, "no first token within " + std::to_string(ttft_timeout.count()) + " ms", st.provider);
}

asio::awaitable<result<ChatStream>> Router::chat_stream_excluding(const RoutePlan& plan, ChatRequest& request,
                                                                 const std::vector<std::string>& exclude) {
  const Millis stall = plan.route_config ? plan.route_config->stall_timeout : Millis(0);
  const Millis ttft_timeout = plan.route_config ? plan.route_config->ttft_timeout : Millis(0);
  co_return co_await run<ChatStream>(plan, request, [&](const Target& target, TargetState& st, QuotaHold& quota, const AttemptTrace& at) -> asio::awaitable<Attempted<ChatStream>> {
    // The client's 200 waits for the first chunk, so a provider that fails before it can still be failed over.
    const auto t0 = Clock::now();
    const auto* native = native_for(plan, request, st);
    auto got = co_await first_chunk(target, st, request, stall, ttft_timeout, native, at.traceparent);
    if (!got) co_return Attempted<ChatStream>{got.error(), std::nullopt};
    const auto ttft = Clock::now() - t0;
    if (at.trace && got->second) first_chunk_attributes(at.trace->attempt(at.span), *got->second, ms_between(t0, Clock::now()));
    const auto prompt = static_cast<std::int64_t>(governance::estimate_prompt_tokens(request.body));
    ChatStream stream(std::make_unique<FirstChunkGate>(std::move(got->first), got->second, &st, target.prices(), counters_.stream_breaks, secrets_,
                                                       std::move(quota), prompt, t0),
                      st.provider, st.model, ttft);
    stream.set_native(native != nullptr);
    co_return Attempted<ChatStream>{std::move(stream), ms_between(t0, Clock::now())};
  }, exclude.empty() ? nullptr : &exclude);
}

void Router::on_probe(std::size_t provider_index, bool ok) {
  ++counters_.health_checks;
  if (!ok) ++counters_.health_check_failures;
  registry_.on_probe(provider_index, ok, Clock::now());
}

}  // namespace switchyard::routing
