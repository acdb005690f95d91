#include "org/org_records.hpp"

#include <boost/json/parse.hpp>

#include "org/org_store.hpp"

#include <boost/json/value.hpp>

#include "text/hex.hpp"

namespace switchyard::org {

namespace json = boost::json;

namespace {
constexpr std::pair<const char*, std::uint64_t LimitsConfig::*> kWindows[] = {
    {"requests_per_minute", &LimitsConfig::requests_per_minute}, {"requests_per_hour", &LimitsConfig::requests_per_hour},
    {"requests_per_day", &LimitsConfig::requests_per_day},       {"tokens_per_minute", &LimitsConfig::tokens_per_minute},
    {"tokens_per_hour", &LimitsConfig::tokens_per_hour},         {"tokens_per_day", &LimitsConfig::tokens_per_day}};

std::string hex(const std::string& bytes) { return text::to_hex(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size()); }

bool unhex(std::string_view h, std::string& out) {
  if (h.size() % 2) return false;
  out.clear();
  auto digit = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < h.size(); i += 2) {
    const int hi = digit(h[i]), lo = digit(h[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out += static_cast<char>(hi * 16 + lo);
  }
  return true;
}

std::string str(const json::object& o, std::string_view k) {
  const auto* v = o.if_contains(k);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

std::int64_t num(const json::object& o, std::string_view k) {
  const auto* v = o.if_contains(k);
  return v && v->is_int64() ? v->as_int64() : 0;
}

std::vector<std::string> strings(const json::object& o, std::string_view k) {
  std::vector<std::string> out;
  if (const auto* v = o.if_contains(k); v && v->is_array()) {
    for (const auto& s : v->as_array()) {
      if (s.is_string()) out.emplace_back(s.as_string());
    }
  }
  return out;
}

json::array strings_json(const std::vector<std::string>& list) {
  json::array out;
  for (const auto& s : list) out.emplace_back(s);
  return out;
}

LimitsConfig limits_of(const json::object& o, std::string_view k) {
  LimitsConfig out;
  const auto* v = o.if_contains(k);
  if (!v || !v->is_object()) return out;
  for (auto [name, member] : kWindows) out.*member = static_cast<std::uint64_t>(std::max<std::int64_t>(0, num(v->as_object(), name)));
  out.concurrent = static_cast<std::uint32_t>(std::max<std::int64_t>(0, num(v->as_object(), "concurrent")));
  return out;
}

std::optional<BudgetConfig> budget_of(const json::object& o, std::string_view k) {
  const auto* v = o.if_contains(k);
  if (!v || !v->is_object()) return std::nullopt;
  const auto& b = v->as_object();
  const auto* usd = b.if_contains("usd");
  const auto period = parse_budget_period(str(b, "period"));
  if (!usd || !usd->is_number() || !period) return std::nullopt;
  return BudgetConfig{usd->to_number<double>(), *period};
}
}  // namespace

json::object limits_json(const LimitsConfig& limits) {
  json::object out;
  for (auto [name, member] : kWindows) {
    if (limits.*member) out[name] = limits.*member;
  }
  if (limits.concurrent) out["concurrent"] = limits.concurrent;
  return out;
}

json::value budget_json(const std::optional<BudgetConfig>& budget) {
  if (!budget) return nullptr;
  return json::object{{"usd", budget->usd}, {"period", to_string(budget->period)}};
}

json::object key_document(const ManagedKey& k) {
  return json::object{{"name", k.name},
                      {"team", k.team},
                      {"models", strings_json(k.models)},
                      {"limits", limits_json(k.limits)},
                      {"budget", budget_json(k.budget)},
                      {"metadata", k.metadata},
                      {"sha256", hex(k.sha256)},
                      {"prefix", k.prefix},
                      {"created_ms", k.created_ms},
                      {"expires_ms", k.expires_ms},
                      {"revoked_ms", k.revoked_ms},
                      {"previous_sha256", hex(k.previous_sha256)},
                      {"previous_until_ms", k.previous_until_ms}};
}

result<ManagedKey> key_from_document(const json::object& doc) {
  ManagedKey k;
  k.name = str(doc, "name");
  k.team = str(doc, "team");
  k.models = strings(doc, "models");
  k.limits = limits_of(doc, "limits");
  k.budget = budget_of(doc, "budget");
  if (const auto* m = doc.if_contains("metadata"); m && m->is_object()) k.metadata = m->as_object();
  k.prefix = str(doc, "prefix");
  k.created_ms = num(doc, "created_ms");
  k.expires_ms = num(doc, "expires_ms");
  k.revoked_ms = num(doc, "revoked_ms");
  k.previous_until_ms = num(doc, "previous_until_ms");
  if (k.name.empty() || !unhex(str(doc, "sha256"), k.sha256) || k.sha256.size() != 32 || !unhex(str(doc, "previous_sha256"), k.previous_sha256)) {
    return make_error(errc::internal, "a stored key is damaged (" + (k.name.empty() ? std::string("no name") : k.name) + ")");
  }
  return k;
}

json::object team_document(const ManagedTeam& t) {
  json::object user = limits_json(t.config.user_limits);
  if (t.config.user_budget) {
    user["budget_usd"] = t.config.user_budget->usd;
    user["period"] = to_string(t.config.user_budget->period);
  }
  return json::object{{"name", t.config.name},         {"models", strings_json(t.config.models)}, {"limits", limits_json(t.config.limits)},
                      {"budget", budget_json(t.config.budget)}, {"user_limits", std::move(user)}, {"created_ms", t.created_ms}};
}

result<ManagedTeam> team_from_document(const json::object& doc) {
  ManagedTeam t;
  t.config.name = str(doc, "name");
  t.config.models = strings(doc, "models");
  t.config.limits = limits_of(doc, "limits");
  t.config.budget = budget_of(doc, "budget");
  t.config.user_limits = limits_of(doc, "user_limits");
  t.config.managed = true;
  if (const auto* u = doc.if_contains("user_limits"); u && u->is_object()) {
    const auto& o = u->as_object();
    const auto period = parse_budget_period(str(o, "period"));
    if (const auto* usd = o.if_contains("budget_usd"); usd && usd->is_number() && period) t.config.user_budget = BudgetConfig{usd->to_number<double>(), *period};
  }
  t.created_ms = num(doc, "created_ms");
  if (t.config.name.empty()) return make_error(errc::internal, "a stored team is damaged (no name)");
  return t;
}

json::object audit_json(const AuditEntry& e) {
  return json::object{{"time_ms", e.time_ms}, {"actor", e.actor}, {"address", e.address},
                      {"action", e.action},   {"target", e.target}, {"detail", e.detail}};
}

result<AuditEntry> audit_from_json(const json::object& doc) {
  AuditEntry e{num(doc, "time_ms"), str(doc, "actor"), str(doc, "address"), str(doc, "action"), str(doc, "target"), {}};
  if (const auto* d = doc.if_contains("detail"); d && d->is_object()) e.detail = d->as_object();
  return e;
}

KeyConfig to_key_config(const ManagedKey& k) {
  KeyConfig c;
  c.name = k.name;
  c.models = k.models;
  c.limits = k.limits;
  c.budget = k.budget;
  c.team = k.team;
  c.key_sha256 = k.sha256;
  c.previous_sha256 = k.previous_sha256;
  c.previous_until_ms = k.previous_until_ms;
  c.expires_at_ms = k.expires_ms;
  c.managed = true;
  return c;
}

result<void> add_stored_row(Snapshot& out, bool is_key, std::string_view document, std::string_view table) {
  boost::system::error_code ec;
  auto doc = json::parse(document, ec);
  if (ec || !doc.is_object()) return make_error(errc::internal, "the key store: a damaged row in " + std::string(table));
  if (is_key) {
    auto k = key_from_document(doc.as_object());
    if (!k) return k.error();
    out.keys.push_back(std::move(*k));
  } else {
    auto t = team_from_document(doc.as_object());
    if (!t) return t.error();
    out.teams.push_back(std::move(*t));
  }
  return {};
}

}  // namespace switchyard::org
