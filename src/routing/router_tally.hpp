#pragma once
// The router's counters of one reactor: retries, failovers, hedges, requests
// by route and so on, kept across reloads (one tally per reactor, handed to
// each generation's router). Written by that reactor only (RelaxedCounter);
// /metrics and the dashboard add every reactor's up, from any thread.
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "observability/prometheus.hpp"
#include "observability/relaxed_counter.hpp"

namespace switchyard::routing {

using Count = observability::RelaxedCounter<std::uint64_t>;
struct RouteCounters {
  Count requests, failovers, hedges, resumes;
  RouteCounters& operator+=(const RouteCounters& o) noexcept;
};

struct RouterCounters {
  Count requests;
  Count attempts;       // upstream calls
  Count retries;        // attempts on a target already tried for this request
  Count failovers;      // moves to another target
  Count ttft_timeouts;
  Count stream_breaks;  // streams that failed after their first chunk
  Count hedges;         // second targets started because the first was slow
  Count resumes;        // broken streams continued from another target
  Count health_checks;  // active probes finished
  Count health_check_failures;
  // Failed upstream tries by the error's code (upstream_connect_timeout, upstream_stalled, ...).
  std::map<std::string_view, std::uint64_t> failures;
  RouterCounters& operator+=(const RouterCounters& o);
};

class RouterTally {
 public:
  // The reactor's own counting.
  RouterCounters& live() noexcept { return counters_; }
  RouteCounters* count_request(std::string_view route, bool configured);
  void count_failure(std::string_view code);
  void count_resume(std::string_view route);

  // A copy (any thread).
  RouterCounters counters() const;
  // By the name the client asked for (configured routes, and up to 1,024 others), added into `out`.
  void add_routes(std::map<std::string, RouteCounters, std::less<>>& out) const;
  // Requests per route and the counters, summed over `tallies` (every reactor's).
  static void write_metrics(observability::PrometheusWriter& out, const std::vector<const RouterTally*>& tallies);

 private:
  RouterCounters counters_;
  // Taken by the owner only to add a route or a failure code (the maps grow) and by a
  // reader on another thread to walk them; counting into an existing entry takes no lock.
  mutable std::mutex maps_mu_;
  struct TransparentHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, RouteCounters, TransparentHash, std::equal_to<>> route_requests_;
  RouteCounters unnamed_;  // the route of a request past the bound (counted in counters_ only)
};

}  // namespace switchyard::routing
