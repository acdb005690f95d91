#pragma once
// Gateway's insides, shared by the files that implement it: gateway.cpp (the
// composition root and the plain paths) and cached_answers.cpp (the paths
// through the response cache). Not part of the public API.
#include <switchyard/gateway.hpp>

#include <boost/asio/any_io_executor.hpp>

#include <random>

#include "auth/key_store.hpp"
#include "cache/response_cache.hpp"
#include "cache/shared_cache.hpp"
#include "governance/governor.hpp"
#include "governance/shared_limiter.hpp"
#include "state/redis_client.hpp"
#include "governance/wall_clock.hpp"
#include "health/health_checker.hpp"
#include "ledger/usage_ledger.hpp"
#include "observability/prometheus.hpp"
#include "providers/connector_registry.hpp"
#include "providers/embeddings.hpp"
#include "providers/server_tools.hpp"
#include "error/error_response.hpp"
#include "routing/route_resolver.hpp"
#include "routing/router.hpp"

namespace switchyard {

namespace asio = boost::asio;

// One configuration's objects: what a reload replaces as a whole. A request
// holds its generation (Prepared::gen, the HTTP front-end's pin) from the
// check of its key to its last byte, so it runs under the configuration it
// started with; the generation goes when its last request does (and with it
// the connection pools of providers the new configuration removed or changed).
struct Generation : std::enable_shared_from_this<Generation> {
  // `previous`: the generation this one replaces (a reload); unchanged
  // providers' clients (their pools) are shared, unchanged targets and keys
  // keep their state (Router, Governor).
  // `quotas`: the declared quotas' shared counters (Redis), or empty.
  Generation(const asio::any_io_executor& ex, Config cfg, const providers::ConnectorRegistry& registry, Generation* previous,
             routing::Router::SharedQuota quotas = {})
      : config(std::move(cfg)), keys(config.keys, this), resolver(config), clients(make_clients(ex, config, registry, previous)),
        router(ex, config, clients, previous ? &previous->router : nullptr), governor(config.keys) {
    governor.set_pricer([this](std::string_view model) { return resolver.priciest(model); });
    if (previous) governor.adopt(previous->governor);
    if (quotas) router.set_shared_quota(std::move(quotas));
  }

  static std::vector<std::shared_ptr<providers::ProviderClient>> make_clients(const asio::any_io_executor& ex, const Config& config,
                                                                              const providers::ConnectorRegistry& registry,
                                                                              const Generation* previous) {
    std::vector<std::shared_ptr<providers::ProviderClient>> out;
    for (const auto& p : config.providers) {
      std::shared_ptr<providers::ProviderClient> kept;
      for (std::size_t i = 0; previous && i < previous->config.providers.size(); ++i) {
        if (previous->config.providers[i] == p) kept = previous->clients[i];
      }
      out.push_back(kept ? std::move(kept) : std::shared_ptr<providers::ProviderClient>(registry.make(ex, p)));
    }
    return out;
  }

  Config config;
  auth::KeyStore keys;
  routing::RouteResolver resolver;
  std::vector<std::shared_ptr<providers::ProviderClient>> clients;  // index = Config::providers index
  routing::Router router;
  governance::Governor governor;
};

struct Gateway::Impl {
  Impl(asio::any_io_executor executor, Config cfg)
      : ex(std::move(executor)), registry(providers::ConnectorRegistry::with_builtins()), state(cfg.state), checker(ex),
        ledger(ex, cfg.usage), cache(ex, cfg.cache, &governance::wall_now_ms) {
    if (state.backend == StateBackend::redis) {
      redis = std::make_unique<state::RedisClient>(ex, std::get<state::RedisEndpoint>(state::parse_redis_url(state.redis_url)));
      shared = std::make_unique<governance::SharedLimiter>(*redis, state.key_prefix, state.redis_timeout);
      redis->start_health_checks(state.health_check_interval, state.health_check_interval);
      std::random_device random;
      for (int i = 0; i < 4; ++i) replica_id += std::to_string(random() % 10000) + (i < 3 ? "-" : "");
    }
    gen = std::make_shared<Generation>(ex, std::move(cfg), registry, nullptr, quota_gate());
    if (redis) {
      if (cache.enabled()) {
        shared_cache = std::make_unique<cache::SharedCache>(ex, *redis, state.key_prefix, state.redis_timeout,
                                                             gen->config.cache.max_bytes / 4);
        cache.set_shared(shared_cache.get());
      }
    }
    watch_health();
    // Today's figures from before a restart (the dashboard's "spend today").
    const auto now = now_ms();
    today_index = now / 86'400'000;
    for (const auto& t : ledger.totals_now(today_index * 86'400'000, now + 1, ledger::GroupBy::day, {})) {
      today.requests += t.requests;
      today.errors += t.errors;
      today.tokens += t.prompt_tokens + t.completion_tokens;
      today.cost_usd += t.cost_usd;
    }
    // A restart forgets neither spend nor what the windows had counted.
    gen->governor.restore([this](governance::Ms from, governance::Ms to) {
      std::map<std::string, governance::Governor::KeyUsage> out;
      for (const auto& t : ledger.totals_now(from, to, ledger::GroupBy::key, {})) {
        // Refused requests took nothing from the windows: an exact window does not count them.
        out[t.group] = governance::Governor::KeyUsage{t.requests - std::min(t.refused, t.requests),
                                                      static_cast<std::uint64_t>(t.prompt_tokens + t.completion_tokens), t.cost_usd};
      }
      return out;
    });
  }

