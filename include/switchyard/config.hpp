#pragma once
// Plain configuration structs with their defaults. The TOML loader
// (src/config/config_loader.cpp) fills them; an embedding program may also
// build them by hand. Every default here is repeated in conf/switchyard.toml
// next to the key that changes it.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace switchyard {

using Millis = std::chrono::milliseconds;

// The wire format a provider speaks.
enum class ProviderType { openai, anthropic, gemini, azure, bedrock, vertex };
// How a route orders its targets for each request (routing/target_selector.hpp).
enum class Strategy { failover, weighted, lowest_cost, lowest_latency, health };

std::string_view to_string(ProviderType type) noexcept;  // "openai", "anthropic", "gemini", "azure", "bedrock", "vertex"
std::optional<ProviderType> parse_provider_type(std::string_view name) noexcept;
std::string_view to_string(Strategy strategy) noexcept;  // "failover", "weighted", "lowest-cost", "lowest-latency", "health"
std::optional<Strategy> parse_strategy(std::string_view name) noexcept;

struct ServerConfig {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;
  std::size_t max_body_bytes = 4 * 1024 * 1024;   // larger bodies get 413
  std::size_t max_header_bytes = 16 * 1024;       // larger headers get 431
  std::size_t max_header_memory_bytes = 16 * 1024 * 1024;  // heads over 2 KiB being read, all connections together, else 503
  std::size_t json_memory_factor = 8;             // parsed JSON of a body may take this many times its size (+64 KiB), else 413
  std::size_t max_json_memory_bytes = 256 * 1024 * 1024;  // parsed JSON of all requests in flight together, else 503
  // Embeddings answers being made and written, all requests together, as predicted from each request
  // (inputs x dimensions x 16 bytes) and held until the body is written or the client goes; else 503.
  std::size_t max_embeddings_memory_bytes = 256 * 1024 * 1024;
  Millis idle_timeout{60'000};                    // keep-alive wait for the next request
  Millis request_timeout{30'000};                 // whole request (headers and body) must arrive in this
  Millis write_timeout{30'000};                   // a client that does not read for this long is dropped
  Millis shutdown_grace{10'000};                  // in-flight requests get this long on SIGTERM
  std::size_t max_connections = 10'000;           // client connections accepted at once (every worker together)
  // Worker reactors serving requests, each a thread with its own event loop, listener (SO_REUSEPORT)
  // and upstream pools; 0 = one per core the process may run on (its CPU affinity), 1 = a single reactor.
  std::size_t workers = 0;
  bool access_log = true;                         // one log line per request
  bool access_log_json = false;                   // access_log_format = "json": every log line a JSON object (else logfmt)
  std::string admin_key;                          // for GET /v1/providers; empty = that endpoint is off
  bool operator==(const ServerConfig&) const = default;
};

// Rate limits: a key's ([keys.limits]), or a provider's or a target's quota; 0 = no limit.
struct LimitsConfig {
  std::uint64_t requests_per_minute = 0;  // a token bucket: bursts up to the minute's amount
  std::uint64_t requests_per_hour = 0;    // sliding windows
  std::uint64_t requests_per_day = 0;
  std::uint64_t tokens_per_minute = 0;    // tokens are reserved at admission (estimate) and reconciled with the provider's usage
  std::uint64_t tokens_per_hour = 0;
  std::uint64_t tokens_per_day = 0;
  std::uint32_t concurrent = 0;           // requests (and open streams) at once
  bool any() const noexcept {
    return requests_per_minute || requests_per_hour || requests_per_day || tokens_per_minute || tokens_per_hour ||
           tokens_per_day || concurrent;
  }
  bool operator==(const LimitsConfig&) const = default;
};

struct PoolConfig {
  std::size_t max_connections = 64;    // per upstream host
  std::size_t max_waiters = 1024;      // requests queued for a connection; more get 503 at once
  Millis queue_timeout{5'000};         // how long a request waits for a connection
  Millis idle_timeout{30'000};         // idle pooled connections older than this are closed
  Millis peek_after_idle{1'000};       // an idle connection older than this is checked for a close before reuse
  bool operator==(const PoolConfig&) const = default;
};

// One of a provider's several keys (api_keys / [[providers.keys]]).
struct ProviderKey {
  std::string key;
  double weight = 1;       // share of requests, relative to the other keys
  LimitsConfig limits;     // this key's own quota at the provider: a key at it is skipped
  bool operator==(const ProviderKey&) const = default;
};

struct ProviderConfig {
  std::string name;
  ProviderType type = ProviderType::openai;
  std::string base_url;                // e.g. https://api.openai.com/v1
  std::string api_key;                 // may be empty for local endpoints
  // type "azure": "2024-10-21" (a dated version: /openai/deployments/{model}/...?api-version=...)
  // or "v1" (/openai/v1/..., the deployment named in the body's model)
  std::string api_version = "2024-10-21";
  std::string ad_token;                // type "azure": an Entra ID token sent as a bearer token instead of the api-key header
  bool responses = false;              // types "openai"/"azure": speaks the Responses API (/responses): such requests pass through
  // type "bedrock": the AWS region and credentials (when the config gives none, or their variables are
  // unset: the environment's AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN, then ~/.aws/credentials)
  std::string region;
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;           // temporary credentials; empty: none
  // type "vertex": the Google Cloud project and location ("global" uses the global host), and either a
  // service-account JSON file (its token_uri honoured) or a bearer token used as is
  std::string project;
  std::string location;
  std::string credentials_file;
  std::string access_token;
  std::vector<ProviderKey> keys;       // several keys (types openai, azure, anthropic, gemini): spread by weight; api_key is then empty
  Millis key_cooldown{60'000};         // a key the provider refused (401/403) is set aside this long, then tried again
  std::string credential_source;       // where the credentials came from ("config", "environment", a file): --check shows it
  std::vector<std::pair<std::string, std::string>> headers;  // extra upstream headers
  std::string tls_ca_file;             // extra CA bundle; empty = system store
  bool tls_verify = true;
  Millis connect_timeout{5'000};       // resolve + TCP connect + TLS handshake
  Millis response_timeout{120'000};    // request sent → response headers
  Millis read_timeout{60'000};         // gap between body bytes (and between stream chunks)
  std::size_t max_response_bytes = 32 * 1024 * 1024;  // non-streamed response body limit
  Millis health_check_interval{0};     // active health check: GET <base_url>/models this often (0 = off)
  PoolConfig pool;
  LimitsConfig limits;                 // the provider's quota: a target that cannot take a request is skipped
  bool operator==(const ProviderConfig&) const = default;
};

struct TargetConfig {
  std::string provider;
  std::string model;
  double weight = 1;                 // strategy "weighted"
  double input_price = 0;            // per million tokens, strategy "lowest-cost"
  double output_price = 0;           // per million tokens (reasoning tokens included)
  std::optional<double> cached_input_price;  // prompt tokens read from the provider's cache (default: input_price)
  std::optional<double> cache_write_price;   // prompt tokens written to it (Anthropic's cache creation; default: input_price)
  bool tools = true;                 // capabilities: requests that need what a target lacks skip it
  bool images = true;
  bool embeddings = true;            // serves /v1/embeddings (default: false for anthropic providers, which have no embeddings API)
  std::size_t max_context = 0;       // tokens; 0 = unknown (no limit applied)
  LimitsConfig limits;               // this model's quota at its provider
  bool operator==(const TargetConfig&) const = default;
};

struct ModelRouteConfig {
  std::string name;
  Strategy strategy = Strategy::failover;
  std::vector<TargetConfig> targets;
  Millis ttft_timeout{0};             // streams: first chunk must arrive within this, else fail over (0 = provider's timeouts only)
  Millis stall_timeout{0};            // longest gap between chunks (0 = the provider's read_timeout)
  Millis hedge_after{0};              // start the next target too when the first has not answered by then (0 = off)
  bool hedge_after_p95 = false;       // ... or after the first target's p95 time to first token, once measured
  bool resume = false;                // a stream broken after bytes were sent continues from the next target
  bool server_tools = true;           // requests may use tools the provider runs (hosted web search, file search, MCP, code execution)
  bool cache = false;                 // answers of this route are cached (with [cache] enabled)
  Millis cache_ttl{0};                // this route's entries live this long (0 = [cache] ttl_ms)
  bool operator==(const ModelRouteConfig&) const = default;
};

// Retries, breakers and failover for every route ([routing] in TOML).
struct ResilienceConfig {
  int attempts_per_target = 2;        // tries on one target before failing over (1 = no retry)
  Millis base_backoff{100};           // backoff before retry n: uniform in [0, min(max, base * 2^n))
  Millis max_backoff{2'000};
  Millis retry_budget{15'000};        // all retries and failovers of one request, in total
  Millis max_retry_after{10'000};     // a longer Retry-After fails over instead of waiting
  int breaker_failures = 5;           // consecutive failures that open a target's circuit
  double breaker_error_rate = 0.5;    // ... or this error rate over the window
  int breaker_min_requests = 20;      // ... with at least this many requests in it
  Millis breaker_window{10'000};
  Millis breaker_cooldown{30'000};    // open this long, then half-open
  int breaker_probes = 1;             // requests let through while half-open
  // "provider/model" names a client asks for that no route lists: at most
  // this many are tracked (health, breaker, metrics series); the least
  // recently used idle one is retired for a new one, its counts folded into
  // the provider's model="other" series.
  std::size_t max_adhoc_targets = 256;
  bool operator==(const ResilienceConfig&) const = default;
};

// UTC calendar periods: a day from 00:00, a week from Monday 00:00, a month from the 1st; "total" never resets.
enum class BudgetPeriod { day, week, month, total };
std::string_view to_string(BudgetPeriod period) noexcept;
std::optional<BudgetPeriod> parse_budget_period(std::string_view name) noexcept;

struct BudgetConfig {
  double usd = 0;  // spend allowed per period (priced with the routes' prices)
  BudgetPeriod period = BudgetPeriod::month;
  bool operator==(const BudgetConfig&) const = default;
};

struct KeyConfig {
  std::string name;
  std::string key;
  std::vector<std::string> models;  // globs; empty = every model (a team's keys: the team's models)
  LimitsConfig limits;
  std::optional<BudgetConfig> budget;
  bool server_tools = true;         // may use tools the provider runs (priced from the provider's usage; docs/limits.md)
  std::string team;                 // the [[teams]] entry it belongs to ("" = none): its limits and budget apply too
  // Keys made through the admin API (kept in the store): only their SHA-256 digest is known
  // (`key` is empty); a rotated key's previous digest works until `previous_until_ms`.
  std::string key_sha256;           // 32 raw bytes
  std::string previous_sha256;
  std::int64_t previous_until_ms = 0;
  std::int64_t expires_at_ms = 0;   // 0 = never
  bool managed = false;             // made through the admin API (not the file)
  bool jwt = false;                 // "jwt:<team>": what a team's JWT bearers are counted as (no secret; [auth.jwt])
  bool operator==(const KeyConfig&) const = default;
};

// A team ([[teams]] or the admin API): a budget and limits over all its keys
// together, the models its keys may use, and each end user's own share.
struct TeamConfig {
  std::string name;
  std::vector<std::string> models;  // globs; empty = every model
  LimitsConfig limits;
  std::optional<BudgetConfig> budget;
  LimitsConfig user_limits;                // per (team, end user)
  std::optional<BudgetConfig> user_budget; // user_limits' budget_usd and period
  bool managed = false;
  bool operator==(const TeamConfig&) const = default;
};

// Where keys, teams and the usage ledger are kept ([store]).
enum class StoreBackend { sqlite, postgres };
struct StoreConfig {
  StoreBackend backend = StoreBackend::sqlite;  // sqlite: the [usage] path's file
  std::string postgres_url;                     // libpq URI, for backend = "postgres"
  std::string spool_dir = "data/spool";         // ledger rows kept here while the database is unreachable
  std::size_t spool_max_bytes = 256u << 20;     // more rows than this are dropped (counted)
  Millis connect_timeout{5000};                 // connect_timeout_ms
  Millis poll_interval{1000};                   // poll_ms: the change feed is also read this often (a missed NOTIFY)
  bool operator==(const StoreConfig&) const = default;
};

// [auth.jwt]: clients may send an identity provider's JWT as the bearer.
struct JwtConfig {
  std::string issuer, audience;
  std::string jwks_url, jwks_file;  // one of them
  std::string team_claim = "groups";
  std::string user_claim = "sub";
  std::string admin_claim;                // a JWT whose admin_claim holds one of admin_values may use /admin
  std::vector<std::string> admin_values;
  Millis jwks_refresh{600'000};           // jwks_refresh_ms
  Millis leeway{60'000};                  // leeway_ms, for exp and nbf
  bool operator==(const JwtConfig&) const = default;
};
struct AuthConfig {
  std::optional<JwtConfig> jwt;
  bool operator==(const AuthConfig&) const = default;
};

// The usage ledger ([usage]): one row per request in SQLite.
struct UsageConfig {
  std::string path;            // the database file; "" = in memory only (lost at exit; limits still work)
  int retention_days = 90;     // older rows are pruned
  std::size_t queue_rows = 8192;  // rows waiting for the writer thread; more are dropped (counted), never a request
  std::size_t memory_rows = 100'000;  // in memory only: the newest rows kept (memory stays bounded, ~20 MB)
  bool operator==(const UsageConfig&) const = default;
};

// The response cache ([cache]); a route caches only with `cache = true`.
struct CacheConfig {
  bool enabled = false;                       // off unless asked
  std::size_t max_bytes = 256 * 1024 * 1024;  // stored answers, least recently used evicted first
  Millis ttl{3'600'000};                      // an entry's life (a route may shorten or lengthen it)
  bool per_key = true;                        // scope = "key": a key only sees its own entries; "global": shared
  bool operator==(const CacheConfig&) const = default;
};

// Where limits, budgets and the cache live ([state]): in this process, or
// shared by several replicas through Redis (issue 15: the client and the
// settings exist; the shared counters are being built).
enum class StateBackend { memory, redis };
struct StateConfig {
  StateBackend backend = StateBackend::memory;
  std::string redis_url = "redis://127.0.0.1:6379/0";  // redis://[user:password@]host:port/db (no TLS: hiredis 0.14)
  Millis redis_timeout{50};           // an admission never waits longer on Redis
  Millis health_check_interval{1000}; // health_check_ms: a PING this often keeps the connection up (and /health true) without traffic
  bool deny_on_redis_error = false;   // on_redis_error: "local" (false: this replica's own counters) | "deny" (503)
  std::string key_prefix = "switchyard:";
  bool operator==(const StateConfig&) const = default;
};

// [telemetry]: OpenTelemetry traces, POSTed as OTLP/HTTP JSON to {otlp_endpoint}/v1/traces.
struct TelemetryConfig {
  std::string otlp_endpoint;                 // "" = off (the default)
  std::string service_name = "switchyard";   // the resource's service.name
  double sample_ratio = 1.0;                 // head sampling of requests without a traceparent (one with it: its sampled flag)
  std::vector<std::pair<std::string, std::string>> headers;  // sent with every export (values never printed)
  bool capture_content = false;              // true: prompts and answers as span events
  std::size_t queue_spans = 8192;            // spans waiting for the exporter; beyond: dropped and counted
  std::size_t batch_spans = 512;             // an export carries at most this many (or what one second gathered)
  Millis export_timeout{10'000};             // export_timeout_ms: one POST
  Millis retry_for{30'000};                  // retry_ms: a failed batch is retried this long, then dropped (counted)
  bool operator==(const TelemetryConfig&) const = default;
};

// [alerting]: where firings and resolutions go.
struct AlertingConfig {
  std::string webhook_url;       // "" = listed at /admin/alerts and counted, not sent
  bool slack = true;             // format: "slack" ({"text": ...}) | "json" (the alert object)
  int cooldown_s = 300;          // a repeat firing of the same alert is not sent sooner; resolutions always are
  Millis evaluate_every{5'000};  // evaluate_ms: how often the rules are evaluated
  int webhook_attempts = 3;      // tries per notification (backoff 1 s, 2 s, ...), each bounded by 5 s
  bool operator==(const AlertingConfig&) const = default;
};

enum class AlertKind { error_rate, latency_p99, ttft_p99, circuit_open, no_target, budget, quota, spend_rate };
// [[alerts]]: one rule.
struct AlertRule {
  std::string name;
  AlertKind kind = AlertKind::error_rate;
  double threshold = 0;          // error_rate: a ratio; latency_p99/ttft_p99: ms; budget/quota: a fraction;
                                 // circuit_open: open targets; no_target: requests; spend_rate: USD per hour
  int window_s = 60;
  std::string provider, route, key, team;  // selector: only what matches ("" = any)
  bool operator==(const AlertRule&) const = default;
};

struct Config {
  ServerConfig server;
  std::vector<ProviderConfig> providers;
  std::vector<ModelRouteConfig> models;
  std::vector<KeyConfig> keys;
  std::vector<TeamConfig> teams;
  std::string default_provider;       // unknown models go here as-is; empty = 404
  ResilienceConfig resilience;
  UsageConfig usage;
  CacheConfig cache;
  StateConfig state;
  StoreConfig store;
  AuthConfig auth;
  TelemetryConfig telemetry;
  AlertingConfig alerting;
  std::vector<AlertRule> alerts;
  std::vector<std::string> warnings;  // skipped providers/keys, for one log line each
  std::string source_hash;            // SHA-256 (hex) of the file it was read from (what `sha256sum` prints); "" when built by hand
};

// Checks a config as a whole, however it was made (the TOML loader calls it;
// so does Gateway's constructor, for a config an embedder built by hand):
// names unique and well-formed, every target's provider known, URLs, enums in
// range, limits and timeouts that can run. The first problem found, naming
// the field ("models[fast].targets[0].provider: no provider named \"x\""),
// or nullopt when the config can run.
std::optional<std::string> validate(const Config& config);

}  // namespace switchyard
