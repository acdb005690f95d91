// The composition root: builds the configuration's generation, the shared
// state, the ledger, the cache and the pipeline's stages; reloads and shuts
// down; hands the embedder's calls to the pipeline. Views (metrics, health,
// providers) are in gateway_views.cpp, the dashboard's in dashboard_state.cpp.
#include "gateway/gateway_impl.hpp"

#include "ledger/postgres_ledger.hpp"
#include "org/postgres_org_store.hpp"
#include "org/sqlite_org_store.hpp"

#include <boost/json/serialize.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <random>

#include "config/config_diff.hpp"
#include "config/config_loader.hpp"
#include "governance/wall_clock.hpp"
#include "pipeline/resolve_stage.hpp"

namespace switchyard {

namespace asio = boost::asio;
static_assert(Gateway::kMaxModelName == pipeline::kMaxModelName);

boost::system::result<Config, std::string> load_config_file(const std::string& path) {
  return config::load_config_file(path, config::process_env());
}

namespace {
constexpr std::int64_t kDayMs = 86'400'000;

// A config built by hand gets the loader's checks too.
Config validated(Config config) {
  if (auto problem = validate(config)) throw std::invalid_argument("invalid config: " + *problem);
  return config;
}

// Names this replica's concurrency slots in Redis.
std::string random_replica_id() {
  std::random_device random;
  std::string id;
  for (int i = 0; i < 4; ++i) id += std::to_string(random() % 10000) + (i < 3 ? "-" : "");
  return id;
}

// Active health checks of the current generation's providers (restarted by a reload).
void watch_health(health::HealthChecker& checker, const std::shared_ptr<pipeline::Generation>& gen) {
  for (std::size_t i = 0; i < gen->config.providers.size(); ++i) {
    checker.watch(i, gen->clients[i], gen->config.providers[i].health_check_interval,
                  [g = std::weak_ptr<pipeline::Generation>(gen)](std::size_t provider, bool ok) {
                    if (auto alive = g.lock()) alive->router.on_probe(provider, ok);
                  });
  }
}

// A restart forgets neither today's figures (the dashboard's "spend today"), nor spend, nor what the windows had counted.
void restore_from_ledger(ledger::Ledger& ledger, pipeline::AccountStage& account, governance::Governor& governor) {
  const auto now = account.wall_now_ms();
  pipeline::Totals today;
  for (const auto& t : ledger.totals_now(now / kDayMs * kDayMs, now + 1, ledger::GroupBy::day, {})) {
    today.requests += t.requests;
    today.errors += t.errors;
    today.tokens += t.prompt_tokens + t.completion_tokens;
    today.cost_usd += t.cost_usd;
  }
  account.seed_today(today, now / kDayMs);
  governor.restore([&ledger](governance::Ms from, governance::Ms to, governance::Level level) {
    std::map<std::string, governance::Governor::KeyUsage> out;
    const auto by = level == governance::Level::key ? ledger::GroupBy::key : level == governance::Level::team ? ledger::GroupBy::team : ledger::GroupBy::team_user;
    for (const auto& t : ledger.totals_now(from, to, by, {})) {
      if (t.group.empty()) continue;  // rows with no team (or no user)
      // Refused requests took nothing from the windows: an exact window does not count them.
      out[t.group] = governance::Governor::KeyUsage{t.requests - std::min(t.refused, t.requests),
                                                    static_cast<std::uint64_t>(t.prompt_tokens + t.completion_tokens), t.cost_usd};
    }
    return out;
  });
}
}  // namespace

RedisStack::RedisStack(const asio::any_io_executor& ex, const StateConfig& state, const std::string& replica_id, const CacheConfig& cache_config)
    : redis(std::make_unique<state::RedisClient>(ex, std::get<state::RedisEndpoint>(state::parse_redis_url(state.redis_url)))),
      limiter(std::make_unique<governance::SharedLimiter>(*redis, state.key_prefix, state.redis_timeout)),
      admission(std::make_unique<pipeline::SharedAdmission>(*limiter, state, replica_id)),
      cache(cache_config.enabled ? std::make_unique<cache::SharedCache>(ex, *redis, state.key_prefix, state.redis_timeout, cache_config.max_bytes / 4)
                                 : nullptr) {
  redis->start_health_checks(state.health_check_interval, state.health_check_interval);
}

namespace {
std::unique_ptr<RedisStack> redis_stack_for(const asio::any_io_executor& ex, const Config& cfg, const std::string& replica_id, std::size_t index) {
  if (cfg.state.backend != StateBackend::redis) return nullptr;
  // Each reactor's concurrency slots carry its own name: a slot is given back by the reactor that took it.
  return std::make_unique<RedisStack>(ex, cfg.state, index == 0 ? replica_id : replica_id + "-w" + std::to_string(index), cfg.cache);
}

pipeline::SharedAdmission* admission_of(const std::unique_ptr<RedisStack>& r) { return r ? r->admission.get() : nullptr; }
}  // namespace

Reactor::Reactor(asio::any_io_executor executor, std::size_t i, ledger::Ledger& ledger, const std::shared_ptr<pipeline::SharedGeneration>& gen,
                 cache::CacheShare share, std::shared_ptr<pipeline::RefusedSampler> sampler, const std::string& replica_id,
                 const providers::ConnectorRegistry& registry)
    : ex(std::move(executor)), index(i), redis(redis_stack_for(ex, gen->config, replica_id, i)), sink(ledger, i),
      account(sink, pipeline::Clocks{}, std::move(sampler)),
      cache(ex, gen->config.cache, &governance::wall_now_ms, std::move(share)), admit(admission_of(redis)),
      cache_stage(ex, cache, redis ? redis->cache.get() : nullptr, account),
      pipeline(std::make_shared<pipeline::Generation>(ex, gen, registry, nullptr, admission_of(redis)), admit, cache_stage, account) {
  if (redis && redis->cache) cache.set_shared(redis->cache.get());
}

pipeline::SharedAdmission* Reactor::quota_gate() const noexcept { return admission_of(redis); }

namespace {
// The admin API's keys and teams, read before the first request: the running configuration is the file's and theirs.
std::unique_ptr<org::Organisation> open_organisation(const asio::any_io_executor& ex, const Config& cfg) {
  std::unique_ptr<org::OrgStore> store;
  if (cfg.store.backend == StoreBackend::postgres) store = std::make_unique<org::PostgresOrgStore>(ex, cfg.store);
  else store = std::make_unique<org::SqliteOrgStore>(ex, cfg.usage.path);
  auto snapshot = store->load_now();
  if (!snapshot) throw std::runtime_error(snapshot.error().message);
  auto out = std::make_unique<org::Organisation>(ex, std::move(store), [] { return static_cast<std::int64_t>(governance::wall_now_ms()); });
  out->set_file(cfg);
  out->adopt(std::move(*snapshot));
  if (auto problem = validate(out->merged())) throw std::invalid_argument("the key store's keys and teams do not fit the configuration: " + *problem);
  return out;
}

// The usage ledger of [store]'s backend: the [usage] path's SQLite file, or the shared database.
std::unique_ptr<ledger::Ledger> open_ledger(const asio::any_io_executor& ex, const Config& cfg, std::size_t producers) {
  if (cfg.store.backend == StoreBackend::postgres) return std::make_unique<ledger::PostgresLedger>(ex, cfg.usage, cfg.store, producers);
  return std::make_unique<ledger::UsageLedger>(ex, cfg.usage, producers);
}

// Re-reads the store when its version moved (another process changed it) and installs the
// result; until stopped (the Gateway's destructor or shutdown(), which also stop the store's wait).
asio::awaitable<void> poll_store(std::shared_ptr<StorePoll> p, org::Organisation& org, Millis every) {
  while (!p->stopped) {
    co_await org.wait_change(every);  // a notification, or `every`
    if (p->stopped) co_return;
    auto changed = co_await org.refresh();
    if (!changed) ++p->failures;
    else if (*changed) ++p->refreshes;
  }
}

// A key's or team's limits, budget and spend now (the admin API's "status").
boost::json::object account_status(pipeline::SharedGeneration& g, std::string_view kind, std::string_view name) {
  if (kind == "key") {
    for (std::size_t i = 0; i < g.config.keys.size(); ++i) {
      if (g.config.keys[i].name != name) continue;
      auto out = g.governor.status(auth::KeyEntry{g.config.keys[i].name, {}, i});
      out.erase("key");
      return out;
    }
  }
  for (std::size_t i = 0; kind == "team" && i < g.config.teams.size(); ++i) {
    if (g.config.teams[i].name != name) continue;
    auto out = g.governor.team_status(i);
    out.erase("team");
    return out;
  }
  return {};
}

// One shard with a single reactor (exactly one LRU); with workers, enough that two of them rarely meet on a lock.
constexpr std::size_t kCacheShardsPerWorker = 4;
}  // namespace

Gateway::Impl::Impl(asio::any_io_executor executor, std::vector<asio::any_io_executor> workers, Config cfg)
    : ex(std::move(executor)), registry(providers::ConnectorRegistry::with_builtins()), state(cfg.state), checker(ex),
      replica_id(random_replica_id()), ledger(open_ledger(ex, cfg, 1 + workers.size())), org(open_organisation(ex, cfg)),
      cache_share{std::make_shared<cache::ShardedStore>(cfg.cache.max_bytes, workers.empty() ? 1 : kCacheShardsPerWorker * workers.size()),
                  workers.empty() ? nullptr : std::make_shared<cache::FlightBoard>()},
      current(std::make_shared<pipeline::SharedGeneration>(org->merged(), nullptr)) {
  tracer = std::make_unique<telemetry::Tracer>(cfg.telemetry, telemetry::Resource{cfg.telemetry.service_name, SWITCHYARD_VERSION_TEXT, replica_id});
  reactors.push_back(std::make_unique<Reactor>(ex, 0, *ledger, current, cache_share, refused, replica_id, registry));
  for (auto& w : workers) reactors.push_back(std::make_unique<Reactor>(w, reactors.size(), *ledger, current, cache_share, refused, replica_id, registry));
  for (auto& r : reactors) r->pipeline.set_tracer(tracer.get());
  watch_health(checker, main().pipeline.current_ptr());
  restore_from_ledger(*ledger, main().account, current->governor);
}

std::shared_ptr<pipeline::SharedGeneration> Gateway::Impl::now() const {
  std::lock_guard lock(current_mu);
  return current;
}

Gateway::Gateway(asio::any_io_executor executor, Config config) : Gateway(std::move(executor), {}, std::move(config)) {}

Gateway::Gateway(asio::any_io_executor executor, std::vector<asio::any_io_executor> workers, Config config)
    : impl_(std::make_unique<Impl>(std::move(executor), std::move(workers), validated(std::move(config)))) {
  // An admin API change installs the file's configuration with the store's keys and teams, as a reload does.
  impl_->org->set_apply(
      [this](Config merged) -> result<void> {
        auto done = install(std::move(merged));
        if (!done) return make_error(errc::invalid_field, done.error());
        return {};
      },
      [this](std::string_view kind, std::string_view name) { return account_status(*impl_->now(), kind, name); });
  const auto& started = impl_->now()->config;
  if (!started.usage.path.empty() || started.store.backend == StoreBackend::postgres) {  // another daemon may change it
    impl_->store_poll = std::make_shared<StorePoll>();
    asio::co_spawn(impl_->ex, poll_store(impl_->store_poll, *impl_->org, impl_->now()->config.store.poll_interval), asio::detached);
  }
  impl_->start_alerts(impl_->now()->config);
  if (const auto& jwt = impl_->now()->config.auth.jwt) {
    impl_->jwks = std::make_unique<auth::JwksSource>(impl_->ex, *jwt);
    impl_->jwt = std::make_unique<pipeline::JwtGate>(*impl_->jwks, *jwt);
    for (auto& r : impl_->reactors) r->pipeline.set_jwt_gate(impl_->jwt.get());
  }
}

const pipeline::JwtGate* Gateway::jwt_gate() const noexcept { return impl_->jwt.get(); }

Gateway::~Gateway() {
  if (impl_) impl_->stop_alerts();
  if (impl_ && impl_->store_poll) {
    impl_->store_poll->stopped = true;
    impl_->org->stop();
  }
}

pipeline::ChatPipeline& Gateway::pipeline(std::size_t reactor) noexcept { return impl_->reactors.at(reactor)->pipeline; }

std::size_t Gateway::reactors() const noexcept { return impl_->reactors.size(); }

asio::any_io_executor Gateway::executor(std::size_t reactor) const { return impl_->reactors.at(reactor)->ex; }

const Config& Gateway::config() const noexcept { return impl_->now()->config; }

void Gateway::count_failed_reload() noexcept { ++impl_->reloads_failed; }

boost::system::result<ReloadOutcome, std::string> Gateway::reload(Config config) {
  if (auto problem = validate(config)) {
    ++impl_->reloads_failed;
    return boost::system::result<ReloadOutcome, std::string>(boost::system::in_place_error, "invalid config: " + *problem);
  }
  const Config previous = impl_->org->file();
  impl_->org->set_file(config);
  auto done = install(impl_->org->merged());
  if (!done) impl_->org->set_file(previous);  // the running configuration is kept, and the file it came from
  return done;
}

org::Organisation& Gateway::organisation() noexcept { return *impl_->org; }

boost::system::result<ReloadOutcome, std::string> Gateway::install(Config config) {
  using Outcome = boost::system::result<ReloadOutcome, std::string>;
  if (auto problem = validate(config)) {
    ++impl_->reloads_failed;
    return Outcome(boost::system::in_place_error, "invalid config: " + *problem);
  }
  Reactor& main = impl_->main();
  auto& running = main.pipeline.current();
  auto d = config::diff(running.config, config);
  ReloadOutcome out{config.source_hash, std::move(d.changes), std::move(d.needs_restart)};
  std::shared_ptr<pipeline::SharedGeneration> shared;
  try {
    shared = std::make_shared<pipeline::SharedGeneration>(config::reloadable_part(running.config, std::move(config)), running.shared.get());
    auto next = std::make_shared<pipeline::Generation>(main.ex, shared, impl_->registry, &running, main.quota_gate());
    // Health checks follow the new providers (their loops hold the clients they probe).
    impl_->checker.restart();
    watch_health(impl_->checker, next);
    main.pipeline.install(std::move(next));  // the old generation goes when its last request does
  } catch (const std::exception& e) {  // e.g. a CA file that cannot be read
    ++impl_->reloads_failed;
    return Outcome(boost::system::in_place_error, std::string("cannot apply the config: ") + e.what());
  }
  {
    std::lock_guard lock(impl_->current_mu);
    impl_->current = shared;
  }
  if (!impl_->alerts || !impl_->alerts->stopped) impl_->start_alerts(shared->config);
  // Each worker builds its part (its clients and pools, its router) on its own thread and
  // installs it there: nothing of a worker's generation is touched by another thread.
  for (std::size_t i = 1; i < impl_->reactors.size(); ++i) {
    Reactor* r = impl_->reactors[i].get();
    asio::post(r->ex, [r, shared, &registry = impl_->registry, failed = &impl_->reloads_failed] {
      try {
        r->pipeline.install(std::make_shared<pipeline::Generation>(r->ex, shared, registry, &r->pipeline.current(), r->quota_gate()));
      } catch (const std::exception&) {  // the main reactor built the same: only a resource running out gets here
        ++*failed;
      }
    });
  }
  ++impl_->reloads_ok;
  return out;
}

asio::awaitable<void> Gateway::settled() {
  // Work posted to a reactor runs in order: a no-op on each worker runs after its install.
  for (std::size_t i = 1; i < impl_->reactors.size(); ++i) {
    co_await asio::co_spawn(impl_->reactors[i]->ex, []() -> asio::awaitable<void> { co_return; }, asio::use_awaitable);
  }
}

void Gateway::shutdown() noexcept {
  if (impl_->store_poll) {
    impl_->store_poll->stopped = true;
    impl_->org->stop();
  }
  if (impl_->jwks) impl_->jwks->stop();
  impl_->stop_alerts();
  impl_->checker.stop();
  impl_->ledger->shutdown();
  // Every request has ended (the servers drained): their spans go out within the grace period.
  impl_->tracer->shutdown(std::min<Millis>(impl_->now()->config.server.shutdown_grace, Millis(5'000)));
  for (auto& r : impl_->reactors) {
    auto stop = [r = r.get()] {
      if (r->redis) r->redis->redis->close();  // its descriptor's wait would keep the io_context running
      for (auto& c : r->pipeline.current().clients) c->shutdown();
    };
    if (r->index == 0) stop();
    else asio::post(r->ex, stop);
  }
}

asio::awaitable<result<ChatResponse>> Gateway::chat(ChatRequest request) {
  pipeline::Exchange ex(std::move(request), pipeline::Operation::chat, false, impl_->main().account.now());
  co_return co_await impl_->main().pipeline.answer(ex);
}

asio::awaitable<result<ChatResponse>> Gateway::embeddings(ChatRequest request) {
  pipeline::Exchange ex(std::move(request), pipeline::Operation::embeddings, false, impl_->main().account.now());
  co_return co_await impl_->main().pipeline.answer(ex);
}

asio::awaitable<result<ChatStream>> Gateway::chat_stream(ChatRequest request) {
  return impl_->main().pipeline.stream(std::make_shared<pipeline::Exchange>(std::move(request), pipeline::Operation::chat, true, impl_->main().account.now()));
}

asio::awaitable<result<std::string>> Gateway::count_tokens(ChatRequest request) {
  pipeline::Exchange ex(std::move(request), pipeline::Operation::count_tokens, false, impl_->main().account.now());
  co_return co_await impl_->main().pipeline.count_tokens(ex);
}

asio::awaitable<result<std::vector<UsageTotals>>> Gateway::usage(std::int64_t from_ms, std::int64_t to_ms, std::string group_by, std::string key) {
  const auto group = ledger::parse_group_by(group_by).value_or(ledger::GroupBy::key);
  auto rows = co_await impl_->ledger->totals(from_ms, to_ms, group, std::move(key));
  if (!rows) {
    Error e = make_error(errc::overloaded, "too many usage queries are running; retry shortly");
    e.retry_after = "1";
    co_return e;
  }
  co_return std::move(*rows);
}

asio::awaitable<result<std::string>> Gateway::sla_report(std::int64_t from_ms, std::int64_t to_ms, std::string group, bool csv) {
  ledger::SlaGroup g{};
  if (!ledger::parse_sla_group(group, g)) co_return make_error(errc::invalid_request, "group must be route, provider, key or team");
  auto report = co_await impl_->ledger->sla(from_ms, to_ms, g);
  if (!report) {
    Error e = make_error(errc::overloaded, "too many usage queries are running, or the ledger did not answer; retry shortly");
    e.retry_after = "1";
    co_return e;
  }
  if (csv) co_return report->csv(group);
  co_return boost::json::serialize(boost::json::object{{"from", from_ms / 1000}, {"to", to_ms / 1000}, {"group", group}, {"rows", report->json()}});
}

asio::awaitable<boost::json::array> Gateway::recent_requests(std::size_t n) { co_return co_await impl_->ledger->recent(n); }

}  // namespace switchyard
