#pragma once
// Orders a route's targets for one request (pure: health, circuits and the
// random draws come in as arguments).
//   1. Targets lacking what the request needs (tools, images, embeddings, context length) are dropped.
//   2. Targets whose circuit is open are dropped.
//   3. Usable targets (circuit closed or half-open, not inside a Retry-After) come first,
//      in the strategy's order; then rate-limited ones. A half-open target keeps its
//      place so that its probe happens; the breaker caps how many probes go through.
// Strategies: failover (config order), weighted (weighted random order), lowest-cost
// (input + output price), lowest-latency (EWMA time to first token, else latency;
// unmeasured targets first, so they get measured), health (score-weighted random order).
#include <switchyard/config.hpp>

#include <boost/json/object.hpp>

#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "health/health_table.hpp"
#include "resilience/circuit_breaker.hpp"

namespace switchyard::routing {

// What a request asks a target to do.
enum class Operation { chat, embeddings };

struct RequestNeeds {
  bool tools = false;
  bool images = false;
  std::size_t context_tokens = 0;  // estimate
  bool embeddings = false;
};

struct TargetView {
  const TargetConfig* config = nullptr;  // nullptr for an explicit provider/model target
  health::HealthSnapshot health;
  resilience::CircuitState circuit = resilience::CircuitState::closed;
  double score = 1;                      // computeHealthScore
};

// What the request asks of a target, read from its (OpenAI chat) body:
// tools or functions, image parts, and a context estimate (~4 characters a
// token, plus max_tokens / max_completion_tokens). An embeddings request
// (OpenAI's shape) needs embeddings, its context the longest input's.
RequestNeeds needs_of(const boost::json::object& body, Operation op = Operation::chat);

// `random` returns uniform draws in [0, 1).
std::vector<std::size_t> order_targets(Strategy strategy, std::span<const TargetView> targets,
                                       const RequestNeeds& needs, const std::function<double()>& random);

// True when the target can serve a request with these needs.
bool capable(const TargetConfig* target, const RequestNeeds& needs) noexcept;
// What the target lacks for these needs, in words ("embeddings", "tools",
// "images", "a context of 9000 tokens (max_context 8192)"); "" when capable.
std::string missing_capability(const TargetConfig* target, const RequestNeeds& needs);

}  // namespace switchyard::routing
