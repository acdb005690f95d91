#pragma once
// The cache stage (a route with `cache = true`): a stored answer (a hit), an
// identical request in flight whose answer is shared (coalesced), or the
// leader that fetches the answer through the route and stores it (a miss).
// A hit and a follower end their exchange here (nothing taken from the key
// but the request; a ledger row with what it saved); a leader's fetch routes
// and accounts the exchange itself, in a coroutine of its own for a stream
// so that any of its readers may leave.
#include <switchyard/chat.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <memory>

#include "cache/response_cache.hpp"
#include "pipeline/account_stage.hpp"
#include "pipeline/exchange.hpp"

namespace switchyard::cache {
class SharedCache;
}

namespace switchyard::pipeline {

class CacheStage {
 public:
  // `shared`: the replicas' shared tier (Redis), or null.
  CacheStage(boost::asio::any_io_executor ex, cache::ResponseCache& cache, cache::SharedCache* shared, AccountStage& account)
      : ex_(std::move(ex)), cache_(cache), shared_(shared), account_(account) {}

  // Decides ex.cache from the route and the request's Cache-Control; true: this stage serves it.
  bool plan(Exchange& ex);
  boost::asio::awaitable<result<ChatResponse>> answer(Exchange& ex);
  boost::asio::awaitable<result<ChatStream>> stream(std::shared_ptr<Exchange> ex);

 private:
  // A hit: the exchange ends here, cost 0, what the stored answer cost saved.
  void account_hit(Exchange& ex, const cache::CachedEntry& entry);
  // A follower that waited for a whole answer: its exchange ends with what the leader's flight brought.
  void account_follower(Exchange& ex, const cache::Flight& flight, const Error* failed, std::chrono::nanoseconds waited);
  // A request that waited for another worker's fetch: its stored answer (`entry`), or its failure.
  void account_elsewhere(Exchange& ex, const cache::CachedEntry* entry, const Error* failed, std::chrono::nanoseconds waited);
  // Waits for another worker's fetch of the exchange's key: the error that ended the exchange
  // (accounted), or nothing (`waited` set: look in the store again).
  boost::asio::awaitable<std::optional<Error>> wait_elsewhere(Exchange& ex, std::optional<std::chrono::nanoseconds>& waited);
  // The leader's fetch: routes the exchange, fills the flight, stores the answer, accounts the exchange.
  boost::asio::awaitable<void> fetch(std::shared_ptr<cache::Flight> flight, Exchange& ex, std::shared_ptr<Exchange> keep);
  boost::asio::awaitable<void> fetch_stream(cache::Flight& f, Exchange& ex, std::optional<Error>& failed);
  // Before a fetch: an answer another replica stored (Redis), taken into the local store.
  boost::asio::awaitable<void> from_shared(const cache::CachePlan& plan);
  boost::asio::awaitable<result<ChatStream>> replay_whole(Exchange& ex, std::shared_ptr<cache::Flight> flight, bool& retry);
  boost::asio::awaitable<result<ChatStream>> read_flight(std::shared_ptr<Exchange> ex, std::shared_ptr<cache::Flight> flight);

  boost::asio::any_io_executor ex_;
  cache::ResponseCache& cache_;
  cache::SharedCache* shared_;
  AccountStage& account_;
};

}  // namespace switchyard::pipeline
