// Gateway's views: what /metrics, /health, /v1/models, /v1/providers and
// /v1/usage show, read from the current generation and the pipeline's stages.
#include "gateway/gateway_impl.hpp"

namespace switchyard {

std::vector<std::string> Gateway::model_names() const { return impl_->pipeline.current().resolver.model_names(); }

std::vector<ProviderStats> Gateway::provider_stats() const {
  std::vector<ProviderStats> out;
  for (const auto& c : impl_->pipeline.current().clients) {
    const auto s = c->pool_stats();
    out.push_back(ProviderStats{c->name(), s.opened, s.reused, s.idle, s.active});
  }
  return out;
}

GatewayHealth Gateway::health() const {
  const Impl& impl = *impl_;
  const pipeline::Generation& g = impl.pipeline.current();
  GatewayHealth out;
  out.config_hash = g.config.source_hash;
  out.unhealthy_routes = g.router.unhealthy_routes();
  if (impl.redis && !impl.redis->healthy() && impl.redis->stats().commands > 0) {
    out.state_problem = "the shared state (Redis) is unreachable, limits are counted per replica: " + impl.redis->last_error();
  }
  const auto& c = g.router.counters();
  out.routing = RoutingCounters{c.requests, c.attempts, c.retries, c.failovers, c.ttft_timeouts, c.stream_breaks, c.hedges, c.resumes};
  return out;
}

boost::json::object Gateway::key_status(const auth::KeyEntry& key) const {
  auto& governor = pipeline::Generation::of(key).governor;
  auto out = governor.status(key);
  out["period_start_ms"] = governor.period_start_of(key);
  return out;
}

std::vector<TargetHealth> Gateway::target_health() const {
  std::vector<TargetHealth> out;
  for (const auto& s : impl_->pipeline.current().router.status()) {
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

std::string Gateway::metrics_text() const {
  observability::PrometheusWriter out;
  const pipeline::Generation& g = impl_->pipeline.current();
  g.router.write_metrics(out);
  g.governor.write_metrics(out);
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
    out.sample("switchyard_state_fallback_total", {}, static_cast<double>((impl_->shared ? impl_->shared->fallbacks() : 0)));
    out.help("switchyard_state_denied_total", "counter", "Requests refused with 503 because Redis did not answer (on_redis_error = \"deny\").");
    out.sample("switchyard_state_denied_total", {}, static_cast<double>((impl_->shared ? impl_->shared->denied() : 0)));
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
  out.sample("switchyard_refused_requests_total", {{"ledger", "row"}}, static_cast<double>(impl_->account.refused_total() - impl_->account.refused_unrecorded()));
  out.sample("switchyard_refused_requests_total", {{"ledger", "sampled_out"}}, static_cast<double>(impl_->account.refused_unrecorded()));
  out.help("switchyard_usage_queries_refused_total", "counter", "Usage queries answered 503 because too many were waiting already.");
  out.sample("switchyard_usage_queries_refused_total", {}, static_cast<double>(impl_->ledger.queries_refused()));
  out.help("switchyard_gateway_overhead_seconds", "histogram", "Time inside the gateway per request, excluding the wait on the provider.");
  out.histogram("switchyard_gateway_overhead_seconds", {}, impl_->account.overhead());
  out.help("switchyard_pool_connections", "gauge", "Upstream connections by state.");
  for (const auto& c : g.clients) {
    const auto s = c->pool_stats();
    out.sample("switchyard_pool_connections", {{"provider", c->name()}, {"state", "idle"}}, static_cast<double>(s.idle));
    out.sample("switchyard_pool_connections", {{"provider", c->name()}, {"state", "active"}}, static_cast<double>(s.active));
  }
  out.help("switchyard_pool_connections_opened_total", "counter", "Upstream connections established.");
  for (const auto& c : g.clients) out.sample("switchyard_pool_connections_opened_total", {{"provider", c->name()}}, static_cast<double>(c->pool_stats().opened));
  out.help("switchyard_pool_connections_reused_total", "counter", "Requests served on a pooled connection.");
  for (const auto& c : g.clients) out.sample("switchyard_pool_connections_reused_total", {{"provider", c->name()}}, static_cast<double>(c->pool_stats().reused));
  return out.text();
}

}  // namespace switchyard
