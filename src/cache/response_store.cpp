#include "cache/response_store.hpp"

#include <malloc.h>

#include <algorithm>

namespace switchyard::cache {

namespace {
// What a string's characters take on the heap: nothing while they fit in the
// string itself, else the allocation as the allocator made it (its size class).
std::size_t heap_of(const std::string& s) noexcept {
  const char* at = s.data();
  const char* self = reinterpret_cast<const char*>(&s);
  if (at >= self && at < self + sizeof(std::string)) return 0;  // held inside the string (small-string buffer)
  return malloc_usable_size(const_cast<char*>(at));
}
// Per entry: the list node (its key, the shared entry, links), the index's
// node and bucket, the entry and its shared_ptr control block (make_shared: one allocation).
constexpr std::size_t kEntryOverhead = sizeof(std::string) + 2 * sizeof(void*) + 16 + 2 * sizeof(void*) +  // list node
                                       sizeof(std::string_view) + 3 * sizeof(void*) + sizeof(void*) +   // index node, bucket
                                       sizeof(CachedEntry) + 16 + 32;                                  // entry, control block, rounding
}  // namespace

std::size_t ResponseStore::size_of(const std::string& key, const CachedEntry& e) noexcept {
  std::size_t n = kEntryOverhead + std::max(heap_of(key), key.size()) + heap_of(e.body) + heap_of(e.provider) + heap_of(e.model);
  n += e.chunks.capacity() * sizeof(std::string) + e.marks.usage_only.capacity() * sizeof(std::size_t);
  for (const auto& c : e.chunks) n += heap_of(c);
  return n;
}

void ResponseStore::erase(List::iterator it) {
  bytes_ -= it->size;
  index_.erase(std::string_view(it->key));
  lru_.erase(it);
}

bool ResponseStore::put(std::string key, CachedEntry entry) {
  const std::size_t size = size_of(key, entry);
  if (auto it = index_.find(std::string_view(key)); it != index_.end()) erase(it->second);
  if (size > max_bytes_) return false;
  while (bytes_ + size > max_bytes_ && !lru_.empty()) {
    erase(std::prev(lru_.end()));
    ++evictions_;
  }
  lru_.push_front(Node{std::move(key), std::make_shared<const CachedEntry>(std::move(entry)), size});
  index_.emplace(std::string_view(lru_.front().key), lru_.begin());
  bytes_ += size;
  return true;
}

std::shared_ptr<const CachedEntry> ResponseStore::find(const std::string& key, std::int64_t now_ms, std::int64_t max_age_ms) {
  auto it = index_.find(std::string_view(key));
  if (it == index_.end()) return nullptr;
  const auto node = it->second;
  const std::int64_t age = now_ms - node->entry->stored_ms;
  if (age > node->entry->ttl_ms) {  // expired: gone for everyone
    erase(node);
    return nullptr;
  }
  if (max_age_ms >= 0 && age >= max_age_ms) return nullptr;  // too old for this client, fine for others
  lru_.splice(lru_.begin(), lru_, node);
  return node->entry;
}

std::size_t ResponseStore::sweep(std::int64_t now_ms) {
  std::size_t dropped = 0;
  for (auto it = lru_.begin(); it != lru_.end();) {
    auto next = std::next(it);
    if (now_ms - it->entry->stored_ms > it->entry->ttl_ms) {
      erase(it);
      ++dropped;
    }
    it = next;
  }
  return dropped;
}

}  // namespace switchyard::cache
