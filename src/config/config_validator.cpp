// validate(const Config&) and the enum names of include/switchyard/config.hpp.
#include <switchyard/config.hpp>

#include "state/redis_url.hpp"

#include <boost/url/parse.hpp>

#include <set>

namespace switchyard {

namespace {
constexpr std::pair<std::string_view, ProviderType> kTypes[] = {
    {"openai", ProviderType::openai}, {"anthropic", ProviderType::anthropic}, {"gemini", ProviderType::gemini},
    {"azure", ProviderType::azure}, {"bedrock", ProviderType::bedrock}, {"vertex", ProviderType::vertex}};
constexpr std::pair<std::string_view, BudgetPeriod> kPeriods[] = {
    {"day", BudgetPeriod::day}, {"week", BudgetPeriod::week}, {"month", BudgetPeriod::month}, {"total", BudgetPeriod::total}};
constexpr std::pair<std::string_view, Strategy> kStrategies[] = {
    {"failover", Strategy::failover},       {"weighted", Strategy::weighted}, {"lowest-cost", Strategy::lowest_cost},
    {"lowest-latency", Strategy::lowest_latency}, {"health", Strategy::health}};

template <class Table, class E>
std::string_view name_in(const Table& table, E value) noexcept {
  for (const auto& [name, v] : table) {
    if (v == value) return name;
  }
  return {};
}
template <class E, class Table>
std::optional<E> value_in(const Table& table, std::string_view name) noexcept {
  for (const auto& [n, v] : table) {
    if (n == name) return v;
  }
  return std::nullopt;
}

bool has_control_chars(std::string_view s) noexcept {
  for (const char c : s) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return true;
  }
  return false;
}

using Problem = std::optional<std::string>;

// A name that goes into ledger rows, metric labels, Redis keys and log lines
// whole: 1 to `max` bytes of letters, digits and . _ - : @ (and / where allowed).
// (A key name past the ledger's 64 bytes was cut there: its usage read $0 and
// its spent budget reset at a restart.)
Problem check_name(std::string_view name, const std::string& at, std::size_t max, bool slash = false) {
  if (name.empty() || name.size() > max) return at + ": must be 1 to " + std::to_string(max) + " bytes long";
  for (const char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-' ||
                    c == ':' || c == '@' || (slash && c == '/');
    if (!ok) return at + ": may hold only letters, digits and . _ - : @" + std::string(slash ? " /" : "") + " ("" + std::string(1, c) + "" is not allowed)";
  }
  return std::nullopt;
}

Problem check_budget(const std::optional<BudgetConfig>& b, const std::string& at) {
  if (b && (!(b->usd > 0) || to_string(b->period).empty())) return at + ": usd must be above 0 and period one of day, week, month, total";
  return std::nullopt;
}

Problem check_teams(const std::vector<TeamConfig>& teams) {
  std::set<std::string> names;
  for (std::size_t i = 0; i < teams.size(); ++i) {
    const auto& t = teams[i];
    const std::string at = "teams[" + (t.name.empty() ? std::to_string(i) : t.name) + "]";
    if (auto bad = check_name(t.name, at + ".name", 64)) return bad;
    if (!names.insert(t.name).second) return at + ".name: duplicate team name \"" + t.name + "\"";
    if (auto bad = check_budget(t.budget, at + ".budget")) return bad;
    if (auto bad = check_budget(t.user_budget, at + ".user_limits.budget_usd")) return bad;
  }
  return std::nullopt;
}

// Keys: names unique; a key from the file has its secret, one made through the admin API its digest.
Problem check_keys(const Config& config) {
  std::set<std::string> key_names, key_values, teams;
  for (const auto& t : config.teams) teams.insert(t.name);
  for (std::size_t i = 0; i < config.keys.size(); ++i) {
    const auto& k = config.keys[i];
    const std::string at = "keys[" + (k.name.empty() ? std::to_string(i) : k.name) + "]";
    if (k.name.empty()) return at + ".name: must not be empty";
    if (auto bad = check_name(k.name, at + ".name", 64)) return bad;
    if (k.jwt) {
      // a team's JWT identity: no secret of its own
    } else if (k.key.empty() && k.key_sha256.size() == 32) {
      if (!key_values.insert(k.key_sha256).second) return at + ".key: the same key is used by another entry";
    } else {
      if (k.key.size() < 8 || has_control_chars(k.key)) return at + ".key: must be at least 8 characters, without control characters";
      if (!key_values.insert(k.key).second) return at + ".key: the same key is used by another entry";
    }
    if (!key_names.insert(k.name).second) return at + ".name: duplicate key name \"" + k.name + "\"";
    if (auto bad = check_budget(k.budget, at + ".budget")) return bad;
    if (!k.team.empty() && !teams.count(k.team)) return at + ".team: no team named \"" + k.team + "\"";
  }
  return std::nullopt;
}

Problem check_server(const ServerConfig& s) {
  if (s.max_body_bytes == 0) return "server.max_body_bytes: must be above 0";
  if (s.max_header_bytes < 1024) return "server.max_header_bytes: must be at least 1024";
  if (s.json_memory_factor == 0) return "server.json_memory_factor: must be at least 1";
  if (s.max_connections == 0) return "server.max_connections: must be at least 1";
  for (auto [name, t] : {std::pair{"idle_timeout_ms", s.idle_timeout}, {"request_timeout_ms", s.request_timeout}, {"write_timeout_ms", s.write_timeout}}) {
    if (t.count() <= 0) return "server." + std::string(name) + ": must be above 0";
  }
  if (has_control_chars(s.admin_key)) return std::string("server.admin_key: must not contain control characters");
  return std::nullopt;
}

Problem check_provider(const ProviderConfig& p, const std::string& at) {
  if (p.name.empty() || p.name.find('/') != std::string::npos) return at + ".name: must be non-empty and must not contain '/'";
  if (auto bad = check_name(p.name, at + ".name", 64)) return bad;
  if (to_string(p.type).empty()) return at + ".type: not a known provider type";
  auto u = boost::urls::parse_absolute_uri(p.base_url);
  if (!u || (u->scheme() != "http" && u->scheme() != "https") || u->host().empty() || u->has_query() || u->has_fragment()) {
    return at + ".base_url: must be an http:// or https:// URL with a host, no query or fragment";
  }
  if (has_control_chars(p.api_key)) return at + ".api_key: must not contain control characters";
  if (has_control_chars(p.ad_token)) return at + ".ad_token: must not contain control characters";
  if (p.type == ProviderType::azure &&
      (p.api_version.empty() || p.api_version.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") != std::string::npos)) {
    return at + ".api_version: must be a dated version such as \"2024-10-21\" or \"v1\"";
  }
  if (p.type == ProviderType::bedrock) {
    if (p.region.empty() || p.region.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") != std::string::npos) {
      return at + ".region: type \"bedrock\" needs an AWS region such as \"us-east-1\"";
    }
    if (p.api_key.empty() && (p.access_key_id.empty() || p.secret_access_key.empty())) {
      return at + ": type \"bedrock\" needs access_key_id and secret_access_key (or a Bedrock API key in api_key)";
    }
    for (const auto* v : {&p.access_key_id, &p.secret_access_key, &p.session_token}) {
      if (has_control_chars(*v)) return at + ": AWS credentials must not contain control characters";
    }
  }
  if (p.type == ProviderType::vertex) {
    if (p.project.empty()) return at + ".project: type \"vertex\" needs a Google Cloud project";
    if (p.credentials_file.empty() && p.access_token.empty()) return at + ": type \"vertex\" needs credentials_file or access_token";
    if (has_control_chars(p.access_token)) return at + ".access_token: must not contain control characters";
  }
  for (const auto& [name, value] : p.headers) {
    if (name.empty() || name.find_first_of(": \t\r\n") != std::string::npos) return at + ".headers: \"" + name + "\" is not a valid header name";
    if (has_control_chars(value)) return at + ".headers." + name + ": must not contain control characters";
  }
  if (p.connect_timeout.count() <= 0 || p.response_timeout.count() <= 0 || p.read_timeout.count() <= 0) {
    return at + ": connect, response and read timeouts must be above 0";
  }
  if (p.pool.max_connections == 0) return at + ".pool.max_connections: must be at least 1";
  return std::nullopt;
}

Problem check_route(const ModelRouteConfig& m, const std::string& at, const std::set<std::string>& providers) {
  if (m.name.empty()) return at + ".name: must not be empty";
  if (auto bad = check_name(m.name, at + ".name", 128, true)) return bad;
  if (to_string(m.strategy).empty()) return at + ".strategy: not a known strategy";
  if (m.targets.empty()) return at + ".targets: must not be empty";
  for (std::size_t j = 0; j < m.targets.size(); ++j) {
    const auto& t = m.targets[j];
    const std::string tp = at + ".targets[" + std::to_string(j) + "]";
    if (!providers.count(t.provider)) return tp + ".provider: no provider named \"" + t.provider + "\"";
    if (t.model.empty()) return tp + ".model: must not be empty";
    if (!(t.weight >= 0) || !(t.input_price >= 0) || !(t.output_price >= 0) || !(t.cached_input_price.value_or(0) >= 0) ||
        !(t.cache_write_price.value_or(0) >= 0)) {
      return tp + ": weight and prices must be 0 or more";
    }
  }
  return std::nullopt;
}

Problem check_resilience(const ResilienceConfig& r) {
  if (r.attempts_per_target < 1) return "routing.attempts_per_target: must be at least 1";
  if (r.breaker_failures < 1) return "routing.breaker_failures: must be at least 1";
  if (!(r.breaker_error_rate >= 0 && r.breaker_error_rate <= 1)) return "routing.breaker_error_rate: must be in [0, 1]";
  if (r.breaker_min_requests < 1) return "routing.breaker_min_requests: must be at least 1";
  if (r.breaker_probes < 1) return "routing.breaker_probes: must be at least 1";
  if (r.retry_budget.count() <= 0) return "routing.retry_budget_ms: must be above 0";
  if (r.base_backoff.count() < 0 || r.max_backoff < r.base_backoff) return "routing: base_backoff_ms must be 0 or more and at most max_backoff_ms";
  return std::nullopt;
}
}  // namespace

std::string_view to_string(ProviderType type) noexcept { return name_in(kTypes, type); }
std::optional<ProviderType> parse_provider_type(std::string_view name) noexcept { return value_in<ProviderType>(kTypes, name); }
std::string_view to_string(Strategy strategy) noexcept { return name_in(kStrategies, strategy); }
std::optional<Strategy> parse_strategy(std::string_view name) noexcept { return value_in<Strategy>(kStrategies, name); }

std::string_view to_string(BudgetPeriod period) noexcept { return name_in(kPeriods, period); }
std::optional<BudgetPeriod> parse_budget_period(std::string_view name) noexcept { return value_in<BudgetPeriod>(kPeriods, name); }

std::optional<std::string> validate(const Config& config) {
  if (auto p = check_server(config.server)) return p;
  if (config.cache.max_bytes < 1024) return std::string("cache.max_bytes: must be at least 1024");
  if (config.cache.ttl.count() <= 0) return std::string("cache.ttl_ms: must be above 0");
  if (config.state.backend == StateBackend::redis) {
    if (auto url = state::parse_redis_url(config.state.redis_url); std::holds_alternative<std::string>(url)) {
      return "state.redis_url: " + std::get<std::string>(url);
    }
  }
  if (config.state.redis_timeout.count() <= 0) return std::string("state.redis_timeout_ms: must be above 0");
  if (config.state.key_prefix.size() > 64) return std::string("state.key_prefix: at most 64 bytes");
  std::set<std::string> providers;
  for (std::size_t i = 0; i < config.providers.size(); ++i) {
    const auto& p = config.providers[i];
    const std::string at = "providers[" + (p.name.empty() ? std::to_string(i) : p.name) + "]";
    if (auto problem = check_provider(p, at)) return problem;
    if (!providers.insert(p.name).second) return at + ".name: duplicate provider name \"" + p.name + "\"";
  }
  std::set<std::string> routes;
  for (std::size_t i = 0; i < config.models.size(); ++i) {
    const auto& m = config.models[i];
    const std::string at = "models[" + (m.name.empty() ? std::to_string(i) : m.name) + "]";
    if (auto problem = check_route(m, at, providers)) return problem;
    if (m.cache_ttl.count() < 0) return at + ".cache_ttl_ms: must not be negative";
    if (!routes.insert(m.name).second) return at + ".name: duplicate model name \"" + m.name + "\"";
  }
  if (auto problem = check_teams(config.teams)) return problem;
  if (auto problem = check_keys(config)) return problem;
  if (!config.default_provider.empty() && !providers.count(config.default_provider)) {
    return "routing.default_provider: no provider named \"" + config.default_provider + "\"";
  }
  return check_resilience(config.resilience);
}

}  // namespace switchyard
