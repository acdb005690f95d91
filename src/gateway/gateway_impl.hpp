#pragma once
// Gateway's members: the composition root's parts, built in gateway.cpp (the
// constructor, reload and shutdown) and read by gateway_views.cpp and
// dashboard_state.cpp. The request path itself is pipeline/chat_pipeline.
// Not part of the public API.
#include <switchyard/gateway.hpp>

#include <boost/asio/any_io_executor.hpp>

#include <memory>

#include "cache/response_cache.hpp"
#include "cache/shared_cache.hpp"
#include "governance/shared_limiter.hpp"
#include "health/health_checker.hpp"
#include "ledger/usage_ledger.hpp"
#include "pipeline/account_stage.hpp"
#include "pipeline/admit_stage.hpp"
#include "pipeline/cache_stage.hpp"
#include "pipeline/chat_pipeline.hpp"
#include "pipeline/generation.hpp"
#include "pipeline/shared_admission.hpp"
#include "providers/connector_registry.hpp"
#include "state/redis_client.hpp"

namespace switchyard {

// The account stage's rows go to the usage ledger.
struct LedgerSink final : pipeline::UsageSink {
  explicit LedgerSink(ledger::UsageLedger& l) : ledger(l) {}
  void record(const ledger::UsageRow& row) noexcept override { ledger.record(row); }
  ledger::UsageLedger& ledger;
};

// Declared in the order they depend on each other (and so go in reverse):
// the pipeline and its generations first, the ledger's writer (which writes
// what is queued) after every stage that may still account a request.
struct Gateway::Impl {
  Impl(boost::asio::any_io_executor executor, Config cfg);

  boost::asio::any_io_executor ex;
  providers::ConnectorRegistry registry;
  StateConfig state;  // [state] as started: a reload does not move the shared state elsewhere
  health::HealthChecker checker;
  std::uint64_t reloads_ok = 0, reloads_failed = 0;
  // [state] backend = "redis": the connection, the counters there and the admission over them (null: memory).
  std::unique_ptr<state::RedisClient> redis;
  std::unique_ptr<governance::SharedLimiter> limiter;
  std::unique_ptr<pipeline::SharedAdmission> shared;
  ledger::UsageLedger ledger;
  LedgerSink sink{ledger};
  pipeline::AccountStage account;
  cache::ResponseCache cache;  // answers stored and in flight
  std::unique_ptr<cache::SharedCache> shared_cache;  // with Redis and [cache] enabled: answers shared by the replicas
  pipeline::AdmitStage admit;
  pipeline::CacheStage cache_stage;
  pipeline::ChatPipeline pipeline;  // holds the current generation
};

}  // namespace switchyard
