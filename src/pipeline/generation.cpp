#include "pipeline/generation.hpp"

namespace switchyard::pipeline {

namespace {
std::vector<std::shared_ptr<providers::ProviderClient>> make_clients(const boost::asio::any_io_executor& ex, const Config& config,
                                                                     const providers::ConnectorRegistry& registry, const Generation* previous) {
  std::vector<std::shared_ptr<providers::ProviderClient>> out;
  for (const auto& p : config.providers) {
    std::shared_ptr<providers::ProviderClient> kept;
    for (std::size_t i = 0; previous && i < previous->config.providers.size(); ++i) {
      if (previous->config.providers[i] == p) kept = previous->clients[i];
    }
    out.push_back(kept ? std::move(kept) : std::shared_ptr<providers::ProviderClient>(registry.make(ex, p)));
  }
  return out;
}
}  // namespace

SharedGeneration::SharedGeneration(Config cfg, SharedGeneration* previous, governance::Governor::Clock clock)
    : config(std::move(cfg)), resolver(config), targets(config, previous ? &previous->targets : nullptr),
      governor(config.keys, std::move(clock)) {
  governor.set_pricer([this](std::string_view model) { return resolver.priciest(model); });
  if (previous) governor.adopt(previous->governor);
}

Generation::Generation(const boost::asio::any_io_executor& ex, std::shared_ptr<SharedGeneration> shared_part,
                       const providers::ConnectorRegistry& registry, Generation* previous, routing::QuotaGate* quotas,
                       std::shared_ptr<routing::RouterTally> tally_of_reactor)
    : shared(std::move(shared_part)), config(shared->config), keys(config.keys, this), resolver(shared->resolver),
      clients(make_clients(ex, config, registry, previous)),
      tally(tally_of_reactor ? std::move(tally_of_reactor) : previous ? previous->tally : std::make_shared<routing::RouterTally>()),
      router(ex, config, clients, shared->targets, tally), governor(shared->governor) {
  router.set_quota_gate(quotas);
}

Generation::Generation(const boost::asio::any_io_executor& ex, Config cfg, const providers::ConnectorRegistry& registry, Generation* previous,
                       routing::QuotaGate* quotas, governance::Governor::Clock clock)
    : Generation(ex, std::make_shared<SharedGeneration>(std::move(cfg), previous ? previous->shared.get() : nullptr, std::move(clock)), registry,
                 previous, quotas) {}

}  // namespace switchyard::pipeline
