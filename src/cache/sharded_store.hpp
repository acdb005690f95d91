#pragma once
// The response cache's stored answers, one store for every worker reactor:
// a hit does not depend on which worker a request landed on. The keys are
// spread over shards (by their hash, itself a SHA-256: uniform), each a
// ResponseStore of max_bytes / shards under its own lock, held for a lookup
// or an insert only (no I/O, no wait). Routes without cache never come here.
// One shard (a single reactor) is exactly one ResponseStore.
#include <memory>
#include <mutex>
#include <vector>

#include "cache/response_store.hpp"

namespace switchyard::cache {

class ShardedStore {
 public:
  ShardedStore(std::size_t max_bytes, std::size_t shards);

  bool put(std::string key, CachedEntry entry);
  std::shared_ptr<const CachedEntry> find(const std::string& key, std::int64_t now_ms, std::int64_t max_age_ms = -1);
  bool contains(const std::string& key) const;
  std::size_t sweep(std::int64_t now_ms);

  std::size_t bytes() const;
  std::size_t entries() const;
  std::uint64_t evictions() const;
  std::size_t max_bytes() const noexcept { return max_bytes_; }
  std::size_t shards() const noexcept { return shards_.size(); }

 private:
  struct Shard {
    explicit Shard(std::size_t max_bytes) : store(max_bytes) {}
    mutable std::mutex mu;
    ResponseStore store;
  };
  Shard& shard_of(const std::string& key) const noexcept;
  template <class F>
  auto summed(F f) const;

  std::size_t max_bytes_;
  std::vector<std::unique_ptr<Shard>> shards_;
};

}  // namespace switchyard::cache
