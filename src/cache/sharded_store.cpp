#include "cache/sharded_store.hpp"

#include <functional>

namespace switchyard::cache {

ShardedStore::ShardedStore(std::size_t max_bytes, std::size_t shards) : max_bytes_(max_bytes) {
  if (shards == 0) shards = 1;
  for (std::size_t i = 0; i < shards; ++i) shards_.push_back(std::make_unique<Shard>(max_bytes / shards));
}

ShardedStore::Shard& ShardedStore::shard_of(const std::string& key) const noexcept {
  if (shards_.size() == 1) return *shards_[0];
  return *shards_[std::hash<std::string>{}(key) % shards_.size()];
}

bool ShardedStore::put(std::string key, CachedEntry entry) {
  auto& s = shard_of(key);
  std::lock_guard lock(s.mu);
  return s.store.put(std::move(key), std::move(entry));
}

std::shared_ptr<const CachedEntry> ShardedStore::find(const std::string& key, std::int64_t now_ms, std::int64_t max_age_ms) {
  auto& s = shard_of(key);
  std::lock_guard lock(s.mu);
  return s.store.find(key, now_ms, max_age_ms);
}

bool ShardedStore::contains(const std::string& key) const {
  auto& s = shard_of(key);
  std::lock_guard lock(s.mu);
  return s.store.contains(key);
}

template <class F>
auto ShardedStore::summed(F f) const {
  decltype(f(std::declval<ResponseStore&>())) n{};
  for (const auto& s : shards_) {
    std::lock_guard lock(s->mu);
    n += f(s->store);
  }
  return n;
}

std::size_t ShardedStore::sweep(std::int64_t now_ms) {
  return summed([now_ms](ResponseStore& s) { return s.sweep(now_ms); });
}

std::size_t ShardedStore::bytes() const {
  return summed([](ResponseStore& s) { return s.bytes(); });
}

std::size_t ShardedStore::entries() const {
  return summed([](ResponseStore& s) { return s.entries(); });
}

std::uint64_t ShardedStore::evictions() const {
  return summed([](ResponseStore& s) { return s.evictions(); });
}

}  // namespace switchyard::cache
