#pragma once
// The embeddable gateway: build it from a Config on your io_context's
// executor, then co_await chat() or chat_stream(). The HTTP daemon is a thin
// front-end over the same object.
#include <switchyard/asio_config.hpp>

#include <switchyard/chat.hpp>
#include <switchyard/config.hpp>
#include <switchyard/error.hpp>
#include <switchyard/usage_totals.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/system/result.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace switchyard::org {
class Organisation;
}

namespace switchyard {

namespace pipeline {
class ChatPipeline;
class JwtGate;
}

// Reads a TOML config; ${ENV} references are expanded from the process
// environment. The error says file, line, key and what is wrong.
boost::system::result<Config, std::string> load_config_file(const std::string& path);

struct ProviderStats {
  std::string provider;
  std::uint64_t connections_opened = 0;
  std::uint64_t connections_reused = 0;
  std::size_t connections_idle = 0;
  std::size_t connections_active = 0;
};

// One of a provider's several keys (GET /v1/providers, /metrics): by index and
// fingerprint (the first 8 hex digits of its SHA-256), never the key.
struct ProviderKeyStatus {
  std::string provider;
  std::size_t index = 0;
  std::string fingerprint;
  double weight = 1;
  std::string state;  // "ok", "set_aside" (refused: 401/403), "resting" (429), "at_limit"
  std::uint64_t requests = 0, refusals = 0, throttles = 0;
  std::string last_refusal;  // what the provider said when it last refused the key (the key itself redacted)
};

// One target's health as the router sees it (GET /v1/providers).
struct TargetHealth {
  std::string provider, model;
  double score = 1;             // computeHealthScore, in [0, 1]
  std::string circuit;          // closed | open | half_open
  std::uint64_t requests = 0;   // in the 10 s window
  std::uint64_t errors = 0;
  double ewma_latency_ms = 0;
  double ewma_ttft_ms = 0;
  std::uint32_t consecutive_failures = 0;
  std::int32_t in_flight = 0;
  bool rate_limited = false;
  // Declared quotas (the target's or its provider's, whichever has less left); limit 0: none.
  LimitStatus quota_requests, quota_tokens;
};

struct RoutingCounters {
  std::uint64_t requests = 0, attempts = 0, retries = 0, failovers = 0, ttft_timeouts = 0, stream_breaks = 0, hedges = 0, resumes = 0;
};

// Gateway::health().
struct GatewayHealth {
  std::string config_hash;                    // Config::source_hash of the running configuration
  std::vector<std::string> unhealthy_routes;  // configured routes with no usable target now
  std::string state_problem;                  // why the state backend makes /health "degraded" (empty: it does not)
  RoutingCounters routing;
};

// What a reload did (Gateway::reload).
struct ReloadOutcome {
  std::string config_hash;                 // the new configuration's Config::source_hash
  std::vector<std::string> changes;        // "key 'ci' added", "route 'fast' changed", "provider 'old' removed"
  std::vector<std::string> needs_restart;  // sections that changed but apply at the next start: "[server]", "[usage]", "[cache]", "[state]"
};

class Gateway {
 public:
  // Throws std::invalid_argument / std::runtime_error for a config it cannot
  // run (startup error).
  Gateway(boost::asio::any_io_executor executor, Config config);
  // With worker reactors ([server] workers): the requests of the HTTP
  // front-end run on `workers` (each executor run by one thread of its own,
  // e.g. its own io_context), the reload, health checks and these calls on
  // `executor`. Limits, budgets, quotas, health and the cache are shared by all.
  Gateway(boost::asio::any_io_executor executor, std::vector<boost::asio::any_io_executor> workers, Config config);
  ~Gateway();
  Gateway(const Gateway&) = delete;
  Gateway& operator=(const Gateway&) = delete;

  // Every call below runs the same pipeline as an HTTP request: the
  // request's api_key is checked (nullopt: a trusted in-process caller), and
  // the key's limits, budget, the response cache and the usage ledger apply.

  // Non-streamed completion ("stream" in the body is ignored).
  boost::asio::awaitable<result<ChatResponse>> chat(ChatRequest request);

  // Streamed completion; returns once the first chunk arrived.
  boost::asio::awaitable<result<ChatStream>> chat_stream(ChatRequest request);

  // Embeddings: request.body is an OpenAI embeddings request ("model",
  // "input", "dimensions", "encoding_format"). Routed over the route's targets
  // that serve embeddings, with the same keys, limits, budgets and ledger as
  // chat; the answer's body is OpenAI's embeddings list, vectors encoded as asked.
  boost::asio::awaitable<result<ChatResponse>> embeddings(ChatRequest request);

  // Anthropic's count_tokens for request.native (an Anthropic Messages
  // request): asked of the route's first anthropic target, else estimated
  // (~4 characters a token). The answer: {"input_tokens": N}.
  boost::asio::awaitable<result<std::string>> count_tokens(ChatRequest request);

