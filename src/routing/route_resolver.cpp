#include "routing/route_resolver.hpp"

namespace switchyard::routing {

RouteResolver::RouteResolver(const Config& config) : config_(config) {
  for (std::size_t i = 0; i < config.providers.size(); ++i) providers_.emplace(config.providers[i].name, i);
  for (const auto& route : config.models) {
    std::vector<Target> targets;
    for (const auto& t : route.targets) {
      auto it = providers_.find(t.provider);
      if (it == providers_.end()) {
        throw std::invalid_argument("route '" + route.name + "' names unknown provider '" + t.provider + "'");
      }
      targets.push_back(Target{it->second, t.model, &t});
      if (t.input_price > 0 || t.output_price > 0) prices_.emplace(t.provider + "/" + t.model, &t);
    }
    routes_.emplace(route.name, Route{std::move(targets), &route});
  }
  if (!config.default_provider.empty()) {
    auto it = providers_.find(config.default_provider);
    if (it == providers_.end()) throw std::invalid_argument("unknown default provider '" + config.default_provider + "'");
    default_provider_ = it->second;
  }
}

result<RoutePlan> RouteResolver::resolve(std::string_view model) const {
  RoutePlan plan;
  plan.route = model;
  if (model.empty()) return make_error(errc::invalid_request, "'model' must not be empty");
  if (auto it = routes_.find(model); it != routes_.end()) {
    plan.configured_ = &it->second.targets;
    plan.route_config = it->second.config;
    return plan;
  }
  if (const auto slash = model.find('/'); slash != std::string_view::npos && slash + 1 < model.size()) {
    if (auto it = providers_.find(model.substr(0, slash)); it != providers_.end()) {
      plan.single_ = Target{it->second, model.substr(slash + 1)};
      plan.single_.adhoc_prices = prices_of(it->second, plan.single_.model);
      return plan;
    }
  }
  if (default_provider_ != SIZE_MAX) {
    plan.single_ = Target{default_provider_, model};
    plan.single_.adhoc_prices = prices_of(default_provider_, model);
    return plan;
  }
  return make_error(errc::unknown_model, "the model '" + std::string(model) +
                                             "' does not exist: use a configured model or 'provider/model'");
}

const TargetConfig* RouteResolver::prices_of(std::size_t provider, std::string_view model) const {
  if (prices_.empty()) return nullptr;
  std::string name = config_.providers[provider].name;
  name += '/';
  name += model;
  auto it = prices_.find(name);
  return it == prices_.end() ? nullptr : it->second;
}

const TargetConfig* RouteResolver::priciest(std::string_view model) const {
  auto plan = resolve(model);
  if (!plan) return nullptr;
  const TargetConfig* best = nullptr;
  for (const auto& t : plan->targets()) {
    const auto* p = t.prices();
    if (p && (!best || p->input_price + p->output_price > best->input_price + best->output_price)) best = p;
  }
  return best;
}

std::vector<std::string> RouteResolver::model_names() const {
  std::vector<std::string> names;
  for (const auto& route : config_.models) names.push_back(route.name);
  return names;
}

}  // namespace switchyard::routing
