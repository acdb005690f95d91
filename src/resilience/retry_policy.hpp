#pragma once
// Which failures are worth another try, and how long to wait before it.
// Pure: the random draw and the clock come in as arguments.
#include <switchyard/config.hpp>
#include <switchyard/error.hpp>

#include <chrono>
#include <optional>
#include <string_view>

namespace switchyard::resilience {

// Retryable: connect failure, reset, timeout, bad response, pool exhausted,
// 429, 500, 502, 503, 504, 529 overloaded. Not: 400, 401, 403, 404, 413 and
// other 4xx (content filters answer 400), client cancellation.
bool is_retryable(const Error& e) noexcept;

// True when the failure says something about the target's health (counted by
// breakers and the health table); a 400 for a bad request does not.
bool counts_against_target(const Error& e) noexcept;

struct RetryConfig {
  int attempts_per_target = 2;         // tries on one target before failing over (1 = no retry)
  Millis base_backoff{100};            // first backoff cap; doubles per retry
  Millis max_backoff{2'000};           // cap of one backoff
  Millis budget{15'000};               // all retries and failovers of one request, in total
  Millis max_retry_after{10'000};      // a longer Retry-After skips to the next target instead of waiting
};

// Full jitter: a uniform draw in [0, min(max_backoff, base * 2^retry)). `unit` in [0, 1).
Millis backoff(const RetryConfig& config, int retry, double unit) noexcept;

// Retry-After as delta-seconds (HTTP-dates are treated as absent).
std::optional<Millis> parse_retry_after(std::string_view value) noexcept;

}  // namespace switchyard::resilience
