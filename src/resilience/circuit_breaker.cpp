#include "resilience/circuit_breaker.hpp"

namespace switchyard::resilience {

std::string_view to_string(CircuitState s) noexcept {
  switch (s) {
    case CircuitState::closed: return "closed";
    case CircuitState::open: return "open";
    case CircuitState::half_open: return "half_open";
  }
  return "unknown";
}

CircuitState CircuitBreaker::state(TimePoint now) const noexcept {
  if (state_ == CircuitState::open && now - opened_at_ >= config_.cooldown) return CircuitState::half_open;
  return state_;
}

bool CircuitBreaker::allow(TimePoint now) noexcept {
  if (state_ == CircuitState::open) {
    if (now - opened_at_ < config_.cooldown) return false;
    state_ = CircuitState::half_open;
    probes_in_flight_ = 0;
  }
  if (state_ == CircuitState::half_open) {
    if (probes_in_flight_ >= config_.half_open_probes) return false;
    ++probes_in_flight_;
  }
  return true;
}

void CircuitBreaker::release_probe() noexcept {
  if (state_ == CircuitState::half_open && probes_in_flight_ > 0) --probes_in_flight_;
}

void CircuitBreaker::roll_window(TimePoint now) noexcept {
  if (now - window_start_ >= config_.window) {
    window_start_ = now;
    window_requests_ = 0;
    window_failures_ = 0;
  }
}

void CircuitBreaker::enter(CircuitState state, TimePoint now) noexcept {
  state_ = state;
  if (state == CircuitState::open) {
    opened_at_ = now;
    ++opens_;
  }
  probes_in_flight_ = 0;
  consecutive_failures_ = 0;
  window_start_ = now;
  window_requests_ = 0;
  window_failures_ = 0;
}

void CircuitBreaker::on_success(TimePoint now) noexcept {
  if (state_ == CircuitState::open) return;  // a request that began before it opened proves nothing
  roll_window(now);
  ++window_requests_;
  consecutive_failures_ = 0;
  if (state_ != CircuitState::closed) {
    state_ = CircuitState::closed;
    probes_in_flight_ = 0;
  }
}

void CircuitBreaker::on_probe_success(TimePoint now) noexcept {
  if (state_ != CircuitState::closed) enter(CircuitState::closed, now);
}

void CircuitBreaker::on_failure(TimePoint now) noexcept {
  if (state_ == CircuitState::half_open) {
    enter(CircuitState::open, now);
    return;
  }
  if (state_ == CircuitState::open) return;
  roll_window(now);
  ++window_requests_;
  ++window_failures_;
  ++consecutive_failures_;
  const bool rate_tripped = window_requests_ >= config_.min_requests &&
                            static_cast<double>(window_failures_) / window_requests_ >= config_.error_rate_threshold;
  if (consecutive_failures_ >= config_.failure_threshold || rate_tripped) enter(CircuitState::open, now);
}

}  // namespace switchyard::resilience
