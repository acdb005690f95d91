// The composition root: owns config, keys, routes, provider clients (and so
// their connection pools), and runs a chat request through them.
#include <switchyard/gateway.hpp>

#include "auth/key_store.hpp"
#include "cache/completion_chunks.hpp"
#include "cache/response_cache.hpp"
#include "providers/openai_usage.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include "config/config_loader.hpp"
#include "providers/connector_registry.hpp"
#include "providers/embeddings.hpp"

#include <boost/json/serialize.hpp>
#include "routing/route_resolver.hpp"
#include "health/health_checker.hpp"
#include "observability/prometheus.hpp"
#include "error/error_response.hpp"
#include "governance/governor.hpp"
#include "ledger/usage_ledger.hpp"
#include "routing/router.hpp"
#include "governance/wall_clock.hpp"

namespace switchyard {

namespace asio = boost::asio;

boost::system::result<Config, std::string> load_config_file(const std::string& path) {
  return config::load_config_file(path, config::process_env());
}

struct Gateway::Impl {
  Impl(asio::any_io_executor executor, Config cfg)
      : ex(std::move(executor)), config(std::move(cfg)), keys(config.keys), resolver(config),
        registry(providers::ConnectorRegistry::with_builtins()),
        clients(make_clients(ex, config, registry)), router(ex, config, clients), checker(ex), governor(config.keys),
        ledger(ex, config.usage), cache(ex, config.cache, &governance::wall_now_ms) {
    for (std::size_t i = 0; i < config.providers.size(); ++i) {
      checker.watch(i, *clients[i], config.providers[i].health_check_interval,
                    [this](std::size_t provider, bool ok) { router.on_probe(provider, ok); });
    }
    // A restart forgets neither spend nor what the windows had counted.
    governor.restore([this](governance::Ms from, governance::Ms to) {
      std::map<std::string, governance::Governor::KeyUsage> out;
      for (const auto& t : ledger.totals_now(from, to, ledger::GroupBy::key, {})) {
        out[t.group] = governance::Governor::KeyUsage{t.requests, static_cast<std::uint64_t>(t.prompt_tokens + t.completion_tokens), t.cost_usd};
      }
      return out;
    });
  }

  static ledger::Ms now_ms() {
    return governance::wall_now_ms();
  }

  // One ledger row for a request that ended (or was refused).
  void record(const ChatRequest& request, std::string_view route, std::string_view provider, std::string_view model, int status,
              bool stream, const Usage& used, double cost, std::chrono::steady_clock::duration took, double ttft_ms,
              const Error* error, std::chrono::nanoseconds upstream = {}, CacheStatus cached = CacheStatus::none, double saved = 0) {
    ledger::UsageRow row;
    row.time_ms = now_ms();
    row.request_id = request.request_id;
    row.key = request.key ? std::string_view(request.key->name) : std::string_view();
    row.route = route;
    row.provider = provider;
    row.model = model;
    row.status = status;
    row.stream = stream;
    row.prompt_tokens = used.prompt_tokens;
    row.cached_tokens = used.cached_tokens;
    row.cache_write_tokens = used.cache_write_tokens;
    row.completion_tokens = used.completion_tokens;
    row.reasoning_tokens = used.reasoning_tokens;
    row.cost_usd = cost;
    row.latency_ms = std::chrono::duration<double, std::milli>(took).count();
    row.ttft_ms = ttft_ms;
    row.error = error ? std::string_view(error::code_name(*error)) : std::string_view();
    // Streams: until the stream was handed out (its first chunk), not until its end.
    const auto inside = (stream && ttft_ms > 0 ? std::chrono::duration<double, std::micro>(std::chrono::duration<double, std::milli>(ttft_ms))
                                               : std::chrono::duration<double, std::micro>(took)) - std::chrono::duration<double, std::micro>(upstream);
    row.overhead_us = std::max(0.0, inside.count());
    row.cache = to_string(cached);
    row.saved_usd = saved;
    ledger.record(row);
  }