  // Active health checks of the current generation's providers (restarted by a reload).
  void watch_health() {
    for (std::size_t i = 0; i < gen->config.providers.size(); ++i) {
      checker.watch(i, gen->clients[i], gen->config.providers[i].health_check_interval,
                    [g = std::weak_ptr<Generation>(gen)](std::size_t provider, bool ok) {
                      if (auto alive = g.lock()) alive->router.on_probe(provider, ok);
                    });
    }
  }

  // Declared quotas counted in Redis too (null without [state] backend = "redis").
  routing::Router::SharedQuota quota_gate() {
    if (!shared) return {};
    return [this](const ProviderConfig& provider, const TargetConfig* target, std::uint64_t tokens) {
      return shared_quota(provider, target, tokens);
    };
  }
  asio::awaitable<result<std::function<void(std::uint64_t)>>> shared_quota(const ProviderConfig& provider, const TargetConfig* target,
                                                                          std::uint64_t tokens);

  // The generation a key belongs to (the one it was checked against), else the current one.
  Generation& gen_of(const auth::KeyEntry* key) const {
    return key && key->owner ? *const_cast<Generation*>(static_cast<const Generation*>(key->owner)) : *gen;
  }

  // Every request since start and today (UTC), for the dashboard's rates and "spend today".
  struct Totals {
    std::uint64_t requests = 0, errors = 0;
    std::int64_t tokens = 0;
    double cost_usd = 0;
  };
  Totals since_start, today;
  std::int64_t today_index = -1;  // days since the epoch that `today` counts
  void count(const ledger::UsageRow& row) noexcept {
    const std::int64_t day = row.time_ms / 86'400'000;
    if (day != today_index) {
      today = Totals{};
      today_index = day;
    }
    for (Totals* t : {&since_start, &today}) {
      ++t->requests;
      t->errors += row.status >= 400 ? 1 : 0;
      t->tokens += row.prompt_tokens + row.completion_tokens;
      t->cost_usd += row.cost_usd;
    }
  }

  static ledger::Ms now_ms() {
    return governance::wall_now_ms();
  }

  // One ledger row for a request that ended (or was refused).
  void record(const ChatRequest& request, std::string_view route, std::string_view provider, std::string_view model, int status,
              bool stream, const Usage& used, double cost, std::chrono::steady_clock::duration took, double ttft_ms,
              const Error* error, std::chrono::nanoseconds upstream = {}, CacheStatus cached = CacheStatus::none, double saved = 0) {
    ledger::UsageRow row;
    row.time_ms = now_ms();
    row.request_id = request.request_id;
    row.key = request.key ? std::string_view(request.key->name) : std::string_view();
    row.route = route;
    row.provider = provider;
    row.model = model;
    row.status = status;
    row.stream = stream;
    row.prompt_tokens = used.prompt_tokens;
    row.cached_tokens = used.cached_tokens;
    row.cache_write_tokens = used.cache_write_tokens;
    row.completion_tokens = used.completion_tokens;
    row.reasoning_tokens = used.reasoning_tokens;
    row.cost_usd = cost;
    row.latency_ms = std::chrono::duration<double, std::milli>(took).count();
    row.ttft_ms = ttft_ms;
    row.error = error ? std::string_view(error::code_name(*error)) : std::string_view();
    // Streams: until the stream was handed out (its first chunk), not until its end.
    const auto inside = (stream && ttft_ms > 0 ? std::chrono::duration<double, std::micro>(std::chrono::duration<double, std::milli>(ttft_ms))
                                               : std::chrono::duration<double, std::micro>(took)) - std::chrono::duration<double, std::micro>(upstream);
    row.overhead_us = std::max(0.0, inside.count());
    row.cache = to_string(cached);
    row.saved_usd = saved;
    ledger.record(row);
    count(row);
  }

