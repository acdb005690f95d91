#include "routing/router_tally.hpp"

namespace switchyard::routing {

RouteCounters& RouteCounters::operator+=(const RouteCounters& o) noexcept {
  requests += o.requests;
  failovers += o.failovers;
  hedges += o.hedges;
  resumes += o.resumes;
  return *this;
}

RouterCounters& RouterCounters::operator+=(const RouterCounters& o) {
  requests += o.requests;
  attempts += o.attempts;
  retries += o.retries;
  failovers += o.failovers;
  ttft_timeouts += o.ttft_timeouts;
  stream_breaks += o.stream_breaks;
  hedges += o.hedges;
  resumes += o.resumes;
  health_checks += o.health_checks;
  health_check_failures += o.health_check_failures;
  for (const auto& [code, n] : o.failures) failures[code] += n;
  return *this;
}

RouteCounters* RouterTally::count_request(std::string_view route, bool configured) {
  ++counters_.requests;
  RouteCounters* c = &unnamed_;
  if (auto it = route_requests_.find(route); it != route_requests_.end()) {
    c = &it->second;
  } else if (configured || route_requests_.size() < 1024) {
    std::lock_guard lock(maps_mu_);  // a reader may be walking the map
    c = &route_requests_.emplace(std::string(route), RouteCounters{}).first->second;
  }
  ++c->requests;
  return c;
}

void RouterTally::count_failure(std::string_view code) {
  std::lock_guard lock(maps_mu_);
  ++counters_.failures[code];
}

RouterCounters RouterTally::counters() const {
  std::lock_guard lock(maps_mu_);
  return counters_;
}

void RouterTally::add_routes(std::map<std::string, RouteCounters, std::less<>>& out) const {
  std::lock_guard lock(maps_mu_);
  for (const auto& [route, c] : route_requests_) out[route] += c;
}

void RouterTally::count_resume(std::string_view route) {
  ++counters_.resumes;
  if (auto it = route_requests_.find(route); it != route_requests_.end()) ++it->second.resumes;
}

void RouterTally::write_metrics(observability::PrometheusWriter& out, const std::vector<const RouterTally*>& tallies) {
  RouterCounters sum;
  std::map<std::string, RouteCounters, std::less<>> routes;
  for (const auto* r : tallies) {
    sum += r->counters();
    r->add_routes(routes);
  }
  out.help("switchyard_route_requests_total", "counter", "Requests by the model (route) the client asked for.");
  for (const auto& [route, c] : routes) out.sample("switchyard_route_requests_total", {{"route", route}}, static_cast<double>(c.requests));
  const std::pair<const char*, std::uint64_t> counters[] = {
      {"switchyard_upstream_attempts_total", sum.attempts}, {"switchyard_retries_total", sum.retries},
      {"switchyard_failovers_total", sum.failovers},         {"switchyard_ttft_timeouts_total", sum.ttft_timeouts},
      {"switchyard_stream_breaks_total", sum.stream_breaks}, {"switchyard_hedges_total", sum.hedges},
      {"switchyard_resumes_total", sum.resumes},             {"switchyard_health_checks_total", sum.health_checks},
      {"switchyard_health_check_failures_total", sum.health_check_failures}};
  for (const auto& [name, value] : counters) {
    out.help(name, "counter", "Router events.");
    out.sample(name, {}, static_cast<double>(value));
  }
  out.help("switchyard_upstream_failures_total", "counter", "Failed upstream tries by reason (the error code a client would see).");
  for (const auto& [reason, n] : sum.failures) out.sample("switchyard_upstream_failures_total", {{"reason", reason}}, static_cast<double>(n));
}

}  // namespace switchyard::routing
