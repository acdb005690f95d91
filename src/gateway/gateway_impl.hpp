#pragma once
// Gateway's members: the composition root's parts, built in gateway.cpp (the
// constructor, reload and shutdown) and read by gateway_views.cpp and
// dashboard_state.cpp. The request path itself is pipeline/chat_pipeline.
// Not part of the public API.
//
// Threading (Envoy's model): reactor 0 runs on the executor the Gateway was
// built with (the embedder's, or the daemon's main io_context: reload, health
// checks, the embedded API); with worker executors, reactors 1..N run on them
// and serve the HTTP front-end. A request lives and dies on one reactor, with
// its own generation (provider clients and pools, router), cache flights,
// account stage and ledger ring. Shared by all and safe across threads: the
// configuration's SharedGeneration (keys' limits and budgets, every target's
// health and breaker), the cache's store, the ledger's writer.
#include <switchyard/gateway.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <memory>
#include <mutex>
#include <vector>

#include "alerting/alert_evaluator.hpp"
#include "alerting/webhook_notifier.hpp"
#include "cache/response_cache.hpp"
#include "cache/shared_cache.hpp"
#include "governance/shared_limiter.hpp"
#include "health/health_checker.hpp"
#include "ledger/usage_ledger.hpp"
#include "org/organisation.hpp"
#include "pipeline/jwt_gate.hpp"
#include "pipeline/account_stage.hpp"
#include "pipeline/admit_stage.hpp"
#include "pipeline/cache_stage.hpp"
#include "pipeline/chat_pipeline.hpp"
#include "pipeline/generation.hpp"
#include "pipeline/shared_admission.hpp"
#include "providers/connector_registry.hpp"
#include "state/redis_client.hpp"
#include "telemetry/tracer.hpp"

namespace switchyard {

// The account stage's rows go to the usage ledger, into the reactor's own ring.
struct LedgerSink final : pipeline::UsageSink {
  LedgerSink(ledger::Ledger& l, std::size_t ring) : ledger(l), ring(ring) {}
  void record(const ledger::UsageRow& row) noexcept override { ledger.record(row, ring); }
  ledger::Ledger& ledger;
  std::size_t ring;
};

// [state] backend = "redis" on one reactor: its connection, the counters there
// and the admission over them, the cache's shared tier (each reactor talks to
// Redis on its own connection, never through another thread).
struct RedisStack {
  RedisStack(const boost::asio::any_io_executor& ex, const StateConfig& state, const std::string& replica_id, const CacheConfig& cache);
  std::unique_ptr<state::RedisClient> redis;
  std::unique_ptr<governance::SharedLimiter> limiter;
  std::unique_ptr<pipeline::SharedAdmission> admission;
  std::unique_ptr<cache::SharedCache> cache;  // with [cache] enabled
};

// One reactor's part of the pipeline (declared in the order they depend on each other).
struct Reactor {
  Reactor(boost::asio::any_io_executor ex, std::size_t index, ledger::Ledger& ledger, const std::shared_ptr<pipeline::SharedGeneration>& gen,
          cache::CacheShare share, std::shared_ptr<pipeline::RefusedSampler> sampler, const std::string& replica_id,
          const providers::ConnectorRegistry& registry);
  pipeline::SharedAdmission* quota_gate() const noexcept;  // the router's gate to the shared quotas (null: memory)
  boost::asio::any_io_executor ex;
  std::size_t index;
  std::unique_ptr<RedisStack> redis;  // null: memory
  LedgerSink sink;
  pipeline::AccountStage account;
  cache::ResponseCache cache;  // answers in flight here; the stored ones are every reactor's
  pipeline::AdmitStage admit;
  pipeline::CacheStage cache_stage;
  pipeline::ChatPipeline pipeline;  // holds this reactor's current generation
};

// Another process's change to the key store (one file or one database, several daemons):
// read on its notification (PostgreSQL) or every [store] poll_ms.
struct StorePoll {
  bool stopped = false;
  std::uint64_t refreshes = 0, failures = 0;
};

// [[alerts]]: the rules evaluated every [alerting] evaluate_ms on the main reactor, and where
// their firings and resolutions go (gateway_alerts.cpp).
struct AlertMonitor {
  AlertMonitor(const boost::asio::any_io_executor& ex, const Config& config);
  alerting::AlertEvaluator evaluator;           // the main reactor's
  std::unique_ptr<alerting::WebhookNotifier> notifier;  // null without a webhook_url
  AlertingConfig config;
  boost::asio::steady_timer timer;
  bool stopped = false;
  mutable std::mutex mu;                        // the views read from any thread
  std::vector<alerting::Alert> snapshot;
  std::uint64_t evaluations = 0;
};

struct Gateway::Impl {
  Impl(boost::asio::any_io_executor executor, std::vector<boost::asio::any_io_executor> workers, Config cfg);

  boost::asio::any_io_executor ex;
  providers::ConnectorRegistry registry;
  StateConfig state;  // [state] as started: a reload does not move the shared state elsewhere
  health::HealthChecker checker;
  std::atomic<std::uint64_t> reloads_ok{0}, reloads_failed{0};
  std::string replica_id;
  std::unique_ptr<ledger::Ledger> ledger;  // SQLite (ledger/usage_ledger) or PostgreSQL (ledger/postgres_ledger)
  std::unique_ptr<org::Organisation> org;  // the admin API's keys and teams (the file's part is set at each reload)
  std::unique_ptr<auth::JwksSource> jwks;  // [auth.jwt] (as started: a change applies at the next start)
  std::unique_ptr<pipeline::JwtGate> jwt;
  std::shared_ptr<StorePoll> store_poll;
  cache::CacheShare cache_share;
  std::shared_ptr<pipeline::RefusedSampler> refused = std::make_shared<pipeline::RefusedSampler>();
  std::unique_ptr<telemetry::Tracer> tracer;  // [telemetry] (as started); outlives the reactors' exchanges
  std::shared_ptr<AlertMonitor> alerts;       // with [[alerts]] rules (made by the first config that has some)
  void start_alerts(const Config& config);    // makes or updates the monitor (gateway_alerts.cpp)
  void stop_alerts();
  // The configuration the views show (every reactor's shared part); replaced by a reload.
  mutable std::mutex current_mu;
  std::shared_ptr<pipeline::SharedGeneration> current;
  std::shared_ptr<pipeline::SharedGeneration> now() const;
  // [0]: the main reactor (ex); then one per worker executor. The ledger outlives them.
  std::vector<std::unique_ptr<Reactor>> reactors;

  Reactor& main() noexcept { return *reactors.front(); }
  const Reactor& main() const noexcept { return *reactors.front(); }
  // The reactors that serve the HTTP front-end: the workers, or the main one alone.
  std::size_t first_worker() const noexcept { return reactors.size() > 1 ? 1 : 0; }
};

// The alerts' gauges and the webhook's counters (gateway_alerts.cpp).
void write_alert_metrics(observability::PrometheusWriter& out, const Gateway::Impl& impl);

}  // namespace switchyard
