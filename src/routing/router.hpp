#pragma once
// The resilient router: for one request, orders the route's targets
// (order_targets), then carries out the attempt plan (resilience/attempt_plan):
// retries with backoff and Retry-After, failover, hedging, within the retry
// budget. Every outcome feeds the target's health slot and circuit breaker
// (TargetRegistry). Streams must produce their first chunk within the route's
// ttft_timeout, or the attempt is cancelled and the next target tried; once
// the first chunk is handed out (FirstChunkGate) the stream belongs to the
// client, and is only continued elsewhere when the route resumes
// (ResumingChunkSource).
#include <switchyard/chat.hpp>
#include <switchyard/config.hpp>
#include <switchyard/error.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "observability/prometheus.hpp"
#include "providers/provider_client.hpp"
#include "resilience/attempt_plan.hpp"
#include "routing/quota_gate.hpp"
#include "routing/route_resolver.hpp"
#include "routing/target_registry.hpp"
#include "routing/target_selection.hpp"

namespace switchyard::routing {

// One route's share of the counters below (the dashboard's routes table).
struct RouteCounters {
  std::uint64_t requests = 0, failovers = 0, hedges = 0, resumes = 0;
};

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
  // Failed upstream tries by the error's code (upstream_connect_timeout, upstream_stalled, ...).
  std::map<std::string_view, std::uint64_t> failures;
};

// What one try produced, besides the result: time to first chunk for
// streams, and which target produced it.
template <class T>
struct Attempted {
  result<T> value = make_error(errc::internal, "not attempted");
  std::optional<double> ttft_ms;
  TargetState* state = nullptr;
};

class Router {
 public:
  // `clients` are indexed like config.providers; both must outlive the router.
  // `previous`: the router of the configuration this one replaces (a reload):
  // its counters continue here and unchanged targets keep their state
  // (TargetRegistry); it keeps serving the requests that started with it.
  Router(boost::asio::any_io_executor ex, const Config& config,
         std::vector<std::shared_ptr<providers::ProviderClient>>& clients, Router* previous = nullptr);
  ~Router();

  boost::asio::awaitable<result<ChatResponse>> chat(const RoutePlan& plan, ChatRequest& request);
  // An OpenAI embeddings request (request.body), over the targets that serve embeddings.
  boost::asio::awaitable<result<ChatResponse>> embeddings(const RoutePlan& plan, ChatRequest& request);
  boost::asio::awaitable<result<ChatStream>> chat_stream(const RoutePlan& plan, ChatRequest& request);
  // A stream that skips the targets in `exclude` ("provider/model"); used to resume a broken stream.
  boost::asio::awaitable<result<ChatStream>> chat_stream_excluding(const RoutePlan& plan, ChatRequest& request,
                                                                   const std::vector<std::string>& exclude);

  // An active health check of a provider finished: feeds all its targets.
  void on_probe(std::size_t provider_index, bool ok);

  // Declared quotas counted by every replica too ([state] backend = "redis"):
  // asked after this replica's own quota took an attempt. Not set: quotas
  // are per replica. The gate outlives the router.
  void set_quota_gate(QuotaGate* gate) noexcept { quota_gate_ = gate; }

  std::vector<TargetStatus> status() const { return registry_.status(); }
  void merge_histograms(observability::FixedHistogram& latency, observability::FixedHistogram& ttft) const {
    registry_.merge_histograms(latency, ttft);
  }
  // Configured routes none of whose targets is usable now (circuit open or rate-limited).
  std::vector<std::string> unhealthy_routes() const { return registry_.unhealthy_routes(); }
  const RouterCounters& counters() const noexcept { return counters_; }
  // By the name the client asked for (configured routes, and up to 1,024 others).
  template <class F>
  void for_each_route(F&& f) const {
    for (const auto& [route, c] : route_requests_) f(route, c);
  }
  // Per-target series (TargetRegistry), requests per route and the counters above, in Prometheus text format.
  void write_metrics(observability::PrometheusWriter& out) const;

 private:
  template <class T, class Attempt>
  boost::asio::awaitable<result<T>> run(const RoutePlan& plan, ChatRequest& request, Attempt attempt,
                                        const std::vector<std::string>* exclude = nullptr, Operation op = Operation::chat);
  static void charge_unreported(ChatResponse& answer, const boost::json::object& body, std::span<const Target> targets,
                                const Selection& sel, TargetState* answered);
  template <class T, class Attempt>
  boost::asio::awaitable<Attempted<T>> recorded(Attempt& attempt, const Target& target, TargetState& st, std::uint64_t tokens);
  template <class T, class Attempt>
  boost::asio::awaitable<Attempted<T>> hedged(Attempt& attempt, std::span<const Target> targets, const Selection& sel,
                                              const resilience::PlanStep& step, resilience::AttemptPlan& plan);
  boost::asio::awaitable<result<std::pair<std::unique_ptr<ChunkSource>, std::optional<std::string_view>>>> first_chunk(
      const Target& target, TargetState& st, ChatRequest& request, Millis stall, Millis ttft_timeout, const NativeRequest* native);
  const NativeRequest* native_for(const RoutePlan& plan, const ChatRequest& request, const TargetState& st) const;
  RouteCounters* count_request(std::string_view route, bool configured);

  boost::asio::any_io_executor ex_;
  const Config& config_;
  std::vector<std::shared_ptr<providers::ProviderClient>>& clients_;
  TargetRegistry registry_;
  std::vector<std::string> secrets_;  // provider keys and header values: redacted from every error
  std::mt19937_64 rng_;
  RouterCounters counters_;
  struct TransparentHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, RouteCounters, TransparentHash, std::equal_to<>> route_requests_;
  RouteCounters unnamed_;  // the route of a request past the bound (counted in counters_ only)
  QuotaGate* quota_gate_ = nullptr;
  std::shared_ptr<Router*> alive_;  // the quota observers' way back here, expired once the router is gone
};

}  // namespace switchyard::routing
