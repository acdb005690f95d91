#include "providers/quota_headers.hpp"

#include <boost/beast/core/string.hpp>

#include <charconv>
#include <chrono>
#include <cstdio>
#include <string>

namespace switchyard::providers {

namespace {
// "2026-11-30T02:30:00Z" (fractions and offsets other than Z are not expected from Anthropic).
std::optional<std::int64_t> rfc3339_ms(std::string_view text) {
  int y = 0;
  unsigned mo = 0, d = 0, h = 0, mi = 0, s = 0;
  const std::string t(text.substr(0, 40));
  if (std::sscanf(t.c_str(), "%d-%u-%uT%u:%u:%u", &y, &mo, &d, &h, &mi, &s) != 6) return std::nullopt;
  using namespace std::chrono;
  const year_month_day ymd{year{y}, month{mo}, day{d}};
  if (!ymd.ok() || h > 23 || mi > 59 || s > 60) return std::nullopt;
  return duration_cast<milliseconds>(sys_days{ymd}.time_since_epoch()).count() + ((h * 60 + mi) * 60 + s) * 1000LL;
}
}  // namespace

std::optional<std::int64_t> parse_openai_duration(std::string_view text) {
  if (text.empty() || text.size() > 32) return std::nullopt;
  double total = 0;
  while (!text.empty()) {
    double v = 0;
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc()) return std::nullopt;
    text.remove_prefix(static_cast<std::size_t>(p - text.data()));
    if (text.starts_with("ms")) {
      total += v;
      text.remove_prefix(2);
    } else if (text.starts_with("h")) {
      total += v * 3'600'000;
      text.remove_prefix(1);
    } else if (text.starts_with("m")) {
      total += v * 60'000;
      text.remove_prefix(1);
    } else if (text.starts_with("s")) {
      total += v * 1000;
      text.remove_prefix(1);
    } else {
      return std::nullopt;
    }
  }
  return static_cast<std::int64_t>(total);
}

// One pass over the headers (this runs for every response): only names
// starting "x-ratelimit-" or "anthropic-ratelimit-" are looked at.
QuotaReport read_quota_headers(const boost::beast::http::fields& h, std::int64_t now_ms) {
  QuotaReport r;
  auto as_number = [](std::string_view v) -> std::optional<std::uint64_t> {
    std::uint64_t n = 0;
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc() || p != v.data() + v.size()) return std::nullopt;
    return n;
  };
  auto until = [&](std::string_view v) -> std::int64_t {
    const auto at = rfc3339_ms(v);
    return at && *at > now_ms ? *at - now_ms : 0;
  };
  for (const auto& f : h) {
    const std::string_view name = f.name_string();
    if (name.size() < 24 || (name[0] != 'x' && name[0] != 'X' && name[0] != 'a' && name[0] != 'A')) continue;
    // Compared without copying the name: this runs on every response's headers.
    auto is = [&](std::string_view expected) { return boost::beast::iequals(name, expected); };
    const std::string_view v = f.value();
    if (is("x-ratelimit-remaining-requests") || is("anthropic-ratelimit-requests-remaining")) r.requests_remaining = as_number(v);
    else if (is("x-ratelimit-remaining-tokens") || is("anthropic-ratelimit-tokens-remaining")) r.tokens_remaining = as_number(v);
    else if (is("x-ratelimit-reset-requests")) r.requests_reset_ms = parse_openai_duration(v).value_or(0);
    else if (is("x-ratelimit-reset-tokens")) r.tokens_reset_ms = parse_openai_duration(v).value_or(0);
    else if (is("anthropic-ratelimit-requests-reset")) r.requests_reset_ms = until(v);
    else if (is("anthropic-ratelimit-tokens-reset")) r.tokens_reset_ms = until(v);
  }
  return r;
}

}  // namespace switchyard::providers