  struct Prepared {
    std::shared_ptr<Generation> gen;  // the configuration the request runs under (the plan views its routes)
    std::string model;  // as the client asked; owns the string the plan views
    routing::RoutePlan plan;
  };

  result<void> prepare(ChatRequest& request, Prepared& out, routing::Operation op = routing::Operation::chat) {
    auto& body = request.body;
    const auto* model = body.if_contains("model");
    if (!model || !model->is_string()) {
      return make_error(errc::invalid_request, "'model' is required and must be a string");
    }
    if (op == routing::Operation::embeddings) {
      if (auto inputs = providers::read_embedding_request(body); !inputs) return inputs.error();
    } else if (const auto* messages = body.if_contains("messages"); !messages || !messages->is_array() || messages->as_array().empty()) {
      return make_error(errc::invalid_request, "'messages' is required and must be a non-empty array");
    }
    if (model->as_string().size() > Gateway::kMaxModelName || model->as_string().empty()) {
      return make_error(errc::invalid_request, "'model' must be 1 to " + std::to_string(Gateway::kMaxModelName) + " bytes long");
    }
    out.model = std::string(model->as_string());
    Generation& g = gen_of(request.key);
    out.gen = g.shared_from_this();
    if (request.key) {
      if (!auth::KeyStore::allows(*request.key, out.model)) {
        return make_error(errc::model_not_allowed, "this key may not use the model '" + out.model + "'");
      }
    } else if (request.api_key) {
      auto key = g.keys.authenticate(*request.api_key);
      if (!key) return key.error();
      if (!auth::KeyStore::allows(**key, out.model)) {
        return make_error(errc::model_not_allowed, "this key may not use the model '" + out.model + "'");
      }
      request.key = *key;
    }
    auto plan = g.resolver.resolve(out.model);
    if (!plan) return plan.error();
    out.plan = *plan;
    if (auto unpriced = unpriced_for_budget(g, request.key, out.plan)) return std::move(*unpriced);
    if (auto refused = server_tools_refused(g, request, out.plan)) return std::move(*refused);
    if (!request.admitted && !shared) {  // an embedder's call: the same limits and budgets as over HTTP (shared: admit_embedded)
      auto admission = g.governor.admit(request.key, request.body);
      if (admission.refused) return std::move(*admission.refused);
      request.admission = std::move(admission.ticket);
      request.admitted = true;
    }
    return {};
  }

  // A key with a budget may not use a "provider/model" (or default-provider) name whose
  // model no route prices: its answers would cost $0 and never reach the budget.
  static std::optional<Error> unpriced_for_budget(const Generation& g, const auth::KeyEntry* key, const routing::RoutePlan& plan) {
    if (!key || plan.route_config || key->index >= g.config.keys.size() || !g.config.keys[key->index].budget) return std::nullopt;
    for (const auto& t : plan.targets()) {
      if (t.priced()) continue;
      return make_error(errc::model_not_allowed,
                        "the key '" + key->name + "' has a budget, and the model '" + std::string(plan.route) +
                            "' has no price in the gateway's configuration (no route lists it with input_price/output_price): "
                            "use a configured model, or ask the operator to price this one");
    }
    return std::nullopt;
  }

