#pragma once
// Which targets one request tries, in which order: the route's targets'
// states (TargetRegistry), each scored against its peers, ordered by the
// route's strategy for what the request needs (order_targets), excluded ones
// (a resumed stream's earlier legs) treated as open; each with its hedge
// delay. The attempt plan (resilience/attempt_plan) takes it from there.
#include <switchyard/error.hpp>

#include <boost/json/object.hpp>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "resilience/attempt_plan.hpp"
#include "routing/route_resolver.hpp"
#include "routing/target_registry.hpp"
#include "routing/target_selector.hpp"

namespace switchyard::routing {

struct Selection {
  std::vector<TargetState*> states;  // by target index
  std::vector<TargetUse> uses;       // none of these states is retired while the request runs
  std::vector<resilience::Candidate> order;
  std::uint64_t tokens = 0;  // the request's token estimate, when a target has a declared quota
};

// no_target when no target is usable now, or none can serve what the request needs.
// `random` returns uniform draws in [0, 1).
result<void> select_targets(TargetRegistry& registry, const RoutePlan& plan, const boost::json::object& body, Operation op,
                            const std::vector<std::string>* exclude, const std::function<double()>& random, Selection& out);

// When a first try on this target is hedged: the route's hedge_after, or the
// target's measured p95 time to first token (hedge_after_p95, after 20 streams).
std::optional<Millis> hedge_delay_for(const RoutePlan& plan, const TargetState& st);

}  // namespace switchyard::routing
