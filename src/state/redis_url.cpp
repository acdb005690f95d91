#include "state/redis_url.hpp"

#include <boost/url/parse.hpp>

#include <charconv>

namespace switchyard::state {

std::variant<RedisEndpoint, std::string> parse_redis_url(std::string_view text) {
  if (text.starts_with("rediss://")) {
    return std::string("rediss:// (TLS) is not supported: Debian's hiredis 0.14 has no TLS; use redis:// on a trusted network or a TLS tunnel");
  }
  if (!text.starts_with("redis://")) return std::string("expected redis://[user:password@]host:port/db");
  auto url = boost::urls::parse_uri(text);
  if (!url) return std::string("not a URL: ") + url.error().message();
  RedisEndpoint e;
  e.host = std::string(url->host_address());
  if (e.host.size() >= 2 && e.host.front() == '[') e.host = e.host.substr(1, e.host.size() - 2);
  if (e.host.empty()) return std::string("no host");
  if (url->has_port()) {
    const std::string_view digits = url->port();
    unsigned port = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
    if (ec != std::errc() || end != digits.data() + digits.size() || port == 0 || port > 65535) return std::string("the port must be 1 to 65535");
    e.port = static_cast<std::uint16_t>(port);
  }
  if (url->has_userinfo()) {
    e.user = std::string(url->user());
    e.password = std::string(url->password());
    if (!url->has_password()) {  // redis://password@host: the part before '@' is the password
      e.password = e.user;
      e.user.clear();
    }
  }
  std::string_view path = url->encoded_path();
  if (path.starts_with('/')) path.remove_prefix(1);
  if (!path.empty()) {
    int db = 0;
    const auto [end, ec] = std::from_chars(path.data(), path.data() + path.size(), db);
    if (ec != std::errc() || end != path.data() + path.size() || db < 0 || db > 15) return std::string("the database must be a number from 0 to 15");
    e.db = db;
  }
  return e;
}

}  // namespace switchyard::state