  // `server_tools = false` on the route or the key: a request for a tool the provider runs
  // (and bills beyond tokens) is refused before it goes anywhere.
  static std::optional<Error> server_tools_refused(const Generation& g, const ChatRequest& request, const routing::RoutePlan& plan) {
    const bool route_allows = !plan.route_config || plan.route_config->server_tools;
    const KeyConfig* key = request.key && request.key->index < g.config.keys.size() ? &g.config.keys[request.key->index] : nullptr;
    const bool key_allows = !key || key->server_tools;
    if (route_allows && key_allows) return std::nullopt;
    const auto tool = providers::server_tool_in(request.native ? request.native->body : request.body);
    if (tool.empty()) return std::nullopt;
    return make_error(errc::invalid_request, "the tool '" + tool + "' runs at the provider and is not allowed " +
                                                 (route_allows ? "for the key '" + key->name + "'" : "on the model '" + std::string(plan.route) + "'") +
                                                 " (server_tools = false); use function tools, run by the client");
  }

  // An embedder's request with the shared counters: admitted through Redis (prepare() admits it otherwise).
  asio::awaitable<result<void>> admit_embedded(ChatRequest& request);
  asio::awaitable<Admission> admit_shared(const auth::KeyEntry* key, const boost::json::object& body);

  // Anthropic's token count (Gateway::count_tokens records its ledger row); `key_out`: the key an
  // embedder's api_key named, `provider`: the provider asked (none: estimated here).
  asio::awaitable<result<std::string>> count_tokens(ChatRequest request, const auth::KeyEntry*& key_out, std::string& provider);

  // A whole (non-streamed) answer: chat or embeddings, admitted, routed and accounted.
  asio::awaitable<result<ChatResponse>> answer(ChatRequest request, routing::Operation op);

  // The response cache's paths (a route with `cache = true`): a hit, a
  // coalesced follower of an identical request in flight, or the leader of a
  // new fetch (fetch(): inline for a whole answer, in a coroutine of its own for a stream).
  using Clock = std::chrono::steady_clock;
  asio::awaitable<result<ChatResponse>> answer_cached(ChatRequest& request, const Prepared& prepared, const cache::CachePlan& plan,
                                                      Clock::time_point started);
  asio::awaitable<result<ChatStream>> stream_cached(ChatRequest& request, const Prepared& prepared, const cache::CachePlan& plan,
                                                    Clock::time_point started);
  // A stream's fetch runs in a coroutine of its own, so that any of its readers may leave.
  std::shared_ptr<cache::Flight> lead(ChatRequest& request, const Prepared& prepared, const cache::CachePlan& plan, Clock::time_point started);
  asio::awaitable<void> fetch(std::shared_ptr<cache::Flight> flight, ChatRequest request, std::shared_ptr<Generation> gen, std::string model,
                              cache::CachePlan plan, Clock::time_point started);
  // Before a fetch: an answer another replica stored (Redis), taken into the local store.
  asio::awaitable<void> from_shared(const cache::CachePlan& plan);
  // A hit: nothing taken from the key but the request, a ledger row with cost 0 and what it saved.
  void account_hit(ChatRequest& request, const cache::CachePlan& plan, const cache::CachedEntry& entry, bool stream, Clock::time_point started);

  asio::any_io_executor ex;
  providers::ConnectorRegistry registry;
  StateConfig state;  // [state] as started: a reload does not move the shared state elsewhere
  std::shared_ptr<Generation> gen;  // the current configuration: new requests start with it
  health::HealthChecker checker;
  std::uint64_t reloads_ok = 0, reloads_failed = 0;
  // [state] backend = "redis": the connection and the limits counted there (null: memory).
  std::unique_ptr<state::RedisClient> redis;
  std::unique_ptr<governance::SharedLimiter> shared;
  std::string replica_id;  // names this replica's concurrency slots in Redis
  std::uint64_t slot_seq = 0, state_fallbacks = 0, state_denied = 0;
  // Refused requests' ledger rows: the second each key's last one was written (keys are configured: bounded).
  std::unordered_map<std::string, std::int64_t> refused_rows;
  std::uint64_t refused_total = 0, refused_unrecorded = 0;
  ledger::UsageLedger ledger;  // its writer thread stops (and writes what is queued) before the members above go
  // Answers stored and in flight (holds no thread, no reference to the ledger).
  cache::ResponseCache cache;
  // With [state] backend = "redis" and [cache] enabled: stored answers shared by the replicas.
  std::unique_ptr<cache::SharedCache> shared_cache;
  observability::FixedHistogram overhead{0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05};
};

}  // namespace switchyard
