#pragma once
// The resilient router: for one request, orders the route's targets
// (TargetSelector), then tries them: retries on the same target with
// full-jitter backoff (honouring Retry-After), fails over to the next target
// on retryable errors, never on the caller's own errors (400, 404, ...),
// within a total retry budget. Every outcome feeds the target's health slot
// and circuit breaker. Streams must produce their first chunk within the
// route's ttft_timeout, or the attempt is cancelled (its connection closed)
// and the next target tried; once the first chunk is handed out, the stream
// belongs to the client and is never silently restarted.
#include <switchyard/chat.hpp>
#include <switchyard/config.hpp>
#include <switchyard/error.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include <list>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "health/health_score.hpp"
#include "observability/prometheus.hpp"
#include "health/health_table.hpp"
#include "providers/provider_client.hpp"
#include "resilience/circuit_breaker.hpp"
#include "routing/route_resolver.hpp"
#include "routing/target_selector.hpp"

namespace switchyard::routing {

struct RouterCounters {
  std::uint64_t requests = 0;
  std::uint64_t attempts = 0;       // upstream calls
  std::uint64_t retries = 0;        // attempts on a target already tried for this request
  std::uint64_t failovers = 0;      // moves to another target
  std::uint64_t ttft_timeouts = 0;
  std::uint64_t stream_breaks = 0;  // streams that failed after their first chunk
  std::uint64_t hedges = 0;         // second targets started because the first was slow
  std::uint64_t resumes = 0;        // broken streams continued from another target
  std::uint64_t health_checks = 0;  // active probes finished
  std::uint64_t health_check_failures = 0;
};

// A target's runtime state (health slot, breaker, per-target metrics); defined in router.cpp.
struct TargetState;

// What one try produced, besides the result: time to first chunk for streams,
// and which target produced it.
template <class T>
struct Attempted {
  result<T> value = make_error(errc::internal, "not attempted");
  std::optional<double> ttft_ms;
  TargetState* state = nullptr;
};

struct TargetStatus {
  std::string provider, model;
  health::HealthSnapshot health;
  resilience::CircuitState circuit = resilience::CircuitState::closed;
  double score = 1;
};

// What the request asks of a target, read from its body.
RequestNeeds needs_of(const boost::json::object& body);

class Router {
 public:
  // `clients` are indexed like config.providers; both must outlive the router.
  Router(boost::asio::any_io_executor ex, const Config& config,
         std::vector<std::unique_ptr<providers::ProviderClient>>& clients);
  ~Router();

  boost::asio::awaitable<result<ChatResponse>> chat(const RoutePlan& plan, ChatRequest& request);
  boost::asio::awaitable<result<ChatStream>> chat_stream(const RoutePlan& plan, ChatRequest& request);
  // A stream that skips the targets in `exclude` ("provider/model"); used to resume a broken stream.
  boost::asio::awaitable<result<ChatStream>> chat_stream_excluding(const RoutePlan& plan, ChatRequest& request,
                                                                   const std::vector<std::string>& exclude);

  // An active health check of a provider finished: feeds all its targets.
  void on_probe(std::size_t provider_index, bool ok);

  std::vector<TargetStatus> status() const;
  // Configured routes none of whose targets is usable now (circuit open or rate-limited).
  std::vector<std::string> unhealthy_routes() const;
  const RouterCounters& counters() const noexcept { return counters_; }
  // Per-target requests by status, latency and TTFT histograms, circuits,
  // scores and the counters above, in Prometheus text format.
  void write_metrics(observability::PrometheusWriter& out) const;

 private:
  template <class T, class Attempt>
  boost::asio::awaitable<result<T>> run(const RoutePlan& plan, ChatRequest& request, Attempt attempt,
                                        const std::vector<std::string>* exclude = nullptr);
  template <class T, class Attempt>
  boost::asio::awaitable<Attempted<T>> recorded(Attempt& attempt, const Target& target, TargetState& st);
  std::optional<Millis> hedge_delay_for(const RoutePlan& plan, const TargetState& st) const;
  TargetState* state_for(const Target& target);
  // Makes room for one more ad-hoc target: retires the least recently used
  // one no request is using. False when every one is in use.
  bool retire_adhoc();
  TargetState& other_of(std::size_t provider_index);
  TargetView view_of(TargetState& state, health::TimePoint now, const health::PeerBaseline& peers);

  boost::asio::any_io_executor ex_;
  const Config& config_;
  std::vector<std::unique_ptr<providers::ProviderClient>>& clients_;
  health::HealthTable table_;
  std::unordered_map<std::string, std::unique_ptr<TargetState>> states_;  // "provider/model"
  std::unordered_map<const TargetConfig*, TargetState*> by_config_;       // configured targets, without a key string
  std::list<TargetState*> adhoc_lru_;                                      // ad-hoc targets, most recently used first
  std::map<std::size_t, std::unique_ptr<TargetState>> others_;             // per provider: retired ad-hoc targets' counts
  std::vector<std::string> secrets_;                                       // provider keys and header values: redacted from every error
  std::mt19937_64 rng_;
  RouterCounters counters_;
  struct TransparentHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, std::uint64_t, TransparentHash, std::equal_to<>> route_requests_;
};

}  // namespace switchyard::routing
