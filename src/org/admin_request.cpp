#include "org/admin_request.hpp"

#include <boost/json/serialize.hpp>

#include <charconv>
#include <chrono>
#include <cstdio>

namespace switchyard::org {

namespace json = boost::json;

namespace {
Error bad(const std::string& field, const std::string& what) { return make_error(errc::invalid_field, field + ": " + what); }

bool printable(std::string_view s) {
  for (const char c : s) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return false;
  }
  return true;
}

std::optional<Error> only(const json::object& body, std::initializer_list<std::string_view> allowed, const std::string& at) {
  for (const auto& [k, v] : body) {
    bool ok = false;
    for (auto a : allowed) ok = ok || a == k;
    if (ok) continue;
    std::string list;
    for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
    const std::string name = printable(k) && k.size() <= 64 ? std::string(k) : std::string("a field");
    return bad(at.empty() ? name : at + "." + name, "unknown field (allowed: " + list + ")");
  }
  return std::nullopt;
}

result<std::vector<std::string>> models_from(const json::value& v, const std::string& at) {
  std::vector<std::string> out;
  if (v.is_null()) return out;
  if (!v.is_array() || v.as_array().size() > kMaxModels) return bad(at, "must be an array of at most " + std::to_string(kMaxModels) + " model names or globs");
  for (const auto& m : v.as_array()) {
    if (!m.is_string() || m.as_string().empty() || m.as_string().size() > 256 || !printable(m.as_string())) {
      return bad(at, "each entry must be a model name or glob of 1 to 256 printable characters");
    }
    out.emplace_back(m.as_string());
  }
  return out;
}

// {requests_per_minute, ..., concurrent} (and with `user`: budget_usd, period).
result<LimitsConfig> limits_from(const json::value& v, const std::string& at, std::optional<BudgetConfig>* user_budget = nullptr) {
  LimitsConfig out;
  if (v.is_null()) return out;
  if (!v.is_object()) return bad(at, "must be an object");
  const auto& o = v.as_object();
  if (auto e = user_budget ? only(o, {"requests_per_minute", "requests_per_hour", "requests_per_day", "tokens_per_minute", "tokens_per_hour",
                                      "tokens_per_day", "concurrent", "budget_usd", "period"}, at)
                           : only(o, {"requests_per_minute", "requests_per_hour", "requests_per_day", "tokens_per_minute", "tokens_per_hour",
                                      "tokens_per_day", "concurrent"}, at)) {
    return *e;
  }
  const std::pair<const char*, std::uint64_t LimitsConfig::*> windows[] = {
      {"requests_per_minute", &LimitsConfig::requests_per_minute}, {"requests_per_hour", &LimitsConfig::requests_per_hour},
      {"requests_per_day", &LimitsConfig::requests_per_day},       {"tokens_per_minute", &LimitsConfig::tokens_per_minute},
      {"tokens_per_hour", &LimitsConfig::tokens_per_hour},         {"tokens_per_day", &LimitsConfig::tokens_per_day}};
  for (auto [name, member] : windows) {
    const auto* n = o.if_contains(name);
    if (!n || n->is_null()) continue;
    if (!n->is_int64() || n->as_int64() < 1 || n->as_int64() > 1'000'000'000'000) return bad(at + "." + name, "must be an integer from 1 to 10^12");
    out.*member = static_cast<std::uint64_t>(n->as_int64());
  }
  if (const auto* c = o.if_contains("concurrent"); c && !c->is_null()) {
    if (!c->is_int64() || c->as_int64() < 1 || c->as_int64() > 1'000'000) return bad(at + ".concurrent", "must be an integer from 1 to 1000000");
    out.concurrent = static_cast<std::uint32_t>(c->as_int64());
  }
  if (user_budget) {
    user_budget->reset();
    if (const auto* usd = o.if_contains("budget_usd"); usd && !usd->is_null()) {
      if (!usd->is_number() || !(usd->to_number<double>() > 0) || usd->to_number<double>() > 1e12) return bad(at + ".budget_usd", "must be a number above 0");
      BudgetConfig b{usd->to_number<double>(), BudgetPeriod::month};
      if (const auto* p = o.if_contains("period"); p && !p->is_null()) {
        const auto parsed = p->is_string() ? parse_budget_period(p->as_string()) : std::nullopt;
        if (!parsed) return bad(at + ".period", "must be day, week, month or total");
        b.period = *parsed;
      }
      *user_budget = b;
    } else if (o.contains("period")) {
      return bad(at + ".period", "applies to budget_usd, which is not set");
    }
  }
  return out;
}

result<std::optional<BudgetConfig>> budget_from(const json::value& v, const std::string& at) {
  if (v.is_null()) return std::optional<BudgetConfig>();
  if (!v.is_object()) return bad(at, "must be an object {usd, period}");
  const auto& o = v.as_object();
  if (auto e = only(o, {"usd", "period"}, at)) return *e;
  const auto* usd = o.if_contains("usd");
  if (!usd || !usd->is_number() || !(usd->to_number<double>() > 0) || usd->to_number<double>() > 1e12) return bad(at + ".usd", "must be a number above 0");
  BudgetConfig b{usd->to_number<double>(), BudgetPeriod::month};
  if (const auto* p = o.if_contains("period"); p && !p->is_null()) {
    const auto parsed = p->is_string() ? parse_budget_period(p->as_string()) : std::nullopt;
    if (!parsed) return bad(at + ".period", "must be day, week, month or total");
    b.period = *parsed;
  }
  return std::optional<BudgetConfig>(b);
}

// An RFC 3339 UTC time ("2026-12-31T23:59:59Z") or seconds since the epoch; null: never.
result<std::int64_t> expiry_from(const json::value& v, std::int64_t now_ms) {
  if (v.is_null()) return std::int64_t{0};
  std::int64_t ms = 0;
  if (v.is_int64()) {
    ms = v.as_int64() * 1000;
  } else if (v.is_string()) {
    const std::string text(v.as_string());
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, se = 0, used = 0;
    const bool parsed = text.size() == 20 && std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2dZ%n", &y, &mo, &d, &h, &mi, &se, &used) == 6 && used == 20;
    const std::chrono::year_month_day day{std::chrono::year(y), std::chrono::month(static_cast<unsigned>(mo)), std::chrono::day(static_cast<unsigned>(d))};
    if (!parsed || !day.ok() || h > 23 || mi > 59 || se > 60) {
      return bad("expires_at", "must be a UTC time like 2026-12-31T23:59:59Z or seconds since the epoch");
    }
    const auto t = std::chrono::sys_days(day) + std::chrono::hours(h) + std::chrono::minutes(mi) + std::chrono::seconds(se);
    ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  } else {
    return bad("expires_at", "must be a UTC time like 2026-12-31T23:59:59Z or seconds since the epoch");
  }
  if (ms <= now_ms) return bad("expires_at", "is in the past");
  if (ms > now_ms + 100LL * 365 * 86'400'000) return bad("expires_at", "is more than 100 years away");
  return ms;
}
}  // namespace

