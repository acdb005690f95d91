// Gateway's view for the status dashboard (GET /admin/events): what /metrics,
// /v1/providers and the key views show, gathered in one JSON object.
#include "gateway/gateway_impl.hpp"

#include <boost/json.hpp>

#include <array>
#include <map>
#include <set>

namespace switchyard {

namespace json = boost::json;

namespace {
json::object window_json(const governance::WindowStatus& w) {
  return json::object{{"limit", w.limit}, {"remaining", w.remaining}, {"reset_ms", w.reset_ms}};
}

// Every target: health, circuit, in flight, quota, last failure.
json::array targets_json(const routing::TargetRegistry& registry) {
  json::array targets;
  for (const auto& s : registry.status()) {
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
json::array routes_json(const Config& config, const std::vector<std::unique_ptr<Reactor>>& reactors) {
  json::array routes;
  std::set<std::string_view> configured;
  for (const auto& m : config.models) configured.insert(m.name);
  std::map<std::string, routing::RouteCounters, std::less<>> by_route;
  for (const auto& r : reactors) r->pipeline.tally().add_routes(by_route);
  for (const auto& [name, r] : by_route) {
    std::array<std::uint64_t, 4> cached{};
    for (const auto& reactor : reactors) {
      const auto part = reactor->cache.route_counts(name);
      for (std::size_t i = 0; i < cached.size(); ++i) cached[i] += part[i];
    }
    routes.push_back(json::object{{"route", name},
                                  {"configured", configured.count(name) > 0},
                                  {"requests", r.requests.get()},
                                  {"failovers", r.failovers.get()},
                                  {"hedges", r.hedges.get()},
                                  {"resumes", r.resumes.get()},
                                  {"cache", json::object{{"hit", cached[0]}, {"miss", cached[1]}, {"bypass", cached[2]}, {"coalesced", cached[3]}}}});
  }
  return routes;
}
}  // namespace

routing::RouterCounters routing_of(const std::vector<std::unique_ptr<Reactor>>& reactors);  // gateway_views.cpp

json::object Gateway::dashboard(std::size_t reactor) const {
  const Impl& impl = *impl_;
  const auto g = impl.now();
  json::object out;
  out["time_ms"] = impl.main().account.wall_now_ms();
  out["config_hash"] = g->config.source_hash;
  auto totals_json = [](const auto& t) {
    return json::object{{"requests", t.requests}, {"errors", t.errors}, {"tokens", t.tokens}, {"cost_usd", t.cost_usd}};
  };
  pipeline::Totals since_start, today;
  for (const auto& r : impl.reactors) {
    since_start += r->account.since_start();
    today += r->account.today();
  }
  out["since_start"] = totals_json(since_start);
  out["today"] = totals_json(today);
  if (const auto fleet = impl.ledger->fleet_today()) {  // a shared ledger: every replica's rows (a few seconds old)
    pipeline::Totals all;
    all.requests = fleet->requests;
    all.errors = fleet->errors;
    all.tokens = fleet->prompt_tokens + fleet->completion_tokens;
    all.cost_usd = fleet->cost_usd;
    out["today"] = totals_json(all);
    out["today_scope"] = "every replica";
  }
  const auto c = routing_of(impl.reactors);
  out["routing"] = json::object{{"requests", c.requests.get()}, {"attempts", c.attempts.get()},   {"retries", c.retries.get()},
                                {"failovers", c.failovers.get()}, {"hedges", c.hedges.get()},     {"resumes", c.resumes.get()},
                                {"ttft_timeouts", c.ttft_timeouts.get()}, {"stream_breaks", c.stream_breaks.get()}};
  // Quantiles over every target's histograms (seconds → milliseconds); the gateway's own overhead in µs.
  observability::FixedHistogram latency{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120};
  observability::FixedHistogram ttft{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
  g->targets.merge_histograms(latency, ttft);
  observability::FixedHistogram overhead = impl.main().account.overhead();
  for (std::size_t i = 1; i < impl.reactors.size(); ++i) overhead.merge(impl.reactors[i]->account.overhead());
  out["latency"] = json::object{{"p50_ms", latency.quantile(0.5) * 1000},   {"p95_ms", latency.quantile(0.95) * 1000},
                                {"ttft_p50_ms", ttft.quantile(0.5) * 1000}, {"ttft_p95_ms", ttft.quantile(0.95) * 1000},
                                {"overhead_p99_us", overhead.quantile(0.99) * 1e6}, {"samples", latency.count() + ttft.count()}};
  out["targets"] = targets_json(g->targets);
  out["routes"] = routes_json(g->config, impl.reactors);
  out["keys"] = g->governor.status_all();
  out["alerts"] = json::parse(alerts_json()).at("alerts");
  out["state_backend"] = json::object{{"backend", impl.main().redis ? "redis" : "memory"}, {"problem", health(reactor).state_problem}};
  const auto& store = impl.main().cache.store();
  out["cache"] = json::object{{"enabled", impl.main().cache.enabled()}, {"entries", store.entries()}, {"bytes", store.bytes()}};
  return out;
}

}  // namespace switchyard
