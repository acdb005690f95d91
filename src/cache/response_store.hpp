#pragma once
// The response cache's memory: complete answers by key (cache_key), the least
// recently used evicted first once the stored bytes would pass max_bytes,
// each entry dropped once older than its TTL (when looked up, and by
// sweep()). Entries are shared: a hit being replayed survives its eviction.
// Single-threaded (the io_context's), like everything on the request path.
#include <switchyard/chat.hpp>

#include "cache/completion_chunks.hpp"

#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace switchyard::cache {

struct CachedEntry {
  std::string body;                 // the assembled answer (chat.completion JSON, or the client API's own)
  std::vector<std::string> chunks;  // a streamed answer's chunks as the gateway relayed them (empty: it came whole)
  bool native = false;              // body / chunks are in the client's own API (not chat completions)
  UsageMarks marks;                 // OpenAI chunks: where the usage is
  Usage usage;                      // what the answer used at its provider: what a hit saves
  double cost_usd = 0;
  std::string provider, model;
  std::int64_t stored_ms = 0;       // wall clock when stored
  std::int64_t ttl_ms = 0;          // dropped once older than this
};

class ResponseStore {
 public:
  explicit ResponseStore(std::size_t max_bytes) : max_bytes_(max_bytes) {}

  // Stores (or replaces) the entry under `key`, evicting the least recently
  // used ones to make room; false when it alone is larger than max_bytes (not stored).
  bool put(std::string key, CachedEntry entry);

  // The entry when there is one, not expired at `now_ms` and younger than
  // `max_age_ms` (-1: any age; 0: none); it becomes the most recently used.
  std::shared_ptr<const CachedEntry> find(const std::string& key, std::int64_t now_ms, std::int64_t max_age_ms = -1);

  // Drops every expired entry; how many.
  std::size_t sweep(std::int64_t now_ms);

  std::size_t bytes() const noexcept { return bytes_; }
  std::size_t entries() const noexcept { return index_.size(); }
  bool contains(const std::string& key) const { return index_.count(std::string_view(key)) > 0; }
  std::uint64_t evictions() const noexcept { return evictions_; }
  std::size_t max_bytes() const noexcept { return max_bytes_; }

  // What an entry counts against max_bytes: the memory its key, body and
  // chunks really take (the allocator's size classes included) and its bookkeeping.
  static std::size_t size_of(const std::string& key, const CachedEntry& entry) noexcept;

 private:
  struct Node {
    std::string key;
    std::shared_ptr<const CachedEntry> entry;
    std::size_t size = 0;
  };
  using List = std::list<Node>;  // front: most recently used
  void erase(List::iterator it);

  std::size_t max_bytes_;
  std::size_t bytes_ = 0;
  std::uint64_t evictions_ = 0;
  List lru_;
  std::unordered_map<std::string_view, List::iterator> index_;  // views the node's key
};

}  // namespace switchyard::cache
