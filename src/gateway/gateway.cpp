// The composition root: builds the configuration's generation, the shared
// state, the ledger, the cache and the pipeline's stages; reloads and shuts
// down; hands the embedder's calls to the pipeline. Views (metrics, health,
// providers) are in gateway_views.cpp, the dashboard's in dashboard_state.cpp.
#include "gateway/gateway_impl.hpp"

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

std::unique_ptr<state::RedisClient> redis_for(const asio::any_io_executor& ex, const StateConfig& state) {
  if (state.backend != StateBackend::redis) return nullptr;
  auto redis = std::make_unique<state::RedisClient>(ex, std::get<state::RedisEndpoint>(state::parse_redis_url(state.redis_url)));
  redis->start_health_checks(state.health_check_interval, state.health_check_interval);
  return redis;
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
void restore_from_ledger(ledger::UsageLedger& ledger, pipeline::AccountStage& account, governance::Governor& governor) {
  const auto now = account.wall_now_ms();
  pipeline::Totals today;
  for (const auto& t : ledger.totals_now(now / kDayMs * kDayMs, now + 1, ledger::GroupBy::day, {})) {
    today.requests += t.requests;
    today.errors += t.errors;
    today.tokens += t.prompt_tokens + t.completion_tokens;
    today.cost_usd += t.cost_usd;
  }
  account.seed_today(today, now / kDayMs);
  governor.restore([&ledger](governance::Ms from, governance::Ms to) {
    std::map<std::string, governance::Governor::KeyUsage> out;
    for (const auto& t : ledger.totals_now(from, to, ledger::GroupBy::key, {})) {
      // Refused requests took nothing from the windows: an exact window does not count them.
      out[t.group] = governance::Governor::KeyUsage{t.requests - std::min(t.refused, t.requests),
                                                    static_cast<std::uint64_t>(t.prompt_tokens + t.completion_tokens), t.cost_usd};
    }
    return out;
  });
}
}  // namespace

Gateway::Impl::Impl(asio::any_io_executor executor, Config cfg)
    : ex(std::move(executor)), registry(providers::ConnectorRegistry::with_builtins()), state(cfg.state), checker(ex),
      redis(redis_for(ex, state)),
      limiter(redis ? std::make_unique<governance::SharedLimiter>(*redis, state.key_prefix, state.redis_timeout) : nullptr),
      shared(limiter ? std::make_unique<pipeline::SharedAdmission>(*limiter, state, random_replica_id()) : nullptr), ledger(ex, cfg.usage),
      account(sink, pipeline::Clocks{}), cache(ex, cfg.cache, &governance::wall_now_ms),
      shared_cache(redis && cache.enabled() ? std::make_unique<cache::SharedCache>(ex, *redis, state.key_prefix, state.redis_timeout,
                                                                                   cfg.cache.max_bytes / 4)
                                            : nullptr),
      admit(shared.get()), cache_stage(ex, cache, shared_cache.get(), account),
      pipeline(std::make_shared<pipeline::Generation>(ex, std::move(cfg), registry, nullptr, shared.get()), admit, cache_stage, account) {
  if (shared_cache) cache.set_shared(shared_cache.get());
  watch_health(checker, pipeline.current_ptr());
  restore_from_ledger(ledger, account, pipeline.current().governor);
}

Gateway::Gateway(asio::any_io_executor executor, Config config)
    : impl_(std::make_unique<Impl>(std::move(executor), validated(std::move(config)))) {}

Gateway::~Gateway() = default;

pipeline::ChatPipeline& Gateway::pipeline() noexcept { return impl_->pipeline; }

const Config& Gateway::config() const noexcept { return impl_->pipeline.current().config; }

void Gateway::count_failed_reload() noexcept { ++impl_->reloads_failed; }

boost::system::result<ReloadOutcome, std::string> Gateway::reload(Config config) {
  using Outcome = boost::system::result<ReloadOutcome, std::string>;
  if (auto problem = validate(config)) {
    ++impl_->reloads_failed;
    return Outcome(boost::system::in_place_error, "invalid config: " + *problem);
  }
  auto& running = impl_->pipeline.current();
  auto d = config::diff(running.config, config);
  ReloadOutcome out{config.source_hash, std::move(d.changes), std::move(d.needs_restart)};
  try {
    auto next = std::make_shared<pipeline::Generation>(impl_->ex, config::reloadable_part(running.config, std::move(config)), impl_->registry,
                                                       &running, impl_->shared.get());
    // Health checks follow the new providers (their loops hold the clients they probe).
    impl_->checker.restart();
    watch_health(impl_->checker, next);
    impl_->pipeline.install(std::move(next));  // the old generation goes when its last request does
  } catch (const std::exception& e) {  // e.g. a CA file that cannot be read
    ++impl_->reloads_failed;
    return Outcome(boost::system::in_place_error, std::string("cannot apply the config: ") + e.what());
  }
  ++impl_->reloads_ok;
  return out;
}

void Gateway::shutdown() noexcept {
  impl_->checker.stop();
  if (impl_->redis) impl_->redis->close();  // its descriptor's wait would keep the io_context running
  for (auto& c : impl_->pipeline.current().clients) c->shutdown();
}

asio::awaitable<result<ChatResponse>> Gateway::chat(ChatRequest request) {
  pipeline::Exchange ex(std::move(request), pipeline::Operation::chat, false, impl_->account.now());
  co_return co_await impl_->pipeline.answer(ex);
}

asio::awaitable<result<ChatResponse>> Gateway::embeddings(ChatRequest request) {
  pipeline::Exchange ex(std::move(request), pipeline::Operation::embeddings, false, impl_->account.now());
  co_return co_await impl_->pipeline.answer(ex);
}

asio::awaitable<result<ChatStream>> Gateway::chat_stream(ChatRequest request) {
  return impl_->pipeline.stream(std::make_shared<pipeline::Exchange>(std::move(request), pipeline::Operation::chat, true, impl_->account.now()));
}

asio::awaitable<result<std::string>> Gateway::count_tokens(ChatRequest request) {
  pipeline::Exchange ex(std::move(request), pipeline::Operation::count_tokens, false, impl_->account.now());
  co_return co_await impl_->pipeline.count_tokens(ex);
}

asio::awaitable<result<std::vector<UsageTotals>>> Gateway::usage(std::int64_t from_ms, std::int64_t to_ms, std::string group_by, std::string key) {
  const auto group = ledger::parse_group_by(group_by).value_or(ledger::GroupBy::key);
  auto rows = co_await impl_->ledger.totals(from_ms, to_ms, group, std::move(key));
  if (!rows) {
    Error e = make_error(errc::overloaded, "too many usage queries are running; retry shortly");
    e.retry_after = "1";
    co_return e;
  }
  co_return std::move(*rows);
}

asio::awaitable<boost::json::array> Gateway::recent_requests(std::size_t n) { co_return co_await impl_->ledger.recent(n); }

}  // namespace switchyard