  static std::vector<std::unique_ptr<providers::ProviderClient>> make_clients(
      const asio::any_io_executor& ex, const Config& config, const providers::ConnectorRegistry& registry) {
    std::vector<std::unique_ptr<providers::ProviderClient>> out;
    for (const auto& p : config.providers) out.push_back(registry.make(ex, p));
    return out;
  }

  struct Prepared {
    std::string model;  // as the client asked; owns the string the plan views
    routing::RoutePlan plan;
  };

  result<void> prepare(ChatRequest& request, Prepared& out, routing::Operation op = routing::Operation::chat) {
    auto& body = request.body;
    const auto* model = body.if_contains("model");
    if (!model || !model->is_string()) {
      return make_error(errc::invalid_request, "'model' is required and must be a string");
    }
    if (op == routing::Operation::embeddings) {
      if (auto inputs = providers::read_embedding_request(body); !inputs) return inputs.error();
    } else if (const auto* messages = body.if_contains("messages"); !messages || !messages->is_array() || messages->as_array().empty()) {
      return make_error(errc::invalid_request, "'messages' is required and must be a non-empty array");
    }
    if (model->as_string().size() > Gateway::kMaxModelName || model->as_string().empty()) {
      return make_error(errc::invalid_request, "'model' must be 1 to " + std::to_string(Gateway::kMaxModelName) + " bytes long");
    }
    out.model = std::string(model->as_string());
    if (request.key) {
      if (!auth::KeyStore::allows(*request.key, out.model)) {
        return make_error(errc::model_not_allowed, "this key may not use the model '" + out.model + "'");
      }
    } else if (request.api_key) {
      auto key = keys.authenticate(*request.api_key);
      if (!key) return key.error();
      if (!auth::KeyStore::allows(**key, out.model)) {
        return make_error(errc::model_not_allowed, "this key may not use the model '" + out.model + "'");
      }
      request.key = *key;
    }
    auto plan = resolver.resolve(out.model);
    if (!plan) return plan.error();
    out.plan = *plan;
    if (!request.admitted) {  // an embedder's call: the same limits and budgets as over HTTP
      auto admission = governor.admit(request.key, request.body);
      if (admission.refused) return std::move(*admission.refused);
      request.admission = std::move(admission.ticket);
      request.admitted = true;
    }
    return {};
  }

  // A whole (non-streamed) answer: chat or embeddings, admitted, routed and accounted.
  asio::awaitable<result<ChatResponse>> answer(ChatRequest request, routing::Operation op);

  // The response cache's paths (a route with `cache = true`): a hit, a
  // coalesced follower of an identical request in flight, or the leader of a
  // new fetch (fetch(): inline for a whole answer, in a coroutine of its own for a stream).
  using Clock = std::chrono::steady_clock;
  asio::awaitable<result<ChatResponse>> answer_cached(ChatRequest& request, const Prepared& prepared, const cache::CachePlan& plan,
                                                      Clock::time_point started);
  asio::awaitable<result<ChatStream>> stream_cached(ChatRequest& request, const Prepared& prepared, const cache::CachePlan& plan,
                                                    Clock::time_point started);
  // A stream's fetch runs in a coroutine of its own, so that any of its readers may leave.
  std::shared_ptr<cache::Flight> lead(ChatRequest& request, const Prepared& prepared, const cache::CachePlan& plan, Clock::time_point started);
  asio::awaitable<void> fetch(std::shared_ptr<cache::Flight> flight, ChatRequest request, std::string model, cache::CachePlan plan,
                              Clock::time_point started);
  // A hit: nothing taken from the key but the request, a ledger row with cost 0 and what it saved.
  void account_hit(ChatRequest& request, const cache::CachePlan& plan, const cache::CachedEntry& entry, bool stream, Clock::time_point started);

