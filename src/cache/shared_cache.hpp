#pragma once
// The response cache's second tier with [state] backend = "redis": stored
// answers (the relayed chunks, or the whole body, with their usage and cost)
// kept in Redis under the cache key with their remaining TTL, so an answer
// fetched through one replica is a hit on every other. The in-process store
// stays the first tier (a hit there costs no round trip); coalescing of
// identical requests in flight stays per replica. A lookup waits at most the
// state's redis_timeout_ms; Redis slow or down is a miss, never an error.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "observability/relaxed_counter.hpp"
#include "cache/cached_entry_codec.hpp"
#include "cache/response_store.hpp"
#include "state/redis_client.hpp"

namespace switchyard::cache {

class SharedCache {
 public:
  struct Stats {
    observability::RelaxedCounter<std::uint64_t> hits, misses, errors, stores, store_errors;  // read from any thread
  };
  // `max_entry_bytes`: larger encoded entries are neither stored nor read back (the local tier's per-answer cap).
  SharedCache(boost::asio::any_io_executor ex, state::RedisClient& redis, std::string prefix, std::chrono::milliseconds timeout,
              std::size_t max_entry_bytes);

  // The entry stored under `key` by any replica, or nullopt (none, expired, or Redis did not answer in time).
  boost::asio::awaitable<std::optional<CachedEntry>> get(const std::string& key);
  // Stores the entry for the rest of its TTL (at `now_ms`), in the background.
  void put(const std::string& key, const CachedEntry& entry, std::int64_t now_ms);

  const Stats& stats() const noexcept { return *stats_; }

 private:
  boost::asio::any_io_executor ex_;
  state::RedisClient& redis_;
  std::string prefix_;
  std::chrono::milliseconds timeout_;
  std::size_t max_entry_bytes_;
  std::shared_ptr<Stats> stats_ = std::make_shared<Stats>();
};

}  // namespace switchyard::cache
