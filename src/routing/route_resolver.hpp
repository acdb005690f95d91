#pragma once
// Resolves a requested model name to the ordered targets that may serve it:
//   1. a [[models]] route by name ("fast")            → its targets, in order
//   2. "provider/model" for a configured provider     → that provider, that model
//   3. the default provider, if configured            → it, with the name as given
//   otherwise unknown_model. Pure: no I/O, no allocation per request.
#include <switchyard/config.hpp>
#include <switchyard/error.hpp>

#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace switchyard::telemetry {
class RequestTrace;
}

namespace switchyard::routing {

struct Target {
  std::size_t provider = 0;                // index into Config::providers
  std::string_view model;                  // upstream model name
  const TargetConfig* config = nullptr;    // weights, prices, capabilities; nullptr for provider/model
  // A provider/model (or default-provider) target: the prices a route declares
  // for that same provider and model, if any (nullptr: unpriced, costs $0).
  const TargetConfig* adhoc_prices = nullptr;
  const TargetConfig* prices() const noexcept { return config ? config : adhoc_prices; }
  bool priced() const noexcept {
    const auto* p = prices();
    return p && (p->input_price > 0 || p->output_price > 0);
  }
};

class RoutePlan {
 public:
  std::string_view route;  // the route's name, or the model as asked
  const ModelRouteConfig* route_config = nullptr;  // nullptr for provider/model and default routes
  // A sampled request's spans (each attempt a CLIENT span); null: not traced. The exchange owns it.
  telemetry::RequestTrace* trace = nullptr;
  // Not traced: the client's traceparent, forwarded to the provider as it came ("" = none).
  std::string_view traceparent;
  // Moves to another target are counted here too (the exchange's ledger row); null: not counted.
  int* failovers = nullptr;
  std::span<const Target> targets() const noexcept {
    return configured_ ? std::span<const Target>(*configured_) : std::span<const Target>(&single_, 1);
  }

 private:
  friend class RouteResolver;
  const std::vector<Target>* configured_ = nullptr;
  Target single_{};
};

class RouteResolver {
 public:
  // `config` must outlive the resolver (targets view its strings).
  explicit RouteResolver(const Config& config);

  // `model` must outlive the returned plan.
  result<RoutePlan> resolve(std::string_view model) const;

  // The priciest prices (input + output per million) among the targets `model`
  // resolves to: what reserving a request's estimated cost assumes. Null: none priced.
  const TargetConfig* priciest(std::string_view model) const;

  // The names a client may ask for, for GET /v1/models.
  std::vector<std::string> model_names() const;

 private:
  const Config& config_;
  struct Route {
    std::vector<Target> targets;
    const ModelRouteConfig* config = nullptr;
  };
  std::unordered_map<std::string_view, Route> routes_;
  std::unordered_map<std::string_view, std::size_t> providers_;
  std::unordered_map<std::string, const TargetConfig*> prices_;  // "provider/model" → the first route target pricing it
  const TargetConfig* prices_of(std::size_t provider, std::string_view model) const;
  std::size_t default_provider_ = SIZE_MAX;
};

}  // namespace switchyard::routing
