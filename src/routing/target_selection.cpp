#include "routing/target_selection.hpp"

#include <algorithm>
#include <chrono>

#include "governance/governor.hpp"
#include "governance/wall_clock.hpp"

namespace switchyard::routing {

std::optional<Millis> hedge_delay_for(const RoutePlan& plan, const TargetState& st) {
  if (!plan.route_config) return std::nullopt;
  const auto& r = *plan.route_config;
  if (r.hedge_after_p95 && st.ttft.count() >= 20) {
    // p95 of the target's time to first token, as the upper bound of its histogram bucket.
    const auto rank = static_cast<std::uint64_t>(0.95 * static_cast<double>(st.ttft.count()));
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < st.ttft.bounds().size(); ++i) {
      seen += st.ttft.bucket(i);
      if (seen >= rank) return Millis(static_cast<long long>(st.ttft.bounds()[i] * 1000));
    }
  }
  if (r.hedge_after.count() > 0) return r.hedge_after;
  return std::nullopt;
}

result<void> select_targets(TargetRegistry& registry, const RoutePlan& plan, const boost::json::object& body, Operation op,
                            const std::vector<std::string>* exclude, const std::function<double()>& random, Selection& out) {
  const auto targets = plan.targets();
  const auto now = std::chrono::steady_clock::now();
  out.states.resize(targets.size());
  out.uses.reserve(targets.size());
  auto held = registry.lock();  // the states below are shared with every worker
  health::PeerBaseline peers;
  for (std::size_t i = 0; i < targets.size(); ++i) {
    out.states[i] = registry.state_for(targets[i]);
    if (!out.states[i]) return make_error(errc::no_target, "too many distinct provider/model names in use at once; retry shortly");
    out.uses.emplace_back(out.states[i]);
    const auto s = out.states[i]->health->snapshot(now);
    auto best = [](double& slot, double v) { if (v > 0 && (slot == 0 || v < slot)) slot = v; };
    best(peers.best_latency_ms, s.ewma_latency_ms);
    best(peers.best_ttft_ms, s.ewma_ttft_ms);
  }
  std::vector<TargetView> views(targets.size());
  for (std::size_t i = 0; i < targets.size(); ++i) {
    views[i] = TargetRegistry::view_of(*out.states[i], now, peers);
    views[i].config = targets[i].config;
    if (exclude && std::find(exclude->begin(), exclude->end(), out.states[i]->provider + '/' + out.states[i]->model) != exclude->end()) {
      views[i].circuit = resilience::CircuitState::open;  // treated as unusable for this request
    }
  }
  // Declared quotas: a target that cannot take this request now is skipped like an open circuit.
  std::optional<governance::LimitRefusal> quota_wait;
  if (registry.has_quotas()) {
    out.tokens = governance::estimate_tokens(body, 256);
    const auto wall = static_cast<governance::Ms>(
        governance::wall_now_ms());
    for (std::size_t i = 0; i < targets.size(); ++i) {
      auto refusal = TargetRegistry::quota_refusal(*out.states[i], out.tokens, wall);
      if (!refusal) continue;
      views[i].circuit = resilience::CircuitState::open;
      if (!quota_wait || refusal->retry_after_ms < quota_wait->retry_after_ms) quota_wait = std::move(refusal);
    }
  }
  held.unlock();
  const Strategy strategy = plan.route_config ? plan.route_config->strategy : Strategy::failover;
  const auto needs = needs_of(body, op);
  const auto order = order_targets(strategy, views, needs, random);
  if (order.empty() && quota_wait) {
    Error e = make_error(errc::quota_exhausted, "every target of '" + std::string(plan.route) + "' is at its provider quota (" +
                                                    quota_wait->limit + ")");
    e.retry_after = std::to_string(std::max<governance::Ms>(1, (quota_wait->retry_after_ms + 999) / 1000));
    return e;
  }
  if (order.empty()) {
    // No target could ever serve it: the client's mistake (400, not retried by SDKs), named.
    std::string lacking;
    for (const auto& t : targets) {
      auto missing = missing_capability(t.config, needs);
      if (missing.empty()) {
        return make_error(errc::no_target, "every target of '" + std::string(plan.route) + "' is unavailable (circuit open); retry later");
      }
      if (lacking.find(missing) == std::string::npos) lacking += (lacking.empty() ? "" : ", ") + missing;
    }
    return make_error(errc::model_not_supported, "no target of the model '" + std::string(plan.route) +
                                                     "' supports what this request needs: " + lacking);
  }
  out.order.reserve(order.size());
  for (const auto i : order) {
    out.order.push_back(resilience::Candidate{i, reinterpret_cast<std::uintptr_t>(out.states[i]), hedge_delay_for(plan, *out.states[i])});
  }
  return {};
}

}  // namespace switchyard::routing
