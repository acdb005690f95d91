#pragma once
// One configuration's objects: what a reload replaces as a whole (config,
// keys, routes, provider clients and their pools, router, governor). An
// exchange holds its generation from the check of its key to its last byte,
// so it runs under the configuration it started with; the generation goes
// when its last request does (and with it the connection pools of providers
// the new configuration removed or changed).
#include <switchyard/config.hpp>

#include <boost/asio/any_io_executor.hpp>

#include <memory>
#include <vector>

#include "auth/key_store.hpp"
#include "governance/governor.hpp"
#include "providers/connector_registry.hpp"
#include "routing/route_resolver.hpp"
#include "routing/router.hpp"

namespace switchyard::pipeline {

struct Generation : std::enable_shared_from_this<Generation> {
  // `previous`: the generation this one replaces (a reload); unchanged
  // providers' clients (their pools) are shared, unchanged targets and keys
  // keep their state (Router, Governor). `quotas`: the declared quotas'
  // shared counters (Redis), or null. `clock`: the keys' windows' wall clock
  // (empty: the system's).
  Generation(const boost::asio::any_io_executor& ex, Config cfg, const providers::ConnectorRegistry& registry, Generation* previous,
             routing::QuotaGate* quotas = nullptr, governance::Governor::Clock clock = {});

  // The generation a key entry belongs to (the one that checked it).
  static Generation& of(const auth::KeyEntry& key) noexcept {
    return *const_cast<Generation*>(static_cast<const Generation*>(key.owner));
  }

  Config config;
  auth::KeyStore keys;
  routing::RouteResolver resolver;
  std::vector<std::shared_ptr<providers::ProviderClient>> clients;  // index = Config::providers index
  routing::Router router;
  governance::Governor governor;
};

}  // namespace switchyard::pipeline
