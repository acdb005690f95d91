// The composition root: owns config, keys, routes, provider clients (and so
// their connection pools), and runs a chat request through them.
#include "gateway/gateway_impl.hpp"

#include <boost/json/serialize.hpp>

#include "config/config_diff.hpp"
#include "config/config_loader.hpp"

namespace switchyard {

boost::system::result<Config, std::string> load_config_file(const std::string& path) {
  return config::load_config_file(path, config::process_env());
}


namespace {
// A config built by hand gets the loader's checks too.
Config validated(Config config) {
  if (auto problem = validate(config)) throw std::invalid_argument("invalid config: " + *problem);
  return config;
}
}  // namespace

Gateway::Gateway(asio::any_io_executor executor, Config config)
    : impl_(std::make_unique<Impl>(std::move(executor), validated(std::move(config)))) {}

Gateway::~Gateway() = default;

const Config& Gateway::config() const noexcept { return impl_->gen->config; }

std::shared_ptr<const void> Gateway::pin() const { return impl_->gen; }

const std::string& Gateway::config_hash() const noexcept { return impl_->gen->config.source_hash; }

void Gateway::count_failed_reload() noexcept { ++impl_->reloads_failed; }

boost::system::result<ReloadOutcome, std::string> Gateway::reload(Config config) {
  if (auto problem = validate(config)) {
    ++impl_->reloads_failed;
    return boost::system::result<ReloadOutcome, std::string>(boost::system::in_place_error, "invalid config: " + *problem);
  }
  const auto& running = impl_->gen->config;
  auto d = config::diff(running, config);
  ReloadOutcome out{config.source_hash, std::move(d.changes), std::move(d.needs_restart)};
  try {
    auto next = std::make_shared<Generation>(impl_->ex, config::reloadable_part(running, std::move(config)), impl_->registry, impl_->gen.get(),
                                             impl_->quota_gate());
    // Health checks follow the new providers (their loops hold the clients they probe).
    impl_->checker.restart();
    impl_->gen = std::move(next);  // the old generation goes when its last request does
    impl_->watch_health();
  } catch (const std::exception& e) {  // e.g. a CA file that cannot be read
    ++impl_->reloads_failed;
    return boost::system::result<ReloadOutcome, std::string>(boost::system::in_place_error, std::string("cannot apply the config: ") + e.what());
  }
  ++impl_->reloads_ok;
  return out;
}

std::vector<std::string> Gateway::model_names() const { return impl_->gen->resolver.model_names(); }

result<const auth::KeyEntry*> Gateway::authenticate(std::string_view authorization) const {
  return impl_->gen->keys.authenticate(authorization);
}

std::vector<ProviderStats> Gateway::provider_stats() const {
  std::vector<ProviderStats> out;
  for (const auto& c : impl_->gen->clients) {
    const auto s = c->pool_stats();
    out.push_back(ProviderStats{c->name(), s.opened, s.reused, s.idle, s.active});
  }
  return out;
}

void Gateway::shutdown() noexcept {
  impl_->checker.stop();
  if (impl_->redis) impl_->redis->close();  // its descriptor's wait would keep the io_context running
  for (auto& c : impl_->gen->clients) c->shutdown();
}

Admission Gateway::admit(const auth::KeyEntry* key, const boost::json::object& body) { return impl_->gen_of(key).governor.admit(key, body); }

asio::awaitable<result<ChatResponse>> Gateway::chat(ChatRequest request) {
  return impl_->answer(std::move(request), routing::Operation::chat);
}

asio::awaitable<result<ChatResponse>> Gateway::embeddings(ChatRequest request) {
  return impl_->answer(std::move(request), routing::Operation::embeddings);
}

// A count is a request against the key's limits: it gets a ledger row like any other (no tokens, no cost).
asio::awaitable<result<std::string>> Gateway::count_tokens(ChatRequest request) {
  const auto started = std::chrono::steady_clock::now();
  ChatRequest who{boost::json::object(), std::nullopt, request.request_id, request.key};
  std::string route;
  if (request.native) {
    if (const auto* m = request.native->body.if_contains("model"); m && m->is_string()) route = std::string(m->as_string().subview(0, kMaxModelName));
  }
  std::string provider;
  auto counted = co_await impl_->count_tokens(std::move(request), who.key, provider);
  const auto took = std::chrono::steady_clock::now() - started;
  if (counted) {
    impl_->record(who, route, provider, {}, 200, false, {}, 0, took, 0, nullptr);
  } else {
    const Error& e = counted.error();
    impl_->record(who, route, e.provider.empty() ? std::string_view(provider) : std::string_view(e.provider), {},
                  error::http_status_of(e), false, {}, 0, took, 0, &e);
  }
  co_return counted;
}

asio::awaitable<result<std::string>> Gateway::Impl::count_tokens(ChatRequest request, const auth::KeyEntry*& key_out, std::string& provider) {
  if (!request.native || request.native->api != NativeApi::anthropic_messages) {
    co_return make_error(errc::invalid_request, "count_tokens takes an Anthropic Messages request");
  }
  const auto* model = request.native->body.if_contains("model");
  if (!model || !model->is_string() || model->as_string().empty()) co_return make_error(errc::invalid_request, "'model' is required and must be a string");
  const std::string name(model->as_string());
  const auth::KeyEntry* key = request.key;
  const auto gen = gen_of(key).shared_from_this();
  if (!key && request.api_key) {
    auto k = gen->keys.authenticate(*request.api_key);
    if (!k) co_return k.error();
    key = *k;
    key_out = key;
  }
  if (key && !auth::KeyStore::allows(*key, name)) co_return make_error(errc::model_not_allowed, "this key may not use the model '" + name + "'");
  auto plan = gen->resolver.resolve(name);
  if (!plan) co_return plan.error();
  for (const auto& t : plan->targets()) {
    if (gen->config.providers[t.provider].type != ProviderType::anthropic) continue;
    provider = gen->config.providers[t.provider].name;
    co_return co_await gen->clients[t.provider]->count_tokens(
        providers::ChatCall{request.body, t.model, request.request_id, Millis(0), request.native.get()});
  }
  // No Anthropic target: an estimate from the text (system, messages, tools), ~4 characters a token.
  std::size_t chars = 0;
  const auto& b = request.native->body;
  for (const char* k : {"system", "messages", "tools"}) {
    if (const auto* v = b.if_contains(k)) chars += boost::json::serialize(*v).size();
  }
  co_return "{\"input_tokens\":" + std::to_string(std::max<std::size_t>(1, chars / 4)) + "}";
}

asio::awaitable<result<ChatResponse>> Gateway::Impl::answer(ChatRequest request, routing::Operation op) {
  const auto started = std::chrono::steady_clock::now();
  Prepared prepared;
  auto ok = prepare(request, prepared, op);
  if (ok && shared) ok = co_await admit_embedded(request);
  if (!ok) {
    const Error e = ok.error();
    record(request, prepared.model, e.provider, {}, error::http_status_of(e), false, {}, 0, std::chrono::steady_clock::now() - started, 0, &e);
    co_return e;
  }
  const cache::CachePlan cached = op == routing::Operation::chat ? cache.plan(request, prepared.plan.route_config, prepared.model, false)
                                                                 : cache::CachePlan{};
  if (cached.usable()) co_return co_await answer_cached(request, prepared, cached, started);
  if (cached.status == CacheStatus::bypass) cache.count(cached.route, CacheStatus::bypass);
  auto& router = prepared.gen->router;
  auto routed = op == routing::Operation::embeddings ? router.embeddings(prepared.plan, request) : router.chat(prepared.plan, request);
  auto answer = co_await std::move(routed);
  const auto took = std::chrono::steady_clock::now() - started;
  if (answer) {
    answer->cache = cached.status;
    if (request.admission) request.admission->finish(answer->usage, answer->cost_usd);
    record(request, prepared.model, answer->provider, answer->model, 200, false, answer->usage, answer->cost_usd, took, 0, nullptr,
                  answer->upstream_time, cached.status);
  } else {
    const Error e = answer.error();
    Usage billed;  // a client that left after the provider had the request: its prompt is billed
    billed.prompt_tokens = e.billed_prompt_tokens;
    if (request.admission) request.admission->finish(billed, e.billed_usd);
    record(request, prepared.model, e.provider, {}, error::http_status_of(e), false, billed, e.billed_usd, took, 0, &e);
  }
  co_return answer;
}


asio::awaitable<result<std::vector<UsageTotals>>> Gateway::usage(std::int64_t from_ms, std::int64_t to_ms, std::string group_by, std::string key) {
  const auto group = ledger::parse_group_by(group_by).value_or(ledger::GroupBy::key);
  auto rows = co_await impl_->ledger.totals(from_ms, to_ms, group, std::move(key));
  if (!rows) {
    Error e = make_error(errc::overloaded, "too many usage queries are running; retry shortly");
    e.retry_after = "1";
    co_return e;
  }
  co_return std::move(*rows);
}

boost::json::object Gateway::key_status(const auth::KeyEntry& key) const {
  auto& governor = impl_->gen_of(&key).governor;
  auto out = governor.status(key);
  out["period_start_ms"] = governor.period_start_of(key);
  return out;
}

// Requests refused by a key's limits or budget are counted (switchyard_limit_rejections_total)
// and sampled into the ledger: at most one row a second per key, so a client
// hammering past its limit cannot fill the ledger's queue and push out real rows.
void Gateway::record_refused(const ChatRequest& request, std::string_view route, const Error& e) {
  const std::int64_t second = Impl::now_ms() / 1000;
  auto& last = impl_->refused_rows[request.key ? request.key->name : std::string()];
  ++impl_->refused_total;
  if (last == second) {
    ++impl_->refused_unrecorded;
    return;
  }
  last = second;
  impl_->record(request, route, {}, {}, error::http_status_of(e), false, {}, 0, {}, 0, &e);
}

namespace {
// A stream accounted when it ends (its last byte, a break, or the client
// dropping it): its request's admission is finished with the tokens it used
// and their cost, and its ledger row written.
class AccountedChunkSource final : public ChunkSource {
 public:
  using Finish = std::function<void(const ChatStream&, const Error*)>;
  // `pin`: the configuration the stream runs under, held until the stream is gone.
  AccountedChunkSource(std::shared_ptr<const void> pin, ChatStream inner, Finish finish)
      : pin_(std::move(pin)), inner_(std::move(inner)), finish_(std::move(finish)) {}
  ~AccountedChunkSource() override {
    const Error dropped = make_error(errc::cancelled, "the client left");
    end(&dropped);
  }
  asio::awaitable<Item> next() override {
    if (auto ready = poll()) co_return std::move(*ready);
    auto r = co_await inner_.next();
    co_return after(std::move(r));
  }
  asio::awaitable<void> fill() override { return inner_.fill(); }
  std::optional<Item> poll() override {
    auto r = inner_.poll();
    if (!r) return std::nullopt;
    return after(std::move(*r));
  }
  Usage usage() const noexcept override { return inner_.usage(); }
  double cost_usd() const noexcept override { return inner_.cost_usd(); }

