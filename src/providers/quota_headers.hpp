#pragma once
// What a provider says of its remaining quota in its response headers:
// OpenAI-compatible x-ratelimit-remaining-{requests,tokens} with
// x-ratelimit-reset-{requests,tokens} ("1s", "6m0s", "20ms"), and
// Anthropic's anthropic-ratelimit-{requests,tokens}-remaining with
// -reset (an RFC 3339 time).
#include <boost/beast/http/fields.hpp>

#include <cstdint>
#include <optional>
#include <string_view>

namespace switchyard::providers {

struct QuotaReport {
  std::optional<std::uint64_t> requests_remaining, tokens_remaining;
  std::int64_t requests_reset_ms = 0, tokens_reset_ms = 0;  // from now
  bool empty() const noexcept { return !requests_remaining && !tokens_remaining; }
};

// "1s", "6m0s", "1h2m3.5s", "20ms" as milliseconds; nullopt when not that format.
std::optional<std::int64_t> parse_openai_duration(std::string_view text);
// `now_ms`: milliseconds since the epoch (for Anthropic's absolute reset times).
QuotaReport read_quota_headers(const boost::beast::http::fields& headers, std::int64_t now_ms);

}  // namespace switchyard::providers
