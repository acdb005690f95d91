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
#include "routing/attempt_span.hpp"
#include "routing/quota_gate.hpp"
#include "routing/route_resolver.hpp"
#include "routing/router_tally.hpp"
#include "routing/target_registry.hpp"
#include "routing/target_selection.hpp"

namespace switchyard::routing {

// One route's share of the counters below (the dashboard's routes table).
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
  // `clients` are indexed like config.providers (this reactor's: their pools);
  // `targets`: every target's state, shared by the routers of every worker
  // reactor; all must outlive the router. `previous`: this reactor's router of
  // `tally`: the reactor's counters (they outlive a reload: one per reactor).
  Router(boost::asio::any_io_executor ex, const Config& config, std::vector<std::shared_ptr<providers::ProviderClient>>& clients,
         TargetRegistry& targets, std::shared_ptr<RouterTally> tally);
  // A router of its own (tests, a single reactor): its own target states and counters.
  Router(boost::asio::any_io_executor ex, const Config& config, std::vector<std::shared_ptr<providers::ProviderClient>>& clients);
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
  const RouterTally& tally() const noexcept { return *tally_; }
  RouterCounters counters() const { return tally_->counters(); }

 private:
  Router(boost::asio::any_io_executor ex, const Config& config, std::vector<std::shared_ptr<providers::ProviderClient>>& clients,
         std::unique_ptr<TargetRegistry> owned);
  template <class T, class Attempt>
  boost::asio::awaitable<result<T>> run(const RoutePlan& plan, ChatRequest& request, Attempt attempt,
                                        const std::vector<std::string>* exclude = nullptr, Operation op = Operation::chat);
  static void charge_unreported(ChatResponse& answer, const boost::json::object& body, std::span<const Target> targets,
                                const Selection& sel, TargetState* answered);
  // What every attempt of one run shares: the plan (its trace), the request, the operation.
  struct RunContext {
    const RoutePlan& plan;
    const ChatRequest& request;
    Operation op;
    bool stream;
  };
  template <class T, class Attempt>
  boost::asio::awaitable<Attempted<T>> recorded(Attempt& attempt, const Target& target, TargetState& st, std::uint64_t tokens,
                                                const RunContext& run);
  template <class T, class Attempt>
  boost::asio::awaitable<Attempted<T>> hedged(Attempt& attempt, std::span<const Target> targets, const Selection& sel,
                                              const resilience::PlanStep& step, resilience::AttemptPlan& plan, const RunContext& run);
  // The attempt's span (a sampled request) and the traceparent its provider gets.
  AttemptTrace trace_attempt(const Target& target, const TargetState& st, const RunContext& run) const;
  // The attempt's span ends (a stream's answering attempt is held until the stream ends).
  template <class T>
  static void end_attempt(AttemptTrace& at, const Attempted<T>& outcome, resilience::CircuitState before, resilience::CircuitState after);
  boost::asio::awaitable<result<std::pair<std::unique_ptr<ChunkSource>, std::optional<std::string_view>>>> first_chunk(
      const Target& target, TargetState& st, ChatRequest& request, Millis stall, Millis ttft_timeout, const NativeRequest* native,
      std::string_view traceparent);
  const NativeRequest* native_for(const RoutePlan& plan, const ChatRequest& request, const TargetState& st) const;

  boost::asio::any_io_executor ex_;
  const Config& config_;
  std::vector<std::shared_ptr<providers::ProviderClient>>& clients_;
  std::unique_ptr<TargetRegistry> owned_;  // the second constructor's
  TargetRegistry& registry_;
  std::vector<std::string> secrets_;  // provider keys and header values: redacted from every error
  std::vector<std::pair<std::string, std::int64_t>> servers_;  // each provider's host and port (attempt spans' server.*)
  std::mt19937_64 rng_;
  std::shared_ptr<RouterTally> tally_;
  RouterCounters& counters_;  // tally_'s, counted by this reactor
  QuotaGate* quota_gate_ = nullptr;
  std::shared_ptr<Router*> alive_;  // the quota observers' way back here, expired once the router is gone
};

}  // namespace switchyard::routing