  asio::any_io_executor ex;
  Config config;
  auth::KeyStore keys;
  routing::RouteResolver resolver;
  providers::ConnectorRegistry registry;
  std::vector<std::unique_ptr<providers::ProviderClient>> clients;  // index = Config::providers index
  routing::Router router;
  health::HealthChecker checker;
  governance::Governor governor;
  ledger::UsageLedger ledger;  // its writer thread stops (and writes what is queued) before the members above go
  // Answers stored and in flight (holds no thread, no reference to the ledger).
  cache::ResponseCache cache;
  observability::FixedHistogram overhead{0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05};
};

namespace {
// A config built by hand gets the loader's checks too.
Config validated(Config config) {
  if (auto problem = validate(config)) throw std::invalid_argument("invalid config: " + *problem);
  return config;
}
}  // namespace

Gateway::Gateway(asio::any_io_executor executor, Config config)
    : impl_(std::make_unique<Impl>(std::move(executor), validated(std::move(config)))) {}

Gateway::~Gateway() = default;

const Config& Gateway::config() const noexcept { return impl_->config; }

std::vector<std::string> Gateway::model_names() const { return impl_->resolver.model_names(); }

result<const auth::KeyEntry*> Gateway::authenticate(std::string_view authorization) const {
  return impl_->keys.authenticate(authorization);
}

std::vector<ProviderStats> Gateway::provider_stats() const {
  std::vector<ProviderStats> out;
  for (const auto& c : impl_->clients) {
    const auto s = c->pool_stats();
    out.push_back(ProviderStats{c->name(), s.opened, s.reused, s.idle, s.active});
  }
  return out;
}

void Gateway::shutdown() noexcept {
  impl_->checker.stop();
  for (auto& c : impl_->clients) c->shutdown();
}

Admission Gateway::admit(const auth::KeyEntry* key, const boost::json::object& body) { return impl_->governor.admit(key, body); }

asio::awaitable<result<ChatResponse>> Gateway::chat(ChatRequest request) {
  return impl_->answer(std::move(request), routing::Operation::chat);
}

asio::awaitable<result<ChatResponse>> Gateway::embeddings(ChatRequest request) {
  return impl_->answer(std::move(request), routing::Operation::embeddings);
}

asio::awaitable<result<std::string>> Gateway::count_tokens(ChatRequest request) {
  if (!request.native || request.native->api != NativeApi::anthropic_messages) {
    co_return make_error(errc::invalid_request, "count_tokens takes an Anthropic Messages request");
  }
  const auto* model = request.native->body.if_contains("model");
  if (!model || !model->is_string() || model->as_string().empty()) co_return make_error(errc::invalid_request, "'model' is required and must be a string");
  const std::string name(model->as_string());
  const auth::KeyEntry* key = request.key;
  if (!key && request.api_key) {
    auto k = impl_->keys.authenticate(*request.api_key);
    if (!k) co_return k.error();
    key = *k;
  }
  if (key && !auth::KeyStore::allows(*key, name)) co_return make_error(errc::model_not_allowed, "this key may not use the model '" + name + "'");
  auto plan = impl_->resolver.resolve(name);
  if (!plan) co_return plan.error();
  for (const auto& t : plan->targets()) {
    if (impl_->config.providers[t.provider].type != ProviderType::anthropic) continue;
    co_return co_await impl_->clients[t.provider]->count_tokens(
        providers::ChatCall{request.body, t.model, request.request_id, Millis(0), request.native.get()});
  }
  // No Anthropic target: an estimate from the text (system, messages, tools), ~4 characters a token.
  std::size_t chars = 0;
  const auto& b = request.native->body;
  for (const char* k : {"system", "messages", "tools"}) {
    if (const auto* v = b.if_contains(k)) chars += boost::json::serialize(*v).size();
  }
  co_return "{\"input_tokens\":" + std::to_string(std::max<std::size_t>(1, chars / 4)) + "}";
}

asio::awaitable<result<ChatResponse>> Gateway::Impl::answer(ChatRequest request, routing::Operation op) {
  const auto started = std::chrono::steady_clock::now();
  Prepared prepared;
  if (auto ok = prepare(request, prepared, op); !ok) {
    const Error e = ok.error();
    record(request, prepared.model, e.provider, {}, error::http_status_of(e), false, {}, 0, std::chrono::steady_clock::now() - started, 0, &e);
    co_return e;
  }
  const cache::CachePlan cached = op == routing::Operation::chat ? cache.plan(request, prepared.plan.route_config, prepared.model, false)
                                                                 : cache::CachePlan{};
  if (cached.usable()) co_return co_await answer_cached(request, prepared, cached, started);
  if (cached.status == CacheStatus::bypass) cache.count(cached.route, CacheStatus::bypass);
  auto routed = op == routing::Operation::embeddings ? router.embeddings(prepared.plan, request) : router.chat(prepared.plan, request);
  auto answer = co_await std::move(routed);
  const auto took = std::chrono::steady_clock::now() - started;
  if (answer) {
    answer->cache = cached.status;
    if (request.admission) request.admission->finish(answer->usage, answer->cost_usd);
    record(request, prepared.model, answer->provider, answer->model, 200, false, answer->usage, answer->cost_usd, took, 0, nullptr,
                  answer->upstream_time, cached.status);
  } else {
    if (request.admission) request.admission->finish(Usage{}, 0);
    const Error e = answer.error();
    record(request, prepared.model, e.provider, {}, error::http_status_of(e), false, {}, 0, took, 0, &e);
  }
  co_return answer;
}

namespace {
// A reader that waits for a whole answer: registered with the flight while it waits.
struct WholeReader {
  explicit WholeReader(std::shared_ptr<cache::Flight> flight) : f(std::move(flight)) { f->attach(&r); }
  ~WholeReader() { f->detach(&r); }
  WholeReader(const WholeReader&) = delete;
  WholeReader& operator=(const WholeReader&) = delete;
  std::shared_ptr<cache::Flight> f;
  cache::Flight::Reader r;
};

std::int64_t age_of(const cache::CachedEntry& e, std::int64_t now_ms) { return std::max<std::int64_t>(0, now_ms - e.stored_ms); }
}  // namespace

void Gateway::Impl::account_hit(ChatRequest& request, const cache::CachePlan& plan, const cache::CachedEntry& entry, bool stream,
                                Clock::time_point started) {
  if (request.admission) request.admission->finish(Usage{}, 0);  // a request, no tokens, nothing spent
  request.admission.reset();
  cache.count(plan.route, CacheStatus::hit, entry.cost_usd);
  const auto took = Clock::now() - started;
  record(request, plan.route, entry.provider, entry.model, 200, stream, Usage{}, 0, took,
         stream ? std::chrono::duration<double, std::milli>(took).count() : 0, nullptr, {}, CacheStatus::hit, entry.cost_usd);
}

std::shared_ptr<cache::Flight> Gateway::Impl::lead(ChatRequest& request, const Prepared& prepared, const cache::CachePlan& plan,
                                                   Clock::time_point started) {
  auto flight = cache.start(plan, true);
  cache.count(plan.route, CacheStatus::miss);
  // The fetch owns the request (and its admission: the leader's key pays for the answer).
  asio::co_spawn(ex, fetch(flight, std::move(request), prepared.model, plan, started),
                 asio::bind_cancellation_slot(flight->cancel_slot(), asio::detached));
  return flight;
}

asio::awaitable<void> Gateway::Impl::fetch(std::shared_ptr<cache::Flight> f, ChatRequest request, std::string model, cache::CachePlan plan,
                                           Clock::time_point started) {
  const bool streaming = f->streaming();
  Usage used;
  double cost = 0;
  std::string provider, target_model;
  std::optional<Error> failed;
  double ttft_ms = 0;
  std::chrono::nanoseconds upstream{0};
  try {
    auto route = resolver.resolve(model);  // the leader's plan viewed its own copy of the name
    if (!route) {
      failed = route.error();
    } else if (!streaming) {
      auto answer = co_await router.chat(*route, request);
      if (answer) {
        used = answer->usage;
        cost = answer->cost_usd;
        provider = answer->provider;
        target_model = answer->model;
        upstream = answer->upstream_time;
        f->complete(std::move(*answer));
      } else {
        failed = answer.error();
      }
    } else {
      auto stream = co_await router.chat_stream(*route, request);
      if (!stream) {
        failed = stream.error();
      } else {
        ttft_ms = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
        provider = stream->provider();
        target_model = stream->model();
        upstream = stream->upstream_time();
        f->open(provider, target_model, stream->native(), upstream);
        for (;;) {
          co_await f->room();  // the slowest client holds back the provider
          auto item = co_await stream->next();
          f->set_usage(stream->usage(), stream->cost_usd());
          if (!item) {
            failed = item.error();
            break;
          }
          if (!*item) break;
          f->push(**item);
        }
        used = stream->usage();
        cost = stream->cost_usd();
        if (!failed) f->end(used, cost);
      }
    }
  } catch (const std::exception& e) {
    failed = make_error(errc::internal, std::string("response cache fetch: ") + e.what());
  }
  if (failed) f->fail(*failed);
  if (request.admission) request.admission->finish(used, cost);
  const int status = !failed ? 200 : failed->code == errc::cancelled ? 499 : error::http_status_of(*failed);
  record(request, plan.route, failed && provider.empty() ? std::string_view(failed->provider) : std::string_view(provider), target_model, status,
         streaming, used, cost, Clock::now() - started, ttft_ms, failed ? &*failed : nullptr, upstream, CacheStatus::miss);
  cache.settle(plan, f);
}

asio::awaitable<result<ChatResponse>> Gateway::Impl::answer_cached(ChatRequest& request, const Prepared& prepared, const cache::CachePlan& plan,
                                                                   Clock::time_point started) {
  for (;;) {
    if (auto entry = cache.find(plan)) {
      if (auto body = cache::whole_body(*entry)) {
        account_hit(request, plan, *entry, false, started);
        ChatResponse out{std::move(*body), entry->provider, entry->model};
        out.native = entry->native;
        out.cache = CacheStatus::hit;
        out.cache_age_ms = age_of(*entry, cache.now_ms());
        co_return out;
      }
    }
    auto flight = cache.in_flight(plan);
    if (!flight) {
      // The leader fetches in its own coroutine (no hop through the reactor); if its
      // client leaves, the fetch ends cancelled and a waiting follower takes over.
      flight = cache.start(plan, false);
      cache.count(plan.route, CacheStatus::miss);
      WholeReader reader(flight);
      co_await fetch(flight, std::move(request), prepared.model, plan, started);
      if (flight->state() == cache::Flight::State::failed) co_return flight->error();
      ChatResponse out = flight->whole();
      out.cache = CacheStatus::miss;
      co_return out;
    }
    const auto waited_from = Clock::now();
    WholeReader reader(flight);
    const bool stayed = co_await flight->wait(SIZE_MAX);
    const auto waited = Clock::now() - waited_from;
    std::optional<Error> failed;
    if (!stayed) failed = make_error(errc::cancelled, "the client left");
    else if (flight->state() == cache::Flight::State::failed) failed = flight->error();
    if (stayed && failed && failed->code == errc::cancelled) continue;  // the leader's client left: take over
    ChatResponse out;
    if (!failed) {
      if (flight->streaming()) {
        auto body = cache::assemble_completion(flight->chunks());
        if (body) out.body = std::move(*body);
        else failed = make_error(errc::upstream_bad_response, "the answer to an identical request in flight could not be assembled", flight->provider());
      } else {
        out.body = flight->whole().body;
      }
    }
    // A follower: a request (its admission finished with nothing used), a ledger row with what it saved.
    if (request.admission) request.admission->finish(Usage{}, 0);
    request.admission.reset();
    const double saved = failed ? 0 : flight->cost_usd();
    cache.count(plan.route, CacheStatus::coalesced, saved);
    const int status = !failed ? 200 : failed->code == errc::cancelled ? 499 : error::http_status_of(*failed);
    record(request, plan.route, flight->provider(), flight->model(), status, false, Usage{}, 0, Clock::now() - started, 0,
           failed ? &*failed : nullptr, waited, CacheStatus::coalesced, saved);
    if (failed) co_return *failed;
    out.provider = flight->provider();
    out.model = flight->model();
    out.native = flight->native();
    out.upstream_time = std::chrono::duration_cast<std::chrono::nanoseconds>(waited);
    out.cache = CacheStatus::coalesced;
    co_return out;
  }
}

asio::awaitable<result<ChatStream>> Gateway::Impl::stream_cached(ChatRequest& request, const Prepared& prepared, const cache::CachePlan& plan,
                                                                 Clock::time_point started) {
  const bool include_usage = providers::wants_usage(request.body);
  std::shared_ptr<cache::Flight> flight;
  for (;;) {
    if (auto entry = cache.find(plan)) {
      account_hit(request, plan, *entry, true, started);
      ChatStream out(cache::entry_reader(entry, include_usage), entry->provider, entry->model);
      out.set_native(entry->native);
      out.set_cache(CacheStatus::hit, age_of(*entry, cache.now_ms()));
      co_return out;
    }
    flight = cache.in_flight(plan);
    if (!flight || flight->streaming()) break;
    // A whole answer in flight: wait for it, then replay it as a stream.
    const auto waited_from = Clock::now();
    WholeReader reader(flight);
    const bool stayed = co_await flight->wait(SIZE_MAX);
    const Error gone = make_error(errc::cancelled, "the client left");
    const Error* failed = !stayed ? &gone : flight->state() == cache::Flight::State::failed ? &flight->error() : nullptr;
    if (stayed && failed && failed->code == errc::cancelled) continue;  // its leader's client left: take over
    if (request.admission) request.admission->finish(Usage{}, 0);
    request.admission.reset();
    const double saved = failed ? 0 : flight->cost_usd();
    cache.count(plan.route, CacheStatus::coalesced, saved);
    record(request, plan.route, flight->provider(), flight->model(), failed ? (failed == &gone ? 499 : error::http_status_of(*failed)) : 200, true,
           Usage{}, 0, Clock::now() - started, std::chrono::duration<double, std::milli>(Clock::now() - started).count(), failed,
           Clock::now() - waited_from, CacheStatus::coalesced, saved);
    if (failed) co_return *failed;
    auto entry = std::make_shared<cache::CachedEntry>();
    entry->body = flight->whole().body;
    entry->usage = flight->usage();
    ChatStream out(cache::entry_reader(std::move(entry), include_usage), flight->provider(), flight->model(),
                   std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - waited_from));
    out.set_cache(CacheStatus::coalesced);
    co_return out;
  }
  const bool leader = !flight;
  if (leader) flight = lead(request, prepared, plan, started);
  const auto waited_from = Clock::now();
  auto ticket = std::move(request.admission);  // a follower's: finished when its stream ends
  std::function<void(const Error*)> on_end;
  if (!leader) {
    on_end = [this, ticket, flight, plan, started, request_id = request.request_id, key = request.key, waited_from](const Error* e) {
      if (ticket) ticket->finish(Usage{}, 0);
      const double saved = e ? 0 : flight->cost_usd();
      cache.count(plan.route, CacheStatus::coalesced, saved);
      ChatRequest who{boost::json::object(), std::nullopt, request_id, key};
      record(who, plan.route, flight->provider(), flight->model(), !e ? 200 : e->code == errc::cancelled ? 499 : error::http_status_of(*e), true,
             Usage{}, 0, Clock::now() - started, 0, e, {}, CacheStatus::coalesced, saved);
    };
  }
  auto source = cache::flight_reader(flight, include_usage, leader, std::move(on_end));
  co_await source->fill();  // the first chunk, the end or the failure
  if (flight->chunk_count() == 0) {
    const bool cancelled = (co_await asio::this_coro::cancellation_state).cancelled() != asio::cancellation_type::none;
    if (cancelled) co_return make_error(errc::cancelled, "the client left");
    if (flight->state() == cache::Flight::State::failed) {
      Error e = flight->error();
      (void)source->poll();  // the source's end: a follower's row, with this error
      co_return e;
    }
  }
  ChatStream out(std::move(source), flight->provider(), flight->model(),
                 leader ? flight->upstream_time() : std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - waited_from));
  out.set_native(flight->native());
  out.set_cache(leader ? CacheStatus::miss : CacheStatus::coalesced);
  co_return out;
}

