#pragma once
// One configuration's objects: what a reload replaces as a whole. Its shared
// part (SharedGeneration: the config, the route resolver, every target's
// state and health, every key's limits and budget) is one for all worker
// reactors, so limits are exact and health is learnt once whichever worker a
// request lands on. Each reactor has its own Generation over it: the key
// store its exchanges point into, its provider clients (their connection
// pools live on that reactor) and its router (its own counters).
//
// An exchange holds its generation from the check of its key to its last
// byte, so it runs under the configuration it started with; the generation
// goes when its last request does (and with it the connection pools of
// providers the new configuration removed or changed).
#include <switchyard/config.hpp>

#include <boost/asio/any_io_executor.hpp>

#include <memory>
#include <vector>

#include "auth/key_store.hpp"
#include "governance/governor.hpp"
#include "providers/connector_registry.hpp"
#include "providers/key_pool.hpp"
#include "routing/route_resolver.hpp"
#include "routing/router.hpp"
#include "routing/target_registry.hpp"

namespace switchyard::pipeline {

struct SharedGeneration {
  // `previous`: the configuration this one replaces (a reload): unchanged
  // targets and keys keep their state. `clock`: the keys' windows' wall clock
  // (empty: the system's).
  SharedGeneration(Config cfg, SharedGeneration* previous, governance::Governor::Clock clock = {});
  SharedGeneration(const SharedGeneration&) = delete;
  SharedGeneration& operator=(const SharedGeneration&) = delete;

  Config config;
  routing::RouteResolver resolver;
  routing::TargetRegistry targets;
  governance::Governor governor;
  // Per provider (the config's order): its key pool when it has several keys, else null. Shared by
  // every reactor's client of it; kept across a reload that leaves the provider's keys unchanged.
  std::vector<std::shared_ptr<providers::KeyPool>> key_pools;
};

struct Generation : std::enable_shared_from_this<Generation> {
  // One reactor's part of `shared`. `previous`: this reactor's generation of
  // the configuration replaced (unchanged providers' clients, and so their
  // pools, are kept; its router's counters continue). `quotas`: the declared
  // quotas' shared counters (Redis), or null. `tally`: the reactor's router
  // counters (null: previous's, else new ones).
  Generation(const boost::asio::any_io_executor& ex, std::shared_ptr<SharedGeneration> shared, const providers::ConnectorRegistry& registry,
             Generation* previous, routing::QuotaGate* quotas = nullptr, std::shared_ptr<routing::RouterTally> tally = nullptr);
  // A configuration on a single reactor (its own shared part).
  Generation(const boost::asio::any_io_executor& ex, Config cfg, const providers::ConnectorRegistry& registry, Generation* previous,
             routing::QuotaGate* quotas = nullptr, governance::Governor::Clock clock = {});

  // The generation a key entry belongs to (the one that checked it).
  static Generation& of(const auth::KeyEntry& key) noexcept {
    return *const_cast<Generation*>(static_cast<const Generation*>(key.owner));
  }

  std::shared_ptr<SharedGeneration> shared;
  const Config& config;
  auth::KeyStore keys;
  routing::RouteResolver& resolver;
  std::vector<std::shared_ptr<providers::ProviderClient>> clients;  // index = Config::providers index
  std::shared_ptr<routing::RouterTally> tally;
  routing::Router router;
  governance::Governor& governor;
};

}  // namespace switchyard::pipeline
