#pragma once
// The response cache: exact-match answers for routes with `cache = true`
// ([cache] enabled). Decides per request whether and how it is cached (its
// key, scope, TTL, the client's Cache-Control), keeps the stored answers
// (ResponseStore, LRU under max_bytes) and the answers being fetched
// (Flight: identical requests in flight are coalesced), serves hits as whole
// answers or replayed streams in either shape, and counts what it did for
// /metrics. The Gateway runs the fetches and writes the ledger rows.
#include <switchyard/chat.hpp>
#include <switchyard/config.hpp>

#include <boost/asio/any_io_executor.hpp>

#include <array>
#include <functional>
#include <map>
#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "cache/flight_board.hpp"
#include "cache/sharded_store.hpp"
#include "observability/relaxed_counter.hpp"
#include "cache/cache_key.hpp"
#include "cache/flight.hpp"
#include "cache/response_store.hpp"

namespace switchyard::observability {
class PrometheusWriter;
}

namespace switchyard::cache {

using Clock = std::function<std::int64_t()>;  // wall clock, milliseconds since the epoch

// What the cache does for one request.
struct CachePlan {
  CacheStatus status = CacheStatus::none;  // none: not a caching route; bypass: the client said so
  std::string key;                         // set when the cache is used
  // A request in a native API (Messages, Responses): the key of its other shape (whole for a stream,
  // streamed for a whole answer); a stored answer there is served converted (native_shapes.hpp).
  std::string other_shape_key;
  std::string route;
  std::int64_t ttl_ms = 0;
  std::int64_t max_age_ms = -1;
  bool lookup = false;  // may be served from the cache or an identical request in flight
  bool store = false;   // its answer may be stored
  bool usable() const noexcept { return status == CacheStatus::miss; }
};

// One per worker reactor (its flights wait on its timers); the stored answers
// (`store`) and the bytes held by answers being fetched are shared by every
// worker's cache. Identical requests are coalesced on one worker.
struct CacheShare {
  std::shared_ptr<ShardedStore> store;
  std::shared_ptr<FlightBoard> board;  // with several workers: their fetches in flight (null: one reactor)
  std::shared_ptr<std::atomic<std::size_t>> inflight_bytes = std::make_shared<std::atomic<std::size_t>>(0);
};

class ResponseCache {
 public:
  // `share`: the store of every worker (empty: this cache's own, one shard).
  ResponseCache(boost::asio::any_io_executor ex, const CacheConfig& config, Clock clock, CacheShare share = {});

  // `route` is the route's config (nullptr: not a configured route, never cached), `name` what the client asked for,
  // `key` the client's key (per_key: its answers are its own; null: an in-process caller).
  CachePlan plan(const ChatRequest& request, const auth::KeyEntry* key, const ModelRouteConfig* route, std::string_view name,
                 bool streaming) const;

  // A stored answer for the plan (counted as a hit), or null.
  std::shared_ptr<const CachedEntry> find(const CachePlan& plan);
  // The stored answer of a native request's other shape, converted to the plan's own
  // (a whole Messages / Responses answer as its events, a stored stream as the whole answer), or null.
  std::shared_ptr<const CachedEntry> find_other_shape(const CachePlan& plan, bool streaming);
 private:
  void store(const CachePlan& plan, const Flight& flight);

 public:
  // The fetch in flight for the plan's key that a new reader may join, or null.
  std::shared_ptr<Flight> in_flight(const CachePlan& plan);
  // Whether this worker may fetch the plan's key: true unless another worker is fetching it now
  // (then wait_elsewhere() and look again). A claim is ended by settle().
  bool claim(const CachePlan& plan);
  boost::asio::awaitable<FlightBoard::Outcome> wait_elsewhere(const CachePlan& plan);
  // A new fetch for the plan's key (claimed), registered for followers.
  std::shared_ptr<Flight> start(const CachePlan& plan, bool streaming);
  // The fetch ended: stored when it finished cleanly (and the plan allows), unregistered,
  // then the requests waiting for it on other workers wake.
  void settle(const CachePlan& plan, const std::shared_ptr<Flight>& flight);
  // The second tier (Redis, shared by replicas): stored answers are written
  // there too; adopt() takes one read from there into this replica's store.
  void set_shared(class SharedCache* shared) noexcept { shared_ = shared; }
  void adopt(const CachePlan& plan, CachedEntry entry);
  // An answer being fetched here, or one in the local store: nothing to ask the second tier.
  bool held(const CachePlan& plan) const;

  std::int64_t now_ms() const { return clock_(); }
  void count(const std::string& route, CacheStatus status, double saved_usd = 0);
  // The cache's series, summed over `caches` (every worker's; they share one store).
  static void write_metrics(observability::PrometheusWriter& out, const std::vector<const ResponseCache*>& caches);
  const ShardedStore& store() const noexcept { return *share_.store; }
  std::size_t inflight_bytes() const noexcept { return share_.inflight_bytes->load(std::memory_order_relaxed); }
  bool enabled() const noexcept { return config_.enabled; }
  // A route's requests by what the cache did: hit, miss, bypass, coalesced (zeros for a route it never saw).
  std::array<std::uint64_t, 4> route_counts(std::string_view route) const;

 private:
  boost::asio::any_io_executor ex_;
  CacheConfig config_;
  Clock clock_;
  CacheShare share_;
  std::int64_t last_sweep_ms_ = 0;
  mutable CacheKeyHasher hasher_;
  std::unordered_map<std::string, std::shared_ptr<Flight>> flights_;
  observability::RelaxedCounter<std::size_t> flight_count_;  // flights_.size(), for a reader on another thread
  // By route (configured routes only: bounded): hit, miss, bypass, coalesced. Counted by this
  // cache's worker; maps_mu_ is taken to add a route and by a reader on another thread.
  std::map<std::string, std::array<observability::RelaxedCounter<std::uint64_t>, 4>, std::less<>> requests_;
  mutable std::mutex maps_mu_;
  observability::RelaxedCounter<double> saved_usd_;
  SharedCache* shared_ = nullptr;
};

// Reads a stream out of a Flight (a leader or a follower) or a stored answer
// (a hit), as a ChunkSource; `include_usage`: the client asked for the usage
// chunk (OpenAI chunks: one the stored stream lacks is made from its usage,
// one it has but the client did not ask for is left out). `on_end` runs once
// when the stream ends, breaks or is dropped (accounting).
std::unique_ptr<ChunkSource> flight_reader(std::shared_ptr<Flight> flight, bool include_usage, bool leader,
                                           std::function<void(const Error*)> on_end);
std::unique_ptr<ChunkSource> entry_reader(std::shared_ptr<const CachedEntry> entry, bool include_usage);

// A stored answer as a whole answer (assembled from its chunks when it was a
// stream); nullopt when it cannot be (a native stream, or chunks that do not assemble).
std::optional<std::string> whole_body(const CachedEntry& entry);

}  // namespace switchyard::cache
