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

Generation::Generation(const boost::asio::any_io_executor& ex, Config cfg, const providers::ConnectorRegistry& registry, Generation* previous,
                       routing::QuotaGate* quotas, governance::Governor::Clock clock)
    : config(std::move(cfg)), keys(config.keys, this), resolver(config), clients(make_clients(ex, config, registry, previous)),
      router(ex, config, clients, previous ? &previous->router : nullptr), governor(config.keys, std::move(clock)) {
  governor.set_pricer([this](std::string_view model) { return resolver.priciest(model); });
  if (previous) governor.adopt(previous->governor);
  router.set_quota_gate(quotas);
}

}  // namespace switchyard::pipeline
