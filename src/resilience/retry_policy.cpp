#include "resilience/retry_policy.hpp"

#include <algorithm>
#include <charconv>

namespace switchyard::resilience {

bool is_retryable(const Error& e) noexcept {
  switch (e.code) {
    case errc::upstream_connect:
    case errc::upstream_reset:
    case errc::upstream_timeout:
    case errc::connect_timeout:
    case errc::header_timeout:
    case errc::stall_timeout:
    case errc::first_token_timeout:
    case errc::upstream_bad_response:
    case errc::pool_exhausted:
    case errc::upstream_tls:
    case errc::quota_exhausted:  // another target may have quota left
      return true;
    case errc::upstream_status: {
      const int s = e.upstream_status;
      return s == 408 || s == 429 || s == 500 || s == 502 || s == 503 || s == 504 || s == 529;
    }
    default:
      return false;
  }
}

bool counts_against_target(const Error& e) noexcept {
  if (e.code == errc::quota_exhausted) return false;  // our own bookkeeping, not the target's health
  if (e.code == errc::upstream_status) {
    const int s = e.upstream_status;
    // The provider refusing our credentials, or being overloaded, is about the target.
    return s >= 500 || s == 429 || s == 401 || s == 403 || s == 408;
  }
  return is_retryable(e);
}

Millis backoff(const RetryConfig& config, int retry, double unit) noexcept {
  const auto shift = std::clamp(retry, 0, 20);
  const auto ceiling = std::min<long long>(config.max_backoff.count(), config.base_backoff.count() << shift);
  return Millis(static_cast<long long>(std::clamp(unit, 0.0, 0.999999) * static_cast<double>(ceiling)));
}

std::optional<Millis> parse_retry_after(std::string_view value) noexcept {
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  double seconds = 0;
  auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
  if (ec != std::errc() || p != value.data() + value.size() || seconds < 0) return std::nullopt;
  return Millis(static_cast<long long>(seconds * 1000));
}

}  // namespace switchyard::resilience