asio::awaitable<std::vector<UsageTotals>> Gateway::usage(std::int64_t from_ms, std::int64_t to_ms, std::string group_by, std::string key) {
  const auto group = ledger::parse_group_by(group_by).value_or(ledger::GroupBy::key);
  co_return co_await impl_->ledger.totals(from_ms, to_ms, group, std::move(key));
}

boost::json::object Gateway::key_status(const auth::KeyEntry& key) const {
  auto out = impl_->governor.status(key);
  out["period_start_ms"] = impl_->governor.period_start_of(key);
  return out;
}

void Gateway::record_refused(const ChatRequest& request, std::string_view route, const Error& e) {
  impl_->record(request, route, {}, {}, error::http_status_of(e), false, {}, 0, {}, 0, &e);
}

namespace {
// A stream accounted when it ends (its last byte, a break, or the client
// dropping it): its request's admission is finished with the tokens it used
// and their cost, and its ledger row written.
class AccountedChunkSource final : public ChunkSource {
 public:
  using Finish = std::function<void(const ChatStream&, const Error*)>;
  AccountedChunkSource(ChatStream inner, Finish finish) : inner_(std::move(inner)), finish_(std::move(finish)) {}
  ~AccountedChunkSource() override {
    const Error dropped = make_error(errc::cancelled, "the client left");
    end(&dropped);
  }
  asio::awaitable<Item> next() override {
    if (auto ready = poll()) co_return std::move(*ready);
    auto r = co_await inner_.next();
    co_return after(std::move(r));
  }
  asio::awaitable<void> fill() override { return inner_.fill(); }
  std::optional<Item> poll() override {
    auto r = inner_.poll();
    if (!r) return std::nullopt;
    return after(std::move(*r));
  }
  Usage usage() const noexcept override { return inner_.usage(); }
  double cost_usd() const noexcept override { return inner_.cost_usd(); }

