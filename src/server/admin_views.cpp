#include "server/admin_views.hpp"

#include <boost/json.hpp>

namespace switchyard::server {

namespace {
boost::json::array gemini_models(const Gateway& gateway) {
  boost::json::array models;
  for (const auto& name : gateway.model_names()) {
    models.push_back(boost::json::object{{"name", "models/" + name}, {"displayName", name}, {"version", "switchyard"},
                                         {"supportedGenerationMethods", boost::json::array{"generateContent", "streamGenerateContent", "countTokens", "embedContent", "batchEmbedContents"}}});
  }
  return models;
}
}  // namespace

// OpenAI's list ("data"), with Google's ("models") beside it: the GenAI SDK lists GET /v1/models too.
std::string models_json(const Gateway& gateway) {
  boost::json::array data;
  for (const auto& name : gateway.model_names()) {
    data.push_back(boost::json::object{{"id", name}, {"object", "model"}, {"created", 0}, {"owned_by", "switchyard"}});
  }
  return boost::json::serialize(boost::json::object{{"object", "list"}, {"data", std::move(data)}, {"models", gemini_models(gateway)}});
}

std::string gemini_models_json(const Gateway& gateway) {
  return boost::json::serialize(boost::json::object{{"models", gemini_models(gateway)}});
}

// "degraded" when a configured route has no usable target (all circuits open or rate-limited).
std::string health_json(const Gateway& gateway, bool stopping, std::size_t reactor) {
  boost::json::object body;
  const auto health = gateway.health(reactor);
  const auto& unhealthy = health.unhealthy_routes;
  const auto& state = health.state_problem;
  body["status"] = stopping ? "stopping" : unhealthy.empty() && state.empty() ? "ok" : "degraded";
  if (!state.empty()) body["state_backend"] = state;
  if (!health.config_hash.empty()) body["config_hash"] = health.config_hash;
  if (!unhealthy.empty()) {
    boost::json::array routes;
    for (const auto& r : unhealthy) routes.emplace_back(r);
    body["routes_without_healthy_target"] = std::move(routes);
  }
  return boost::json::serialize(body);
}

std::string reload_json(const ReloadOutcome& done) {
  boost::json::array changes, restart;
  for (const auto& c : done.changes) changes.emplace_back(c);
  for (const auto& c : done.needs_restart) restart.emplace_back(c);
  return boost::json::serialize(boost::json::object{
      {"status", "reloaded"}, {"config_hash", done.config_hash}, {"changes", std::move(changes)}, {"needs_restart", std::move(restart)}});
}

std::string providers_json(const Gateway& gateway, const std::vector<ProviderStats>& pool_stats, std::size_t reactor) {
  boost::json::array targets;
  for (const auto& t : gateway.target_health()) {
    targets.push_back(boost::json::object{{"provider", t.provider},
                                          {"model", t.model},
                                          {"score", t.score},
                                          {"circuit", t.circuit},
                                          {"requests_10s", t.requests},
                                          {"errors_10s", t.errors},
                                          {"ewma_latency_ms", t.ewma_latency_ms},
                                          {"ewma_ttft_ms", t.ewma_ttft_ms},
                                          {"consecutive_failures", t.consecutive_failures},
                                          {"in_flight", t.in_flight},
                                          {"rate_limited", t.rate_limited}});
    boost::json::object quota;
    for (auto [name, q] : {std::pair{"requests", &t.quota_requests}, std::pair{"tokens", &t.quota_tokens}}) {
      if (q->limit > 0) quota[name] = boost::json::object{{"limit", q->limit}, {"remaining", q->remaining}, {"reset_ms", q->reset.count()}};
    }
    if (!quota.empty()) targets.back().as_object()["quota"] = std::move(quota);
  }
  boost::json::array pools;
  for (const auto& p : pool_stats) {
    pools.push_back(boost::json::object{{"provider", p.provider},
                                        {"connections_opened", p.connections_opened},
                                        {"connections_reused", p.connections_reused},
                                        {"connections_idle", p.connections_idle},
                                        {"connections_active", p.connections_active}});
  }
  boost::json::array keys;
  for (const auto& k : gateway.provider_keys()) {
    keys.push_back(boost::json::object{{"provider", k.provider}, {"index", k.index}, {"fingerprint", k.fingerprint}, {"weight", k.weight},
                                       {"state", k.state}, {"requests", k.requests}, {"refusals", k.refusals}, {"throttles", k.throttles}});
    if (!k.last_refusal.empty()) keys.back().as_object()["last_refusal"] = k.last_refusal;
  }
  const auto c = gateway.health(reactor).routing;
  boost::json::object counters{{"requests", c.requests},   {"attempts", c.attempts},
                               {"retries", c.retries},     {"failovers", c.failovers},
                               {"ttft_timeouts", c.ttft_timeouts}, {"stream_breaks", c.stream_breaks},
                               {"hedges", c.hedges},       {"resumes", c.resumes}};
  return boost::json::serialize(boost::json::object{{"targets", std::move(targets)}, {"pools", std::move(pools)}, {"keys", std::move(keys)}, {"routing", std::move(counters)}});
}

}  // namespace switchyard::server
