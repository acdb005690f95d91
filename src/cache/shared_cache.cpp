#include "cache/shared_cache.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

namespace switchyard::cache {

namespace asio = boost::asio;

SharedCache::SharedCache(asio::any_io_executor ex, state::RedisClient& redis, std::string prefix, std::chrono::milliseconds timeout,
                         std::size_t max_entry_bytes)
    : ex_(std::move(ex)), redis_(redis), prefix_(std::move(prefix)), timeout_(timeout), max_entry_bytes_(max_entry_bytes) {}

namespace {
std::vector<std::string> command_of(std::string a, std::string b) {
  std::vector<std::string> out;
  out.push_back(std::move(a));
  out.push_back(std::move(b));
  return out;
}
}  // namespace

asio::awaitable<std::optional<CachedEntry>> SharedCache::get(const std::string& key) {
  auto reply = co_await redis_.command(command_of("GET", prefix_ + "cache:" + key), timeout_);
  if (!reply || reply->is_error()) {
    ++stats_->errors;
    co_return std::nullopt;
  }
  if (reply->type != state::RedisReply::Type::string || reply->text.size() > max_entry_bytes_) {
    ++stats_->misses;
    co_return std::nullopt;
  }
  auto entry = decode_entry(reply->text);
  if (!entry) {
    ++stats_->errors;
    co_return std::nullopt;
  }
  ++stats_->hits;
  co_return entry;
}

void SharedCache::put(const std::string& key, const CachedEntry& entry, std::int64_t now_ms) {
  const std::int64_t left = entry.stored_ms + entry.ttl_ms - now_ms;
  if (left <= 0) return;
  std::string value = encode_entry(entry);
  if (value.size() > max_entry_bytes_) return;
  std::vector<std::string> cmd{"SET", prefix_ + "cache:" + key, std::move(value), "PX", std::to_string(left)};
  try {
    asio::co_spawn(ex_, [](state::RedisClient& redis, std::vector<std::string> cmd, std::chrono::milliseconds timeout,
                           std::shared_ptr<Stats> stats) -> asio::awaitable<void> {
      // A store may wait a little longer than a lookup: nobody waits on it.
      auto reply = co_await redis.command(std::move(cmd), timeout);
      if (reply && !reply->is_error()) ++stats->stores;
      else ++stats->store_errors;
    }(redis_, std::move(cmd), 4 * timeout_, stats_), asio::detached);
  } catch (...) {  // out of memory: the entry stays local
    ++stats_->store_errors;
  }
}

}  // namespace switchyard::cache
