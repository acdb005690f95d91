#pragma once
// computeHealthScore: a target's health in [0, 1], from its metrics alone
// (plus its peers' best latency for comparison). Pure.
//
//   score = availability × latency × ttft × rate_limit × circuit
//   availability = 1 − errors / (requests + 5)       errors weigh more as evidence grows;
//                                                     with no traffic the score starts at 1
//   latency      = 1 / (1 + max(0, ewma / best − 1) / 2)   1 when as fast as the fastest peer,
//                                                     0.5 when three times slower
//   ttft         = the same on time to first token (streams)
//   rate_limit   = 0.05 inside a Retry-After; after a 429, 0.5 rising linearly back to 1 over 60 s
//   circuit      = closed 1, half-open 0.25, open 0
//
// Monotone: more errors, more latency, a more recent 429 or a worse circuit
// never raise the score.
#include "health/health_table.hpp"
#include "resilience/circuit_breaker.hpp"

namespace switchyard::health {

struct PeerBaseline {
  double best_latency_ms = 0;  // lowest EWMA latency among the route's targets (0 = unknown)
  double best_ttft_ms = 0;
};

double computeHealthScore(const HealthSnapshot& s, const PeerBaseline& peers, resilience::CircuitState circuit) noexcept;

}  // namespace switchyard::health