  // The usage ledger's totals over [from_ms, to_ms) (milliseconds since the
  // epoch, UTC), grouped by "key", "route", "provider", "model" or "day";
  // `key` non-empty: that key's rows only. Runs on the ledger's thread.
  // An error (503 overloaded) when too many usage queries wait already: a poller never holds back the ledger's writer.
  boost::asio::awaitable<result<std::vector<UsageTotals>>> usage(std::int64_t from_ms, std::int64_t to_ms, std::string group_by, std::string key);
  // A key's budget (spent, resets_at) and limits (limit, remaining, reset_ms) now, as JSON.
  boost::json::object key_status(const auth::KeyEntry& key) const;

  // Longest model name a request may ask for (longer ones get 400): names
  // become target names, log fields and metric labels.
  static constexpr std::size_t kMaxModelName = 256;

  // The request pipeline (authenticate → resolve → admit → cache → route →
  // account): the HTTP front-end's entry, with exchanges it builds from the
  // request's head. An embedder calls chat(), chat_stream() and the others.
  // `reactor`: 0 the main one (the executor above), 1..N the workers'; use a
  // reactor's pipeline on its own executor only.
  pipeline::ChatPipeline& pipeline(std::size_t reactor = 0) noexcept;
  std::size_t reactors() const noexcept;  // 1 + the workers
  boost::asio::any_io_executor executor(std::size_t reactor) const;

  // The configuration new requests get (valid until the next reload).
  const Config& config() const noexcept;

  // Swaps in a new configuration (hot reload): validated first (an invalid
  // one is refused with the reason and the running one keeps serving).
  // Requests already started finish under the configuration they started
  // with; new ones get the new one. Keys, limits, budgets, routes, strategies
  // and providers change; an unchanged provider keeps its connection pool
  // and its targets their health and circuit state; a removed provider's
  // pool closes when its last request ends. [server], [usage], [cache] and
  // [state] apply at the next start (listed in needs_restart).
  // Call it on the main executor. Workers install the new configuration on
  // their own threads right after; settled() returns once every one has.
  // Keys and teams made through the admin API (kept in [store]) join the
  // file's: `config` is the file's part.
  boost::system::result<ReloadOutcome, std::string> reload(Config config);
  boost::asio::awaitable<void> settled();
  // The admin API's keys, teams and audit (call it on the main executor).
  org::Organisation& organisation() noexcept;
  // [auth.jwt]'s verifier (null without it), shared by every reactor.
  const pipeline::JwtGate* jwt_gate() const noexcept;
  // A failed reload the caller refused before reload() (e.g. the file did not load): counted in the metrics.
  void count_failed_reload() noexcept;
  std::vector<std::string> model_names() const;
  // The upstream pools of one reactor (call it on that reactor's executor).
  std::vector<ProviderStats> provider_stats(std::size_t reactor = 0) const;
  // Every reactor's pools, each read on its own executor, added up by provider.
  boost::asio::awaitable<std::vector<ProviderStats>> pools();
  std::vector<TargetHealth> target_health() const;
  std::vector<ProviderKeyStatus> provider_keys() const;
  // What /health reports: the running configuration, routes with no usable target, the shared state.
  // `reactor`: the one calling (its state backend connection is looked at).
  GatewayHealth health(std::size_t reactor = 0) const;

  // The status dashboard's view now (GET /admin/events): totals since start
  // and today, latency quantiles, every target (health, circuit, in flight,
  // quota, last failure), routes (requests, failovers, hedges, resumes, cache
  // results), keys (limits and budget against use; names only) and the
  // state backend. Built from the same counters as /metrics.
  boost::json::object dashboard(std::size_t reactor = 0) const;
  // The newest `n` usage-ledger rows, newest first (the dashboard's recent requests).
  boost::asio::awaitable<boost::json::array> recent_requests(std::size_t n);

  // Prometheus text: requests, latency and TTFT histograms, circuits, scores,
  // retries, failovers, pools and the gateway's own overhead.
  // `pools`: from pools() (without: the main reactor's, on its executor).
  std::string metrics_text() const;
  // GET /admin/alerts: every [[alerts]] rule with its state, value, threshold and since when.
  std::string alerts_json() const;
  // GET /admin/sla: the SLA report over [from_ms, to_ms) from the ledger, grouped by "route",
  // "provider", "key" or "team": requests, availability, failovers, latency and TTFT quantiles,
  // error classes, spend; JSON ({"rows": [...]}) or CSV. An error: a bad group, or the ledger busy (503).
  boost::asio::awaitable<result<std::string>> sla_report(std::int64_t from_ms, std::int64_t to_ms, std::string group, bool csv);
  std::string metrics_text(const std::vector<ProviderStats>& pools) const;
  // Closes idle upstream connections and refuses new upstream work.
  void shutdown() noexcept;

  // The composition's parts (src/gateway/gateway_impl.hpp; not part of the embeddable API).
  struct Impl;

 private:
  // Installs a configuration (the file's merged with the store's) on every reactor.
  boost::system::result<ReloadOutcome, std::string> install(Config config);
  std::unique_ptr<Impl> impl_;
};

}  // namespace switchyard