 private:
  Item after(Item r) {
    if (!r) {
      const Error e = r.error();
      end(&e);
    } else if (!*r) {
      end(nullptr);  // the end: counted before the client sees it
    }
    return r;
  }
  void end(const Error* e) {
    if (!finish_) return;
    auto f = std::move(finish_);
    finish_ = nullptr;
    f(inner_, e);
  }
  ChatStream inner_;
  Finish finish_;
};
}  // namespace

asio::awaitable<result<ChatStream>> Gateway::chat_stream(ChatRequest request) {
  const auto started = std::chrono::steady_clock::now();
  Impl::Prepared prepared;
  if (auto ok = impl_->prepare(request, prepared); !ok) {
    const Error e = ok.error();
    impl_->record(request, prepared.model, e.provider, {}, error::http_status_of(e), true, {}, 0, std::chrono::steady_clock::now() - started, 0, &e);
    co_return e;
  }
  const auto cached = impl_->cache.plan(request, prepared.plan.route_config, prepared.model, true);
  if (cached.usable()) co_return co_await impl_->stream_cached(request, prepared, cached, started);
  if (cached.status == CacheStatus::bypass) impl_->cache.count(cached.route, CacheStatus::bypass);
  auto stream = co_await impl_->router.chat_stream(prepared.plan, request);
  if (!stream) {
    if (request.admission) request.admission->finish(Usage{}, 0);
    const Error e = stream.error();
    impl_->record(request, prepared.model, e.provider, {}, error::http_status_of(e), true, {}, 0, std::chrono::steady_clock::now() - started, 0, &e);
    co_return stream;
  }
  const std::string provider = stream->provider(), model = stream->model();
  const auto upstream_time = stream->upstream_time();
  const auto handed_out = std::chrono::steady_clock::now();  // the first chunk is here: the time to first token
  auto finish = [impl = impl_.get(), ticket = std::move(request.admission), started, handed_out, route = prepared.model,
                 request_id = request.request_id, key = request.key, status = cached.status](const ChatStream& s, const Error* e) {
    if (ticket) ticket->finish(s.usage(), s.cost_usd());
    ChatRequest who{boost::json::object(), std::nullopt, request_id, key};
    impl->record(who, route, s.provider(), s.model(), e && e->code == errc::cancelled ? 499 : 200, true, s.usage(), s.cost_usd(),
                 std::chrono::steady_clock::now() - started, std::chrono::duration<double, std::milli>(handed_out - started).count(), e,
                 s.upstream_time(), status);
  };
  const bool native = stream->native();
  ChatStream accounted(std::make_unique<AccountedChunkSource>(std::move(*stream), std::move(finish)), provider, model, upstream_time);
  accounted.set_native(native);
  accounted.set_cache(cached.status);
  co_return accounted;
}

