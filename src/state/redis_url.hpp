#pragma once
// redis://[user:password@]host:port/db, read into where to connect ([state]
// redis_url). Checked when the config is loaded, so a bad URL is a startup
// error naming the key, not a failure at the first request.
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace switchyard::state {

// Where a Redis server is: redis://[user:password@]host:port/db.
struct RedisEndpoint {
  std::string host = "127.0.0.1";
  std::uint16_t port = 6379;
  std::string user, password;  // AUTH after connecting when the password is set
  int db = 0;
};
// The endpoint, or what is wrong with the URL (rediss:// included: no TLS in this hiredis).
std::variant<RedisEndpoint, std::string> parse_redis_url(std::string_view url);

}  // namespace switchyard::state
