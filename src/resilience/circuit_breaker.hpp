#pragma once
// Circuit breaker for one target. CLOSED until `failure_threshold` failures in
// a row (or an error rate over `error_rate_threshold` with at least
// `min_requests` in the current window); then OPEN for `cooldown`; then
// HALF_OPEN, letting `half_open_probes` requests through; a probe's success
// closes it, a failure opens it again. Pure: `now` is an argument.
#include <switchyard/config.hpp>

#include <chrono>
#include <cstdint>
#include <string_view>

namespace switchyard::resilience {

using TimePoint = std::chrono::steady_clock::time_point;

struct BreakerConfig {
  int failure_threshold = 5;
  double error_rate_threshold = 0.5;
  int min_requests = 20;
  Millis window{10'000};
  Millis cooldown{30'000};
  int half_open_probes = 1;
};

enum class CircuitState { closed, open, half_open };
std::string_view to_string(CircuitState s) noexcept;

class CircuitBreaker {
 public:
  explicit CircuitBreaker(BreakerConfig config = {}) : config_(config) {}

  // May a request go to this target now? In HALF_OPEN this takes a probe slot.
  bool allow(TimePoint now) noexcept;
  // Gives a probe slot back without an outcome (the request was never sent).
  void release_probe() noexcept;
  void on_success(TimePoint now) noexcept;
  void on_failure(TimePoint now) noexcept;
  // An active health check succeeded: an open or half-open circuit closes early.
  void on_probe_success(TimePoint now) noexcept;
  CircuitState state(TimePoint now) const noexcept;
  // Times it opened (closed or half-open → open) since it was made.
  std::uint64_t opens() const noexcept { return opens_; }

 private:
  void enter(CircuitState state, TimePoint now) noexcept;  // with fresh counters
  void roll_window(TimePoint now) noexcept;

  BreakerConfig config_;
  CircuitState state_ = CircuitState::closed;
  TimePoint opened_at_{};
  int consecutive_failures_ = 0;
  int probes_in_flight_ = 0;
  TimePoint window_start_{};
  int window_requests_ = 0;
  int window_failures_ = 0;
  std::uint64_t opens_ = 0;
};

}  // namespace switchyard::resilience
