// Gateway's views: what /metrics, /health, /v1/models, /v1/providers and
// /v1/usage show, read from the current generation and the pipeline's stages.
#include "governance/wall_clock.hpp"
#include "gateway/gateway_impl.hpp"
#include "ledger/postgres_ledger.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>

namespace switchyard {

namespace asio = boost::asio;

using Reactors = std::vector<std::unique_ptr<Reactor>>;

// Every reactor's router counters, added up.
routing::RouterCounters routing_of(const Reactors& reactors) {
  routing::RouterCounters sum;
  for (const auto& r : reactors) sum += r->pipeline.tally().counters();
  return sum;
}

namespace {
void write_telemetry_metrics(observability::PrometheusWriter& out, telemetry::Tracer& tracer);
void write_state_metrics(observability::PrometheusWriter& out, const Reactors& reactors);
void write_front_metrics(observability::PrometheusWriter& out, const Reactors& reactors, const ledger::Ledger& ledger,
                         const std::vector<ProviderStats>& pools);
}  // namespace

std::vector<std::string> Gateway::model_names() const { return impl_->now()->resolver.model_names(); }

std::vector<ProviderStats> Gateway::provider_stats(std::size_t reactor) const {
  std::vector<ProviderStats> out;
  for (const auto& c : impl_->reactors.at(reactor)->pipeline.current().clients) {
    const auto s = c->pool_stats();
    out.push_back(ProviderStats{c->name(), s.opened, s.reused, s.idle, s.active});
  }
  return out;
}

asio::awaitable<std::vector<ProviderStats>> Gateway::pools() {
  // Each reactor's pools are read on its own thread, then added up by provider (same order: the config's).
  std::vector<ProviderStats> sum;
  for (std::size_t i = 0; i < impl_->reactors.size(); ++i) {
    auto part = co_await asio::co_spawn(impl_->reactors[i]->ex, [this, i]() -> asio::awaitable<std::vector<ProviderStats>> {
      co_return provider_stats(i);
    }, asio::use_awaitable);
    for (auto& p : part) {
      auto it = std::find_if(sum.begin(), sum.end(), [&](const ProviderStats& s) { return s.provider == p.provider; });
      if (it == sum.end()) {
        sum.push_back(std::move(p));
        continue;
      }
      it->connections_opened += p.connections_opened;
      it->connections_reused += p.connections_reused;
      it->connections_idle += p.connections_idle;
      it->connections_active += p.connections_active;
    }
  }
  co_return sum;
}

GatewayHealth Gateway::health(std::size_t reactor) const {
  const Impl& impl = *impl_;
  const auto g = impl.now();
  GatewayHealth out;
  out.config_hash = g->config.source_hash;
  out.unhealthy_routes = g->targets.unhealthy_routes();
  const auto& redis = impl.reactors.at(reactor)->redis;
  if (redis && !redis->redis->healthy() && redis->redis->stats().commands > 0) {
    out.state_problem = "the shared state (Redis) is unreachable, limits are counted per replica: " + redis->redis->last_error();
  }
  const auto c = routing_of(impl.reactors);
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
  for (const auto& s : impl_->now()->targets.status()) {
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

std::vector<ProviderKeyStatus> Gateway::provider_keys() const {
  std::vector<ProviderKeyStatus> out;
  const auto g = impl_->now();
  const auto now = governance::wall_now_ms();
  for (std::size_t i = 0; i < g->key_pools.size() && i < g->config.providers.size(); ++i) {
    if (!g->key_pools[i]) continue;
    for (const auto& k : g->key_pools[i]->view(now)) {
      out.push_back(ProviderKeyStatus{g->config.providers[i].name, k.index, k.fingerprint, k.weight, k.state, k.requests, k.refusals, k.throttles, k.last_refusal});
    }
  }
  return out;
}

std::string Gateway::metrics_text() const { return metrics_text(provider_stats(0)); }

std::string Gateway::metrics_text(const std::vector<ProviderStats>& pools) const {
  const Impl& impl = *impl_;
  observability::PrometheusWriter out;
  const auto g = impl.now();
  g->targets.write_metrics(out);
  std::vector<const routing::RouterTally*> tallies;
  std::vector<const cache::ResponseCache*> caches;
  for (const auto& r : impl.reactors) {
    tallies.push_back(&r->pipeline.tally());
    caches.push_back(&r->cache);
  }
  routing::RouterTally::write_metrics(out, tallies);
  g->governor.write_metrics(out);
  out.help("switchyard_config_reloads_total", "counter", "Configuration reloads (SIGHUP, POST /admin/reload) by result.");
  out.sample("switchyard_config_reloads_total", {{"result", "ok"}}, static_cast<double>(impl.reloads_ok));
  out.sample("switchyard_config_reloads_total", {{"result", "error"}}, static_cast<double>(impl.reloads_failed));
  cache::ResponseCache::write_metrics(out, caches);
  write_state_metrics(out, impl.reactors);
  write_front_metrics(out, impl.reactors, *impl.ledger, pools);
  if (impl.tracer->enabled()) write_telemetry_metrics(out, *impl.tracer);
  write_alert_metrics(out, impl);
  const auto keys = provider_keys();
  if (!keys.empty()) {
    auto label = [](const ProviderKeyStatus& k) { return "#" + std::to_string(k.index) + " " + k.fingerprint; };
    out.help("switchyard_provider_key_requests_total", "counter", "Requests sent with each of a provider's keys (by index and fingerprint).");
    for (const auto& k : keys) out.sample("switchyard_provider_key_requests_total", {{"provider", k.provider}, {"key", label(k)}}, static_cast<double>(k.requests));
    out.help("switchyard_provider_key_refusals_total", "counter", "401/403 answers to a key: it was set aside for key_cooldown_ms.");
    for (const auto& k : keys) out.sample("switchyard_provider_key_refusals_total", {{"provider", k.provider}, {"key", label(k)}}, static_cast<double>(k.refusals));
    out.help("switchyard_provider_key_throttles_total", "counter", "429 answers to a key: the request moved to the next key.");
    for (const auto& k : keys) out.sample("switchyard_provider_key_throttles_total", {{"provider", k.provider}, {"key", label(k)}}, static_cast<double>(k.throttles));
    out.help("switchyard_provider_key_usable", "gauge", "1 when the key takes requests now, 0 when set aside, resting or at its limits.");
    for (const auto& k : keys) out.sample("switchyard_provider_key_usable", {{"provider", k.provider}, {"key", label(k)}}, k.state == "ok" ? 1.0 : 0.0);
  }
  return out.text();
}

namespace {
void write_state_metrics(observability::PrometheusWriter& out, const Reactors& reactors) {
  if (!reactors.front()->redis) return;
  std::uint64_t up = 0, errors = 0, fallbacks = 0, denied = 0;
  std::uint64_t cache[5] = {};
  for (const auto& r : reactors) {
    const auto& st = r->redis->redis->stats();
    up += r->redis->redis->connected() ? 1 : 0;
    errors += st.errors + st.timeouts;
    fallbacks += r->redis->admission->fallbacks();
    denied += r->redis->admission->denied();
    if (const auto& c = r->redis->cache) {
      const auto& s = c->stats();
      const std::uint64_t n[] = {s.hits, s.misses, s.errors, s.stores, s.store_errors};
      for (std::size_t i = 0; i < 5; ++i) cache[i] += n[i];
    }
  }
  out.help("switchyard_state_backend_up", "gauge", "1 while the shared state (Redis) is connected (every reactor's connection).");
  out.sample("switchyard_state_backend_up", {{"backend", "redis"}}, up == reactors.size() ? 1 : 0);
  out.help("switchyard_state_backend_errors_total", "counter", "Redis commands that failed, timed out or found no connection.");
  out.sample("switchyard_state_backend_errors_total", {{"backend", "redis"}}, static_cast<double>(errors));
  out.help("switchyard_state_fallback_total", "counter", "Admissions decided by this replica's own counters because Redis did not answer in time.");
  out.sample("switchyard_state_fallback_total", {}, static_cast<double>(fallbacks));
  out.help("switchyard_state_denied_total", "counter", "Requests refused with 503 because Redis did not answer (on_redis_error = \"deny\").");
  out.sample("switchyard_state_denied_total", {}, static_cast<double>(denied));
  if (reactors.front()->redis->cache) {
    out.help("switchyard_cache_shared_total", "counter", "The response cache's shared tier (Redis): lookups (hit, miss, error) and stores (store, store_error).");
    const char* results[] = {"hit", "miss", "error", "store", "store_error"};
    for (std::size_t i = 0; i < 5; ++i) out.sample("switchyard_cache_shared_total", {{"result", results[i]}}, static_cast<double>(cache[i]));
  }
}

// [telemetry]: the trace exporter's spans, batches and losses.
void write_telemetry_metrics(observability::PrometheusWriter& out, telemetry::Tracer& tracer) {
  const auto& c = tracer.counters();
  out.help("switchyard_telemetry_traces_total", "counter", "Requests sampled for tracing.");
  out.sample("switchyard_telemetry_traces_total", {}, static_cast<double>(c.traces.load()));
  out.help("switchyard_telemetry_spans_exported_total", "counter", "Spans the OTLP collector accepted.");
  out.sample("switchyard_telemetry_spans_exported_total", {}, static_cast<double>(c.exported.load()));
  out.help("switchyard_telemetry_spans_dropped_total", "counter",
           "Spans lost: the queue was full (reason=queue_full), or a batch was refused or retried past retry_ms or not flushed at shutdown (reason=export).");
  out.sample("switchyard_telemetry_spans_dropped_total", {{"reason", "queue_full"}}, static_cast<double>(c.dropped_queue.load()));
  out.sample("switchyard_telemetry_spans_dropped_total", {{"reason", "export"}}, static_cast<double>(c.dropped_export.load()));
  out.help("switchyard_telemetry_export_failures_total", "counter", "OTLP export POSTs that failed (each retry counts).");
  out.sample("switchyard_telemetry_export_failures_total", {}, static_cast<double>(c.export_failures.load()));
  out.help("switchyard_telemetry_content_stripped_total", "counter",
           "capture_content: spans sent without their prompt and answer text because 64 MiB of it was already waiting.");
  out.sample("switchyard_telemetry_content_stripped_total", {}, static_cast<double>(c.content_stripped.load()));
  out.help("switchyard_telemetry_queue_spans", "gauge", "Spans waiting for the exporter.");
  out.sample("switchyard_telemetry_queue_spans", {}, static_cast<double>(tracer.queue().size()));
}

// [store] backend = "postgres": the shared database's connection and the spool kept while it is away.
void write_spool_metrics(observability::PrometheusWriter& out, const ledger::PostgresLedger::Stats& s) {
  out.help("switchyard_store_connected", "gauge", "1 while the ledger's connection to the shared database works.");
  out.sample("switchyard_store_connected", {}, s.connected.load() ? 1.0 : 0.0);
  out.help("switchyard_ledger_spooled_rows_total", "counter", "Ledger rows written to the spool directory while the database was away.");
  out.sample("switchyard_ledger_spooled_rows_total", {}, static_cast<double>(s.spooled_rows.load()));
  out.help("switchyard_ledger_replayed_rows_total", "counter", "Spooled ledger rows now in the database.");
  out.sample("switchyard_ledger_replayed_rows_total", {}, static_cast<double>(s.replayed_rows.load()));
  out.help("switchyard_ledger_spool_dropped_rows_total", "counter", "Ledger rows lost because the spool was full or unwritable (also in switchyard_ledger_dropped_total).");
  out.sample("switchyard_ledger_spool_dropped_rows_total", {}, static_cast<double>(s.spool_dropped_rows.load()));
  out.help("switchyard_ledger_spool_bytes", "gauge", "Bytes in the spool directory, waiting for the database.");
  out.sample("switchyard_ledger_spool_bytes", {}, static_cast<double>(s.spool_bytes.load()));
  out.help("switchyard_ledger_write_failures_total", "counter", "Ledger statements that failed (the database away or refusing).");
  out.sample("switchyard_ledger_write_failures_total", {}, static_cast<double>(s.failures.load()));
}

void write_front_metrics(observability::PrometheusWriter& out, const Reactors& reactors, const ledger::Ledger& ledger,
                         const std::vector<ProviderStats>& pools) {
  out.help("switchyard_ledger_rows_total", "counter", "Usage ledger rows written.");
  out.sample("switchyard_ledger_rows_total", {}, static_cast<double>(ledger.written()));
  out.help("switchyard_ledger_dropped_total", "counter", "Usage ledger rows dropped because the writer fell behind (the requests were served).");
  out.sample("switchyard_ledger_dropped_total", {}, static_cast<double>(ledger.dropped()));
  if (const auto* shared = dynamic_cast<const ledger::PostgresLedger*>(&ledger)) write_spool_metrics(out, shared->stats());
  std::uint64_t refused = 0, unrecorded = 0;
  observability::FixedHistogram overhead = reactors.front()->account.overhead();
  observability::FixedHistogram ttft = reactors.front()->account.time_to_first_token();
  for (const auto& r : reactors) {
    refused += r->account.refused_total();
    unrecorded += r->account.refused_unrecorded();
    if (r->index > 0) overhead.merge(r->account.overhead());
    if (r->index > 0) ttft.merge(r->account.time_to_first_token());
  }
  out.help("gen_ai_server_time_to_first_token_seconds", "histogram", "GenAI: streams, from the request read to its first chunk sent to the client.");
  out.histogram("gen_ai_server_time_to_first_token_seconds", {}, ttft);
  out.help("switchyard_refused_requests_total", "counter", "Requests refused by a key's limits or budget (the ledger keeps one row a second per key of them).");
  out.sample("switchyard_refused_requests_total", {{"ledger", "row"}}, static_cast<double>(refused - unrecorded));
  out.sample("switchyard_refused_requests_total", {{"ledger", "sampled_out"}}, static_cast<double>(unrecorded));
  out.help("switchyard_usage_queries_refused_total", "counter", "Usage queries answered 503 because too many were waiting already.");
  out.sample("switchyard_usage_queries_refused_total", {}, static_cast<double>(ledger.queries_refused()));
  out.help("switchyard_gateway_overhead_seconds", "histogram", "Time inside the gateway per request, excluding the wait on the provider.");
  out.histogram("switchyard_gateway_overhead_seconds", {}, overhead);
  out.help("switchyard_pool_connections", "gauge", "Upstream connections by state.");
  for (const auto& p : pools) {
    out.sample("switchyard_pool_connections", {{"provider", p.provider}, {"state", "idle"}}, static_cast<double>(p.connections_idle));
    out.sample("switchyard_pool_connections", {{"provider", p.provider}, {"state", "active"}}, static_cast<double>(p.connections_active));
  }
  out.help("switchyard_pool_connections_opened_total", "counter", "Upstream connections established.");
  for (const auto& p : pools) out.sample("switchyard_pool_connections_opened_total", {{"provider", p.provider}}, static_cast<double>(p.connections_opened));
  out.help("switchyard_pool_connections_reused_total", "counter", "Requests served on a pooled connection.");
  for (const auto& p : pools) out.sample("switchyard_pool_connections_reused_total", {{"provider", p.provider}}, static_cast<double>(p.connections_reused));
}
}  // namespace

}  // namespace switchyard