std::vector<TargetHealth> Gateway::target_health() const {
  std::vector<TargetHealth> out;
  for (const auto& s : impl_->router.status()) {
    TargetHealth t;
    t.provider = s.provider;
    t.model = s.model;
    t.score = s.score;
    t.circuit = std::string(resilience::to_string(s.circuit));
    t.requests = s.health.requests;
    t.errors = s.health.errors;
    t.ewma_latency_ms = s.health.ewma_latency_ms;
    t.ewma_ttft_ms = s.health.ewma_ttft_ms;
    t.consecutive_failures = s.health.consecutive_failures;
    t.in_flight = s.health.in_flight;
    t.rate_limited = s.health.rate_limited;
    t.quota_requests = LimitStatus{s.quota_requests.limit, s.quota_requests.remaining, std::chrono::milliseconds(s.quota_requests.reset_ms)};
    t.quota_tokens = LimitStatus{s.quota_tokens.limit, s.quota_tokens.remaining, std::chrono::milliseconds(s.quota_tokens.reset_ms)};
    out.push_back(std::move(t));
  }
  return out;
}

void Gateway::record_overhead(std::chrono::nanoseconds overhead) noexcept {
  impl_->overhead.observe(std::chrono::duration<double>(overhead).count());
}

std::string Gateway::metrics_text() const {
  observability::PrometheusWriter out;
  impl_->router.write_metrics(out);
  impl_->governor.write_metrics(out);
  impl_->cache.write_metrics(out);
  out.help("switchyard_ledger_rows_total", "counter", "Usage ledger rows written.");
  out.sample("switchyard_ledger_rows_total", {}, static_cast<double>(impl_->ledger.written()));
  out.help("switchyard_ledger_dropped_total", "counter", "Usage ledger rows dropped because the writer fell behind (the requests were served).");
  out.sample("switchyard_ledger_dropped_total", {}, static_cast<double>(impl_->ledger.dropped()));
  out.help("switchyard_gateway_overhead_seconds", "histogram", "Time inside the gateway per request, excluding the wait on the provider.");
  out.histogram("switchyard_gateway_overhead_seconds", {}, impl_->overhead);
  out.help("switchyard_pool_connections", "gauge", "Upstream connections by state.");
  for (const auto& c : impl_->clients) {
    const auto s = c->pool_stats();
    out.sample("switchyard_pool_connections", {{"provider", c->name()}, {"state", "idle"}}, static_cast<double>(s.idle));
    out.sample("switchyard_pool_connections", {{"provider", c->name()}, {"state", "active"}}, static_cast<double>(s.active));
  }
  out.help("switchyard_pool_connections_opened_total", "counter", "Upstream connections established.");
  for (const auto& c : impl_->clients) out.sample("switchyard_pool_connections_opened_total", {{"provider", c->name()}}, static_cast<double>(c->pool_stats().opened));
  out.help("switchyard_pool_connections_reused_total", "counter", "Requests served on a pooled connection.");
  for (const auto& c : impl_->clients) out.sample("switchyard_pool_connections_reused_total", {{"provider", c->name()}}, static_cast<double>(c->pool_stats().reused));
  return out.text();
}

std::vector<std::string> Gateway::unhealthy_routes() const { return impl_->router.unhealthy_routes(); }

RoutingCounters Gateway::routing_counters() const {
  const auto& c = impl_->router.counters();
  return RoutingCounters{c.requests, c.attempts, c.retries, c.failovers, c.ttft_timeouts, c.stream_breaks, c.hedges, c.resumes};
}

}  // namespace switchyard
