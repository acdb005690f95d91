#include "cache/response_store.hpp"

namespace switchyard::cache {

namespace {
constexpr std::size_t kEntryOverhead = 256;  // list node, index slot, entry fields
constexpr std::size_t kChunkOverhead = 32;   // one std::string per chunk
}  // namespace

std::size_t ResponseStore::size_of(const std::string& key, const CachedEntry& e) noexcept {
  std::size_t n = kEntryOverhead + 2 * key.size() + e.body.size() + e.provider.size() + e.model.size();
  for (const auto& c : e.chunks) n += c.size() + kChunkOverhead;
  return n;
}

void ResponseStore::erase(List::iterator it) {
  bytes_ -= it->size;
  index_.erase(it->key);
  lru_.erase(it);
}

bool ResponseStore::put(std::string key, CachedEntry entry) {
  const std::size_t size = size_of(key, entry);
  if (auto it = index_.find(key); it != index_.end()) erase(it->second);
  if (size > max_bytes_) return false;
  while (bytes_ + size > max_bytes_ && !lru_.empty()) {
    erase(std::prev(lru_.end()));
    ++evictions_;
  }
  lru_.push_front(Node{key, std::make_shared<const CachedEntry>(std::move(entry)), size});
  index_.emplace(std::move(key), lru_.begin());
  bytes_ += size;
  return true;
}

std::shared_ptr<const CachedEntry> ResponseStore::find(const std::string& key, std::int64_t now_ms, std::int64_t max_age_ms) {
  auto it = index_.find(key);
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
