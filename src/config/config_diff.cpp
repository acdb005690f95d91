#include "config/config_diff.hpp"

#include <map>

namespace switchyard::config {

namespace {

// Added, removed and changed entries of two named lists ("key 'ci' added").
template <class T>
void compare(const std::vector<T>& before, const std::vector<T>& after, const char* what, std::vector<std::string>& out) {
  std::map<std::string, const T*> old;
  for (const auto& x : before) old.emplace(x.name, &x);
  for (const auto& x : after) {
    auto it = old.find(x.name);
    if (it == old.end()) {
      out.emplace_back(std::string(what) + " '" + x.name + "' added");
      continue;
    }
    if (!(*it->second == x)) out.emplace_back(std::string(what) + " '" + x.name + "' changed");
    old.erase(it);
  }
  for (const auto& [name, x] : old) out.emplace_back(std::string(what) + " '" + name + "' removed");
}

}  // namespace

ConfigDiff diff(const Config& running, const Config& next) {
  ConfigDiff d;
  compare(running.providers, next.providers, "provider", d.changes);
  compare(running.models, next.models, "route", d.changes);
  compare(running.keys, next.keys, "key", d.changes);
  compare(running.teams, next.teams, "team", d.changes);
  if (running.default_provider != next.default_provider) d.changes.emplace_back("default_provider changed");
  if (!(running.resilience == next.resilience)) d.changes.emplace_back("[routing] changed");
  AlertingConfig alerting = running.alerting;
  alerting.webhook_url = next.alerting.webhook_url;  // restart-only, below
  if (!(alerting == next.alerting) || running.alerts != next.alerts) d.changes.emplace_back("alerts changed");
  if (!(running.server == next.server)) d.needs_restart.emplace_back("[server]");
  if (!(running.usage == next.usage)) d.needs_restart.emplace_back("[usage]");
  if (!(running.cache == next.cache)) d.needs_restart.emplace_back("[cache]");
  if (!(running.state == next.state)) d.needs_restart.emplace_back("[state]");
  if (!(running.store == next.store)) d.needs_restart.emplace_back("[store]");
  if (!(running.auth == next.auth)) d.needs_restart.emplace_back("[auth]");
  if (!(running.telemetry == next.telemetry)) d.needs_restart.emplace_back("[telemetry]");
  // The notifier (its URL, its queue) is made at start; rules, format and cooldown reload.
  if (running.alerting.webhook_url != next.alerting.webhook_url) d.needs_restart.emplace_back("[alerting] webhook_url");
  return d;
}

Config reloadable_part(const Config& running, Config next) {
  next.server = running.server;
  next.usage = running.usage;
  next.cache = running.cache;
  next.state = running.state;
  next.store = running.store;
  next.auth = running.auth;
  next.telemetry = running.telemetry;
  next.alerting.webhook_url = running.alerting.webhook_url;
  return next;
}

}  // namespace switchyard::config
