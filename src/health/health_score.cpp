#include "health/health_score.hpp"

#include <algorithm>

namespace switchyard::health {

namespace {
double relative_speed(double mine, double best) noexcept {
  if (mine <= 0 || best <= 0) return 1.0;
  return 1.0 / (1.0 + std::max(0.0, mine / best - 1.0) / 2.0);
}
}  // namespace

double computeHealthScore(const HealthSnapshot& s, const PeerBaseline& peers, resilience::CircuitState circuit) noexcept {
  const double availability = 1.0 - static_cast<double>(s.errors) / (static_cast<double>(s.requests) + 5.0);
  const double latency = relative_speed(s.ewma_latency_ms, peers.best_latency_ms);
  const double ttft = relative_speed(s.ewma_ttft_ms, peers.best_ttft_ms);
  double rate_limit = 1.0;
  if (s.rate_limited) {
    rate_limit = 0.05;
  } else if (s.seconds_since_429 && *s.seconds_since_429 < 60.0) {
    rate_limit = 0.5 + 0.5 * std::max(0.0, *s.seconds_since_429) / 60.0;
  }
  double breaker = 1.0;
  if (circuit == resilience::CircuitState::half_open) breaker = 0.25;
  if (circuit == resilience::CircuitState::open) breaker = 0.0;
  return std::clamp(availability * latency * ttft * rate_limit * breaker, 0.0, 1.0);
}

}  // namespace switchyard::health
