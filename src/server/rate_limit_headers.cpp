#include "server/rate_limit_headers.hpp"

#include <charconv>

namespace switchyard::server {

namespace {
void append_number(std::string& out, long long v) {
  char buf[24];
  out.append(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
}
}  // namespace

// Integer arithmetic only: this runs for every answer to a key with limits.
std::string openai_duration(std::chrono::milliseconds d) {
  const long long ms = std::max<long long>(0, d.count());
  std::string out;
  if (ms < 1000) {
    append_number(out, ms);
    return out + "ms";
  }
  const long long h = ms / 3'600'000, m = ms % 3'600'000 / 60'000, s = ms % 60'000 / 1000, frac = ms % 1000;
  if (h > 0) {
    append_number(out, h);
    out += 'h';
  }
  if (h > 0 || m > 0) {
    append_number(out, m);
    out += 'm';
  }
  append_number(out, s);
  if (frac > 0) {
    char digits[4] = {static_cast<char>('0' + frac / 100), static_cast<char>('0' + frac / 10 % 10), static_cast<char>('0' + frac % 10), 0};
    std::string_view f(digits, 3);
    while (f.back() == '0') f.remove_suffix(1);
    out += '.';
    out += f;
  }
  out += 's';
  return out;
}

void add_rate_limit_headers(const LimitStatus& requests, const LimitStatus& tokens, ResponseHeaders& headers) {
  auto add = [&](const LimitStatus& s, std::string_view limit, std::string_view remaining, std::string_view reset) {
    if (s.limit == 0) return;
    char buf[24];
    headers.add(limit, std::string_view(buf, static_cast<std::size_t>(std::to_chars(buf, buf + sizeof buf, s.limit).ptr - buf)));
    headers.add(remaining, std::string_view(buf, static_cast<std::size_t>(std::to_chars(buf, buf + sizeof buf, s.remaining).ptr - buf)));
    headers.add(reset, openai_duration(s.reset));
  };
  add(requests, "x-ratelimit-limit-requests", "x-ratelimit-remaining-requests", "x-ratelimit-reset-requests");
  add(tokens, "x-ratelimit-limit-tokens", "x-ratelimit-remaining-tokens", "x-ratelimit-reset-tokens");
}

}  // namespace switchyard::server