bool valid_name(std::string_view name) noexcept {
  if (name.empty() || name.size() > 64) return false;
  for (const char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-' || c == ':' || c == '@';
    if (!ok) return false;
  }
  return true;
}

namespace {
std::optional<Error> read_name(const json::object& body, std::string& name) {
  const auto* n = body.if_contains("name");
  if (!n || !n->is_string() || !valid_name(n->as_string())) return bad("name", "is required: 1 to 64 letters, digits and . _ - : @");
  name = std::string(n->as_string());
  return std::nullopt;
}
}  // namespace

result<ManagedKey> read_key_request(const json::object& body, ManagedKey key, bool create, std::int64_t now_ms) {
  if (auto e = only(body, {"name", "team", "models", "limits", "budget", "expires_at", "metadata"}, "")) return *e;
  if (create) {
    if (auto e = read_name(body, key.name)) return *e;
  } else if (const auto* n = body.if_contains("name"); n && !(n->is_string() && n->as_string() == key.name)) {
    return bad("name", "cannot be changed (make a new key, then revoke this one)");
  }
  if (const auto* t = body.if_contains("team")) {
    if (!t->is_null() && (!t->is_string() || (!t->as_string().empty() && !valid_name(t->as_string())))) return bad("team", "must be a team's name or null");
    key.team = t->is_null() ? std::string() : std::string(t->as_string());
  }
  if (const auto* m = body.if_contains("models")) {
    auto models = models_from(*m, "models");
    if (!models) return models.error();
    key.models = std::move(*models);
  }
  if (const auto* l = body.if_contains("limits")) {
    auto limits = limits_from(*l, "limits");
    if (!limits) return limits.error();
    key.limits = *limits;
  }
  if (const auto* b = body.if_contains("budget")) {
    auto budget = budget_from(*b, "budget");
    if (!budget) return budget.error();
    key.budget = *budget;
  }
  if (const auto* x = body.if_contains("expires_at")) {
    auto at = expiry_from(*x, now_ms);
    if (!at) return at.error();
    key.expires_ms = *at;
  }
  if (const auto* m = body.if_contains("metadata")) {
    if (!m->is_null() && !m->is_object()) return bad("metadata", "must be an object");
    key.metadata = m->is_null() ? json::object() : m->as_object();
    if (json::serialize(key.metadata).size() > kMaxMetadataBytes) return bad("metadata", "is over " + std::to_string(kMaxMetadataBytes) + " bytes");
  }
  return key;
}

result<TeamConfig> read_team_request(const json::object& body, TeamConfig team, bool create) {
  if (auto e = only(body, {"name", "models", "limits", "budget", "user_limits"}, "")) return *e;
  if (create) {
    if (auto e = read_name(body, team.name)) return *e;
  } else if (const auto* n = body.if_contains("name"); n && !(n->is_string() && n->as_string() == team.name)) {
    return bad("name", "cannot be changed");
  }
  if (const auto* m = body.if_contains("models")) {
    auto models = models_from(*m, "models");
    if (!models) return models.error();
    team.models = std::move(*models);
  }
  if (const auto* l = body.if_contains("limits")) {
    auto limits = limits_from(*l, "limits");
    if (!limits) return limits.error();
    team.limits = *limits;
  }
  if (const auto* b = body.if_contains("budget")) {
    auto budget = budget_from(*b, "budget");
    if (!budget) return budget.error();
    team.budget = *budget;
  }
  if (const auto* u = body.if_contains("user_limits")) {
    auto limits = limits_from(*u, "user_limits", &team.user_budget);
    if (!limits) return limits.error();
    team.user_limits = *limits;
  }
  team.managed = true;
  return team;
}

result<std::int64_t> read_rotation(const json::object& body) {
  if (auto e = only(body, {"grace_s"}, "")) return *e;
  const auto* g = body.if_contains("grace_s");
  if (!g || g->is_null()) return std::int64_t{0};
  if (!g->is_int64() || g->as_int64() < 0 || g->as_int64() > kMaxGraceSeconds) {
    return bad("grace_s", "must be an integer from 0 to " + std::to_string(kMaxGraceSeconds) + " (30 days)");
  }
  return g->as_int64();
}

}  // namespace switchyard::org
