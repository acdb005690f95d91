// Gateway's view for the status dashboard (GET /admin/events): what /metrics,
// /v1/providers and the key views show, gathered in one JSON object.
#include "gateway/gateway_impl.hpp"

#include <boost/json.hpp>

#include <set>

namespace switchyard {

namespace json = boost::json;

namespace {
json::object window_json(const governance::WindowStatus& w) {
  return json::object{{"limit", w.limit}, {"remaining", w.remaining}, {"reset_ms", w.reset_ms}};
}

// Every target: health, circuit, in flight, quota, last failure.
json::array targets_json(const routing::Router& router) {
  json::array targets;
  for (const auto& s : router.status()) {
    json::object t{{"provider", s.provider},
                   {"model", s.model},
                   {"score", s.score},
                   {"circuit", resilience::to_string(s.circuit)},
                   {"requests_10s", s.health.requests},
                   {"errors_10s", s.health.errors},
                   {"in_flight", s.health.in_flight},
                   {"ewma_latency_ms", s.health.ewma_latency_ms},
                   {"ewma_ttft_ms", s.health.ewma_ttft_ms},
                   {"consecutive_failures", s.health.consecutive_failures},
                   {"rate_limited", s.health.rate_limited},
                   {"answered", s.answered},
                   {"failed", s.failed},
                   {"last_error", s.last_error}};
    if (s.quota_requests.limit > 0) t["quota_requests"] = window_json(s.quota_requests);
    if (s.quota_tokens.limit > 0) t["quota_tokens"] = window_json(s.quota_tokens);
    targets.push_back(std::move(t));
  }
  return targets;
}

// Routes by name: requests, failovers, hedges, resumes, cache results.
json::array routes_json(pipeline::Generation& g, const cache::ResponseCache& cache) {
  json::array routes;
  std::set<std::string_view> configured;
  for (const auto& m : g.config.models) configured.insert(m.name);
  g.router.for_each_route([&](const std::string& name, const routing::RouteCounters& r) {
    const auto cached = cache.route_counts(name);
    routes.push_back(json::object{{"route", name},
                                  {"configured", configured.count(name) > 0},
                                  {"requests", r.requests},
                                  {"failovers", r.failovers},
                                  {"hedges", r.hedges},
                                  {"resumes", r.resumes},
                                  {"cache", json::object{{"hit", cached[0]}, {"miss", cached[1]}, {"bypass", cached[2]}, {"coalesced", cached[3]}}}});
  });
  return routes;
}
}  // namespace

json::object Gateway::dashboard() const {
  const Impl& impl = *impl_;
  pipeline::Generation& g = impl.pipeline.current();
  json::object out;
  out["time_ms"] = impl.account.wall_now_ms();
  out["config_hash"] = g.config.source_hash;
  auto totals_json = [](const auto& t) {
    return json::object{{"requests", t.requests}, {"errors", t.errors}, {"tokens", t.tokens}, {"cost_usd", t.cost_usd}};
  };
  out["since_start"] = totals_json(impl.account.since_start());
  out["today"] = totals_json(impl.account.today());
  const auto& c = g.router.counters();
  out["routing"] = json::object{{"requests", c.requests}, {"attempts", c.attempts},   {"retries", c.retries},
                                {"failovers", c.failovers}, {"hedges", c.hedges},     {"resumes", c.resumes},
                                {"ttft_timeouts", c.ttft_timeouts}, {"stream_breaks", c.stream_breaks}};
  // Quantiles over every target's histograms (seconds → milliseconds); the gateway's own overhead in µs.
  observability::FixedHistogram latency{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120};
  observability::FixedHistogram ttft{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
  g.router.merge_histograms(latency, ttft);
  out["latency"] = json::object{{"p50_ms", latency.quantile(0.5) * 1000},   {"p95_ms", latency.quantile(0.95) * 1000},
                                {"ttft_p50_ms", ttft.quantile(0.5) * 1000}, {"ttft_p95_ms", ttft.quantile(0.95) * 1000},
                                {"overhead_p99_us", impl.account.overhead().quantile(0.99) * 1e6}, {"samples", latency.count() + ttft.count()}};
  out["targets"] = targets_json(g.router);
  out["routes"] = routes_json(g, impl.cache);
  out["keys"] = g.governor.status_all();
  out["state_backend"] = json::object{{"backend", impl.redis ? "redis" : "memory"}, {"problem", health().state_problem}};
  out["cache"] = json::object{{"enabled", impl.cache.enabled()}, {"entries", impl.cache.store().entries()}, {"bytes", impl.cache.store().bytes()}};
  return out;
}

}  // namespace switchyard