 private:
  Item after(Item r) {
    if (!r) {
      const Error e = r.error();
      end(&e);
    } else if (!*r) {
      end(nullptr);  // the end: counted before the client sees it
    }
    return r;
  }
  void end(const Error* e) {
    if (!finish_) return;
    auto f = std::move(finish_);
    finish_ = nullptr;
    f(inner_, e);
  }
  std::shared_ptr<const void> pin_;  // declared first: released after the stream (which uses its router and targets)
  ChatStream inner_;
  Finish finish_;
};
}  // namespace

asio::awaitable<result<ChatStream>> Gateway::chat_stream(ChatRequest request) {
  const auto started = std::chrono::steady_clock::now();
  Impl::Prepared prepared;
  auto ok = impl_->prepare(request, prepared);
  if (ok && impl_->shared) ok = co_await impl_->admit_embedded(request);
  if (!ok) {
    const Error e = ok.error();
    impl_->record(request, prepared.model, e.provider, {}, error::http_status_of(e), true, {}, 0, std::chrono::steady_clock::now() - started, 0, &e);
    co_return e;
  }
  const auto cached = impl_->cache.plan(request, prepared.plan.route_config, prepared.model, true);
  if (cached.usable()) co_return co_await impl_->stream_cached(request, prepared, cached, started);
  if (cached.status == CacheStatus::bypass) impl_->cache.count(cached.route, CacheStatus::bypass);
  auto stream = co_await prepared.gen->router.chat_stream(prepared.plan, request);
  if (!stream) {
    if (request.admission) request.admission->finish(Usage{}, 0);
    const Error e = stream.error();
    impl_->record(request, prepared.model, e.provider, {}, error::http_status_of(e), true, {}, 0, std::chrono::steady_clock::now() - started, 0, &e);
    co_return stream;
  }
  const std::string provider = stream->provider(), model = stream->model();
  const auto upstream_time = stream->upstream_time();
  const auto handed_out = std::chrono::steady_clock::now();  // the first chunk is here: the time to first token
  auto finish = [impl = impl_.get(), ticket = std::move(request.admission), started, handed_out, route = prepared.model,
                 request_id = request.request_id, key = request.key, status = cached.status](const ChatStream& s, const Error* e) {
    if (ticket) ticket->finish(s.usage(), s.cost_usd());
    ChatRequest who{boost::json::object(), std::nullopt, request_id, key};
    impl->record(who, route, s.provider(), s.model(), e && e->code == errc::cancelled ? 499 : 200, true, s.usage(), s.cost_usd(),
                 std::chrono::steady_clock::now() - started, std::chrono::duration<double, std::milli>(handed_out - started).count(), e,
                 s.upstream_time(), status);
  };
  const bool native = stream->native();
  ChatStream accounted(std::make_unique<AccountedChunkSource>(prepared.gen, std::move(*stream), std::move(finish)), provider, model, upstream_time);
  accounted.set_native(native);
  accounted.set_cache(cached.status);
  co_return accounted;
}

std::vector<TargetHealth> Gateway::target_health() const {
  std::vector<TargetHealth> out;
  for (const auto& s : impl_->gen->router.status()) {
    TargetHealth t;
    t.provider = s.provider;
    t.model = s.model;
    t.score = s.score;
    t.circuit = std::string(resilience::to_string(s.circuit));
    t.requests = s.health.requests;
    t.errors = s.health.errors;
    t.ewma_latency_ms = s.health.ewma_latency_ms;
    t.ewma_ttft_ms = s.health.ewma_ttft_ms;
    t.consecutive_failures = s.health.consecutive_failures;
    t.in_flight = s.health.in_flight;
    t.rate_limited = s.health.rate_limited;
    t.quota_requests = LimitStatus{s.quota_requests.limit, s.quota_requests.remaining, std::chrono::milliseconds(s.quota_requests.reset_ms)};
    t.quota_tokens = LimitStatus{s.quota_tokens.limit, s.quota_tokens.remaining, std::chrono::milliseconds(s.quota_tokens.reset_ms)};
    out.push_back(std::move(t));
  }
  return out;
}

void Gateway::record_overhead(std::chrono::nanoseconds overhead) noexcept {
  impl_->overhead.observe(std::chrono::duration<double>(overhead).count());
}

std::string Gateway::metrics_text() const {
  observability::PrometheusWriter out;
  impl_->gen->router.write_metrics(out);
  impl_->gen->governor.write_metrics(out);
  out.help("switchyard_config_reloads_total", "counter", "Configuration reloads (SIGHUP, POST /admin/reload) by result.");
  out.sample("switchyard_config_reloads_total", {{"result", "ok"}}, static_cast<double>(impl_->reloads_ok));
  out.sample("switchyard_config_reloads_total", {{"result", "error"}}, static_cast<double>(impl_->reloads_failed));
  impl_->cache.write_metrics(out);
  if (impl_->redis) {
    const auto& st = impl_->redis->stats();
    out.help("switchyard_state_backend_up", "gauge", "1 while the shared state (Redis) is connected.");
    out.sample("switchyard_state_backend_up", {{"backend", "redis"}}, impl_->redis->connected() ? 1 : 0);
    out.help("switchyard_state_backend_errors_total", "counter", "Redis commands that failed, timed out or found no connection.");
    out.sample("switchyard_state_backend_errors_total", {{"backend", "redis"}}, static_cast<double>(st.errors + st.timeouts));
    out.help("switchyard_state_fallback_total", "counter", "Admissions decided by this replica's own counters because Redis did not answer in time.");
    out.sample("switchyard_state_fallback_total", {}, static_cast<double>(impl_->state_fallbacks));
    out.help("switchyard_state_denied_total", "counter", "Requests refused with 503 because Redis did not answer (on_redis_error = \"deny\").");
    out.sample("switchyard_state_denied_total", {}, static_cast<double>(impl_->state_denied));
  }
  if (impl_->shared_cache) {
    const auto& s = impl_->shared_cache->stats();
    out.help("switchyard_cache_shared_total", "counter", "The response cache's shared tier (Redis): lookups (hit, miss, error) and stores (store, store_error).");
    const std::pair<const char*, std::uint64_t> results[] = {{"hit", s.hits}, {"miss", s.misses}, {"error", s.errors}, {"store", s.stores}, {"store_error", s.store_errors}};
    for (auto [result, n] : results) out.sample("switchyard_cache_shared_total", {{"result", result}}, static_cast<double>(n));
  }
  out.help("switchyard_ledger_rows_total", "counter", "Usage ledger rows written.");
  out.sample("switchyard_ledger_rows_total", {}, static_cast<double>(impl_->ledger.written()));
  out.help("switchyard_ledger_dropped_total", "counter", "Usage ledger rows dropped because the writer fell behind (the requests were served).");
  out.sample("switchyard_ledger_dropped_total", {}, static_cast<double>(impl_->ledger.dropped()));
  out.help("switchyard_refused_requests_total", "counter", "Requests refused by a key's limits or budget (the ledger keeps one row a second per key of them).");
  out.sample("switchyard_refused_requests_total", {{"ledger", "row"}}, static_cast<double>(impl_->refused_total - impl_->refused_unrecorded));
  out.sample("switchyard_refused_requests_total", {{"ledger", "sampled_out"}}, static_cast<double>(impl_->refused_unrecorded));
  out.help("switchyard_usage_queries_refused_total", "counter", "Usage queries answered 503 because too many were waiting already.");
  out.sample("switchyard_usage_queries_refused_total", {}, static_cast<double>(impl_->ledger.queries_refused()));
  out.help("switchyard_gateway_overhead_seconds", "histogram", "Time inside the gateway per request, excluding the wait on the provider.");
  out.histogram("switchyard_gateway_overhead_seconds", {}, impl_->overhead);
  out.help("switchyard_pool_connections", "gauge", "Upstream connections by state.");
  for (const auto& c : impl_->gen->clients) {
    const auto s = c->pool_stats();
    out.sample("switchyard_pool_connections", {{"provider", c->name()}, {"state", "idle"}}, static_cast<double>(s.idle));
    out.sample("switchyard_pool_connections", {{"provider", c->name()}, {"state", "active"}}, static_cast<double>(s.active));
  }
  out.help("switchyard_pool_connections_opened_total", "counter", "Upstream connections established.");
  for (const auto& c : impl_->gen->clients) out.sample("switchyard_pool_connections_opened_total", {{"provider", c->name()}}, static_cast<double>(c->pool_stats().opened));
  out.help("switchyard_pool_connections_reused_total", "counter", "Requests served on a pooled connection.");
  for (const auto& c : impl_->gen->clients) out.sample("switchyard_pool_connections_reused_total", {{"provider", c->name()}}, static_cast<double>(c->pool_stats().reused));
  return out.text();
}

std::vector<std::string> Gateway::unhealthy_routes() const { return impl_->gen->router.unhealthy_routes(); }

RoutingCounters Gateway::routing_counters() const {
  const auto& c = impl_->gen->router.counters();
  return RoutingCounters{c.requests, c.attempts, c.retries, c.failovers, c.ttft_timeouts, c.stream_breaks, c.hedges, c.resumes};
}

}  // namespace switchyard
