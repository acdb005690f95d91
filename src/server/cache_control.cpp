#include "server/cache_control.hpp"

#include <boost/beast/core/string.hpp>

#include <charconv>

namespace switchyard::server {

namespace {
std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}
constexpr std::int64_t kMaxAgeSeconds = 10LL * 365 * 86'400;  // a larger max-age means "any age"
}  // namespace

CacheControl parse_cache_control(std::string_view header, std::string_view switchyard_cache) {
  CacheControl c;
  c.off = boost::beast::iequals(trim(switchyard_cache), "off");
  while (!header.empty()) {
    const auto comma = header.find(',');
    const std::string_view directive = trim(header.substr(0, comma));
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    const auto eq = directive.find('=');
    const std::string_view name = trim(directive.substr(0, eq));
    if (boost::beast::iequals(name, "no-cache")) {
      c.no_cache = true;
    } else if (boost::beast::iequals(name, "no-store")) {
      c.no_store = true;
    } else if (boost::beast::iequals(name, "max-age") && eq != std::string_view::npos) {
      std::string_view value = trim(directive.substr(eq + 1));
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
      std::int64_t seconds = 0;
      const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
      if (ec == std::errc() && end == value.data() + value.size() && seconds >= 0) {
        if (seconds < kMaxAgeSeconds) c.max_age_ms = c.max_age_ms < 0 ? seconds * 1000 : std::min(c.max_age_ms, seconds * 1000);
      }
    }
  }
  return c;
}

}  // namespace switchyard::server
