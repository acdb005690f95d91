#include "pipeline/generation.hpp"

#include "providers/key_quota.hpp"

namespace switchyard::pipeline {

namespace {
std::vector<std::shared_ptr<providers::ProviderClient>> make_clients(const boost::asio::any_io_executor& ex, const SharedGeneration& shared,
                                                                     const providers::ConnectorRegistry& registry, const Generation* previous,
                                                                     routing::QuotaGate* quotas) {
  // The reactor's shared admission counts quotas and keys' limits in Redis; null without Redis.
  auto* key_quota = dynamic_cast<providers::KeyQuota*>(quotas);
  const Config& config = shared.config;
  std::vector<std::shared_ptr<providers::ProviderClient>> out;
  for (std::size_t j = 0; j < config.providers.size(); ++j) {
    const auto& p = config.providers[j];
    std::shared_ptr<providers::ProviderClient> kept;
    for (std::size_t i = 0; previous && i < previous->config.providers.size(); ++i) {
      if (previous->config.providers[i] == p) kept = previous->clients[i];
    }
    if (!kept) {
      kept = std::shared_ptr<providers::ProviderClient>(registry.make(ex, p));
      if (j < shared.key_pools.size() && shared.key_pools[j]) kept->use_keys(shared.key_pools[j], key_quota);
    }
    out.push_back(std::move(kept));
  }
  return out;
}

std::vector<std::shared_ptr<providers::KeyPool>> make_key_pools(const Config& config, const SharedGeneration* previous) {
  std::vector<std::shared_ptr<providers::KeyPool>> out;
  for (const auto& p : config.providers) {
    std::shared_ptr<providers::KeyPool> pool;
    for (std::size_t i = 0; previous && i < previous->config.providers.size(); ++i) {
      const auto& q = previous->config.providers[i];
      if (q.name == p.name && q.keys == p.keys && q.key_cooldown == p.key_cooldown && i < previous->key_pools.size()) pool = previous->key_pools[i];
    }
    if (!pool && !p.keys.empty()) pool = std::make_shared<providers::KeyPool>(p.keys, p.key_cooldown.count());
    out.push_back(std::move(pool));
  }
  return out;
}
}  // namespace

SharedGeneration::SharedGeneration(Config cfg, SharedGeneration* previous, governance::Governor::Clock clock)
    : config(std::move(cfg)), resolver(config), targets(config, previous ? &previous->targets : nullptr),
      governor(config.keys, config.teams, std::move(clock)), key_pools(make_key_pools(config, previous)) {
  governor.set_pricer([this](std::string_view model) { return resolver.priciest(model); });
  if (previous) governor.adopt(previous->governor);
}

Generation::Generation(const boost::asio::any_io_executor& ex, std::shared_ptr<SharedGeneration> shared_part,
                       const providers::ConnectorRegistry& registry, Generation* previous, routing::QuotaGate* quotas,
                       std::shared_ptr<routing::RouterTally> tally_of_reactor)
    : shared(std::move(shared_part)), config(shared->config), keys(config.keys, this, config.teams, shared->governor.clock()), resolver(shared->resolver),
      clients(make_clients(ex, *shared, registry, previous, quotas)),
      tally(tally_of_reactor ? std::move(tally_of_reactor) : previous ? previous->tally : std::make_shared<routing::RouterTally>()),
      router(ex, config, clients, shared->targets, tally), governor(shared->governor) {
  router.set_quota_gate(quotas);
}

Generation::Generation(const boost::asio::any_io_executor& ex, Config cfg, const providers::ConnectorRegistry& registry, Generation* previous,
                       routing::QuotaGate* quotas, governance::Governor::Clock clock)
    : Generation(ex, std::make_shared<SharedGeneration>(std::move(cfg), previous ? previous->shared.get() : nullptr, std::move(clock)), registry,
                 previous, quotas) {}

}  // namespace switchyard::pipeline
