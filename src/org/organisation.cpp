#include "org/organisation.hpp"

#include <boost/json/value_from.hpp>

#include "auth/key_store.hpp"
#include "org/admin_request.hpp"
#include "org/key_secret.hpp"
#include "text/utc_time.hpp"

namespace switchyard::org {

namespace json = boost::json;

Config merge(const Config& file, const Snapshot& store) {
  Config out = file;
  for (const auto& t : store.teams) {
    bool shadowed = false;
    for (const auto& f : file.teams) shadowed = shadowed || f.name == t.config.name;
    if (!shadowed) out.teams.push_back(t.config);
  }
  for (const auto& k : store.keys) {
    bool shadowed = false;
    for (const auto& f : file.keys) shadowed = shadowed || f.name == k.name;
    if (!shadowed && k.revoked_ms == 0) out.keys.push_back(to_key_config(k));
  }
  if (file.auth.jwt) {  // a team's JWT bearers are counted as its key "jwt:<team>" (ledger rows, limits of none of its own)
    for (const auto& t : out.teams) {
      KeyConfig k;
      k.name = "jwt:" + t.name;
      k.team = t.name;
      k.jwt = true;
      out.keys.push_back(std::move(k));
    }
  }
  return out;
}

namespace {
json::value time_json(std::int64_t ms) {
  if (ms <= 0) return nullptr;
  return json::value(text::utc_time_text(ms / 1000));
}

Error not_found(std::string_view kind, std::string_view name) {
  return make_error(errc::not_found, "no " + std::string(kind) + " named '" + std::string(name) + "'");
}

Error conflict(std::string what) { return make_error(errc::conflict, std::move(what)); }

// Changes take turns: each reads what the one before it wrote.
std::chrono::steady_clock::time_point turn_deadline() { return std::chrono::steady_clock::now() + std::chrono::seconds(15); }
Error busy() { return make_error(errc::unavailable, "the key store is busy with other changes; retry shortly"); }
}  // namespace

Organisation::Organisation(boost::asio::any_io_executor ex, std::unique_ptr<OrgStore> store, Clock now)
    : store_(std::move(store)), now_(std::move(now)), turns_(std::move(ex)) {}
Organisation::~Organisation() = default;

boost::asio::awaitable<result<void>> Organisation::load() {
  auto snap = co_await store_->load();
  if (!snap) co_return snap.error();
  snapshot_ = std::move(*snap);
  co_return result<void>();
}

boost::asio::awaitable<result<bool>> Organisation::refresh() {
  const auto turn = co_await turns_.take(turn_deadline());
  if (!turn) co_return busy();
  auto v = co_await store_->version();
  if (!v) co_return v.error();
  if (*v == snapshot_.version) co_return false;
  auto snap = co_await store_->load();
  if (!snap) co_return snap.error();
  snapshot_ = std::move(*snap);
  if (auto done = install(); !done) co_return done.error();
  co_return true;
}

ManagedKey* Organisation::find_key(std::string_view name) {
  for (auto& k : snapshot_.keys) {
    if (k.name == name) return &k;
  }
  return nullptr;
}

ManagedTeam* Organisation::find_team(std::string_view name) {
  for (auto& t : snapshot_.teams) {
    if (t.config.name == name) return &t;
  }
  return nullptr;
}

bool Organisation::file_has_key(std::string_view name) const {
  for (const auto& k : file_.keys) {
    if (k.name == name) return true;
  }
  return false;
}

bool Organisation::file_has_team(std::string_view name) const {
  for (const auto& t : file_.teams) {
    if (t.name == name) return true;
  }
  return false;
}

AuditEntry Organisation::audit_of(const Actor& actor, std::string action, std::string target, json::object detail) const {
  return AuditEntry{now_(), actor.who, actor.address, std::move(action), std::move(target), std::move(detail)};
}

result<void> Organisation::check(const Snapshot& next) const {
  if (auto problem = validate(merge(file_, next))) return make_error(errc::invalid_field, *problem);
  return {};
}

result<void> Organisation::install() {
  if (!apply_) return {};
  return apply_(merge(file_, snapshot_));
}

boost::asio::awaitable<result<void>> Organisation::commit_key(ManagedKey key, AuditEntry audit) {
  Snapshot next = snapshot_;
  bool found = false;
  for (auto& k : next.keys) {
    if (k.name == key.name) k = key, found = true;
  }
  if (!found) next.keys.push_back(key);
  if (auto ok = check(next); !ok) co_return ok.error();
  auto written = co_await store_->put_key(key, std::move(audit));
  if (!written) co_return written.error();
  next.version = snapshot_.version + 1;  // (refresh() re-reads should another replica have written too)
  snapshot_ = std::move(next);
  co_return install();
}

boost::asio::awaitable<result<void>> Organisation::commit_team(ManagedTeam team, AuditEntry audit, bool erase) {
  Snapshot next = snapshot_;
  std::erase_if(next.teams, [&](const ManagedTeam& t) { return t.config.name == team.config.name; });
  if (!erase) next.teams.push_back(team);
  if (auto ok = check(next); !ok) co_return ok.error();
  result<void> written;  // (no co_await inside ?: with GCC 12)
  if (erase) written = co_await store_->delete_team(team.config.name, std::move(audit));
  else written = co_await store_->put_team(team, std::move(audit));
  if (!written) co_return written.error();
  next.version = snapshot_.version + 1;
  snapshot_ = std::move(next);
  co_return install();
}

json::object Organisation::key_view(const ManagedKey& k) const {
  json::object out{{"name", k.name},
                   {"source", "api"},
                   {"team", k.team.empty() ? json::value(nullptr) : json::value(k.team)},
                   {"models", json::value_from(k.models)},
                   {"limits", limits_json(k.limits)},
                   {"budget", budget_json(k.budget)},
                   {"metadata", k.metadata},
                   {"prefix", k.prefix + "\xE2\x80\xA6"},
                   {"created_at", time_json(k.created_ms)},
                   {"expires_at", time_json(k.expires_ms)},
                   {"revoked_at", time_json(k.revoked_ms)}};
  if (k.previous_until_ms > now_()) out["previous_secret_until"] = time_json(k.previous_until_ms);
  if (status_ && k.revoked_ms == 0) out["status"] = status_("key", k.name);
  return out;
}

json::object Organisation::team_view(const TeamConfig& t, std::int64_t created_ms, bool from_file) const {
  json::object user = limits_json(t.user_limits);
  if (t.user_budget) {
    user["budget_usd"] = t.user_budget->usd;
    user["period"] = to_string(t.user_budget->period);
  }
  json::object out{{"name", t.name},           {"source", from_file ? "file" : "api"}, {"models", json::value_from(t.models)},
                   {"limits", limits_json(t.limits)}, {"budget", budget_json(t.budget)},    {"user_limits", std::move(user)},
                   {"created_at", time_json(created_ms)}};
  if (status_) out["status"] = status_("team", t.name);
  return out;
}

// Keys.

boost::asio::awaitable<result<json::object>> Organisation::create_key(json::object body, Actor actor) {
  const auto turn = co_await turns_.take(turn_deadline());
  if (!turn) co_return busy();
  const std::int64_t now = now_();
  auto key = read_key_request(body, ManagedKey{}, true, now);
  if (!key) co_return key.error();
  if (file_has_key(key->name)) co_return conflict("a key named '" + key->name + "' is in the configuration file");
  if (const auto* existing = find_key(key->name); existing && existing->revoked_ms == 0) co_return conflict("a key named '" + key->name + "' exists");
  if (!key->team.empty() && !file_has_team(key->team) && !find_team(key->team)) co_return make_error(errc::invalid_field, "team: no team named '" + key->team + "'");
  const NewSecret secret = make_secret();
  key->sha256 = secret.sha256;
  key->prefix = secret.prefix;
  key->created_ms = now;
  json::object detail{{"team", key->team}, {"models", json::value_from(key->models)}, {"limits", limits_json(key->limits)}, {"budget", budget_json(key->budget)}};
  if (auto done = co_await commit_key(*key, audit_of(actor, "key.create", key->name, std::move(detail))); !done) co_return done.error();
  auto out = key_view(*key);
  out["key"] = secret.secret;  // the only time it is shown
  co_return out;
}

boost::asio::awaitable<result<json::object>> Organisation::update_key(std::string name, json::object body, Actor actor) {
  const auto turn = co_await turns_.take(turn_deadline());
  if (!turn) co_return busy();
  if (file_has_key(name)) co_return conflict("the key '" + name + "' is in the configuration file: change it there");
  const ManagedKey* current = find_key(name);
  if (!current || current->revoked_ms) co_return not_found("key", name);
  auto key = read_key_request(body, *current, false, now_());
  if (!key) co_return key.error();
  if (!key->team.empty() && key->team != current->team && !file_has_team(key->team) && !find_team(key->team)) {
    co_return make_error(errc::invalid_field, "team: no team named '" + key->team + "'");
  }
  json::object changed;
  for (const auto& [field, value] : body) {
    if (field != "metadata") changed[field] = value;
  }
  if (auto done = co_await commit_key(*key, audit_of(actor, "key.update", name, std::move(changed))); !done) co_return done.error();
  co_return key_view(*key);
}

boost::asio::awaitable<result<json::object>> Organisation::revoke_key(std::string name, Actor actor) {
  const auto turn = co_await turns_.take(turn_deadline());
  if (!turn) co_return busy();
  if (file_has_key(name)) co_return conflict("the key '" + name + "' is in the configuration file: remove it there");
  const ManagedKey* current = find_key(name);
  if (!current || current->revoked_ms) co_return not_found("key", name);
  ManagedKey key = *current;
  key.revoked_ms = now_();
  key.previous_sha256.clear();
  key.previous_until_ms = 0;
  AuditEntry entry = audit_of(actor, "key.revoke", name, {});
  auto done = co_await commit_key(key, std::move(entry));
  if (!done) co_return done.error();
  co_return key_view(key);
}

boost::asio::awaitable<result<json::object>> Organisation::rotate_key(std::string name, json::object body, Actor actor) {
  const auto turn = co_await turns_.take(turn_deadline());
  if (!turn) co_return busy();
  if (file_has_key(name)) co_return conflict("the key '" + name + "' is in the configuration file: change it there");
  const ManagedKey* current = find_key(name);
  if (!current || current->revoked_ms) co_return not_found("key", name);
  auto grace = read_rotation(body);
  if (!grace) co_return grace.error();
  ManagedKey key = *current;
  const NewSecret secret = make_secret();
  const std::int64_t now = now_();
  key.previous_sha256 = *grace > 0 ? key.sha256 : std::string();
  key.previous_until_ms = *grace > 0 ? now + *grace * 1000 : 0;
  key.sha256 = secret.sha256;
  key.prefix = secret.prefix;
  AuditEntry entry = audit_of(actor, "key.rotate", name, json::object{{"grace_s", *grace}});
  auto done = co_await commit_key(key, std::move(entry));
  if (!done) co_return done.error();
  auto out = key_view(key);
  out["key"] = secret.secret;
  co_return out;
}

result<json::object> Organisation::key(std::string_view name) const {
  for (const auto& k : file_.keys) {
    if (k.name != name) continue;
    json::object out{{"name", k.name},  {"source", "file"}, {"team", k.team.empty() ? json::value(nullptr) : json::value(k.team)},
                     {"models", json::value_from(k.models)}, {"limits", limits_json(k.limits)}, {"budget", budget_json(k.budget)}};
    if (status_) out["status"] = status_("key", k.name);
    return out;
  }
  for (const auto& k : snapshot_.keys) {
    if (k.name == name) return key_view(k);
  }
  return not_found("key", name);
}

json::array Organisation::keys() const {
  json::array out;
  for (const auto& k : file_.keys) out.push_back(*key(k.name));
  for (const auto& k : snapshot_.keys) {
    if (!file_has_key(k.name)) out.push_back(key_view(k));
  }
  return out;
}

// Teams.

boost::asio::awaitable<result<json::object>> Organisation::create_team(json::object body, Actor actor) {
  const auto turn = co_await turns_.take(turn_deadline());
  if (!turn) co_return busy();
  auto team = read_team_request(body, TeamConfig{}, true);
  if (!team) co_return team.error();
  if (file_has_team(team->name)) co_return conflict("a team named '" + team->name + "' is in the configuration file");
  if (find_team(team->name)) co_return conflict("a team named '" + team->name + "' exists");
  ManagedTeam t{*team, now_()};
  AuditEntry entry = audit_of(actor, "team.create", team->name, team_document(t));
  auto done = co_await commit_team(t, std::move(entry), false);
  if (!done) co_return done.error();
  co_return team_view(t.config, t.created_ms, false);
}

boost::asio::awaitable<result<json::object>> Organisation::update_team(std::string name, json::object body, Actor actor) {
  const auto turn = co_await turns_.take(turn_deadline());
  if (!turn) co_return busy();
  if (file_has_team(name)) co_return conflict("the team '" + name + "' is in the configuration file: change it there");
  const ManagedTeam* current = find_team(name);
  if (!current) co_return not_found("team", name);
  auto team = read_team_request(body, current->config, false);
  if (!team) co_return team.error();
  ManagedTeam t{*team, current->created_ms};
  AuditEntry entry = audit_of(actor, "team.update", name, json::object(body));
  auto done = co_await commit_team(t, std::move(entry), false);
  if (!done) co_return done.error();
  co_return team_view(t.config, t.created_ms, false);
}

boost::asio::awaitable<result<json::object>> Organisation::delete_team(std::string name, Actor actor) {
  const auto turn = co_await turns_.take(turn_deadline());
  if (!turn) co_return busy();
  if (file_has_team(name)) co_return conflict("the team '" + name + "' is in the configuration file: remove it there");
  const ManagedTeam* current = find_team(name);
  if (!current) co_return not_found("team", name);
  std::size_t members = 0;
  for (const auto& k : snapshot_.keys) members += k.revoked_ms == 0 && k.team == name;
  if (members > 0) co_return conflict("the team '" + name + "' has " + std::to_string(members) + " key(s): move or revoke them first");
  ManagedTeam t = *current;
  AuditEntry entry = audit_of(actor, "team.delete", name, {});
  auto done = co_await commit_team(t, std::move(entry), true);
  if (!done) co_return done.error();
  co_return json::object{{"name", name}, {"deleted", true}};
}

result<json::object> Organisation::team(std::string_view name) const {
  for (const auto& t : file_.teams) {
    if (t.name == name) return team_view(t, 0, true);
  }
  for (const auto& t : snapshot_.teams) {
    if (t.config.name == name) return team_view(t.config, t.created_ms, false);
  }
  return not_found("team", name);
}

json::array Organisation::teams() const {
  json::array out;
  for (const auto& t : file_.teams) out.push_back(team_view(t, 0, true));
  for (const auto& t : snapshot_.teams) {
    if (!file_has_team(t.config.name)) out.push_back(team_view(t.config, t.created_ms, false));
  }
  return out;
}

boost::asio::awaitable<result<json::array>> Organisation::audit(std::size_t limit) {
  auto rows = co_await store_->audit_log(std::min<std::size_t>(limit, 1000));
  if (!rows) co_return rows.error();
  json::array out;
  for (const auto& e : *rows) {
    auto o = audit_json(e);
    o["time"] = time_json(e.time_ms);
    out.push_back(std::move(o));
  }
  co_return out;
}

}  // namespace switchyard::org
