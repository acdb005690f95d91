// The composition root: owns config, keys, routes, provider clients (and so
// their connection pools), and runs a chat request through them.
#include <switchyard/gateway.hpp>

#include "auth/key_store.hpp"
#include "config/config_loader.hpp"
#include "providers/connector_registry.hpp"
#include "routing/route_resolver.hpp"
#include "health/health_checker.hpp"
#include "observability/prometheus.hpp"
#include "governance/governor.hpp"
#include "routing/router.hpp"

namespace switchyard {

namespace asio = boost::asio;

boost::system::result<Config, std::string> load_config_file(const std::string& path) {
  return config::load_config_file(path, config::process_env());
}

struct Gateway::Impl {
  Impl(asio::any_io_executor executor, Config cfg)
      : ex(std::move(executor)), config(std::move(cfg)), keys(config.keys), resolver(config),
        registry(providers::ConnectorRegistry::with_builtins()),
        clients(make_clients(ex, config, registry)), router(ex, config, clients), checker(ex), governor(config.keys) {
    for (std::size_t i = 0; i < config.providers.size(); ++i) {
      checker.watch(i, *clients[i], config.providers[i].health_check_interval,
                    [this](std::size_t provider, bool ok) { router.on_probe(provider, ok); });
    }
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

  result<void> prepare(ChatRequest& request, Prepared& out) {
    auto& body = request.body;
    const auto* model = body.if_contains("model");
    if (!model || !model->is_string()) {
      return make_error(errc::invalid_request, "'model' is required and must be a string");
    }
    const auto* messages = body.if_contains("messages");
    if (!messages || !messages->is_array() || messages->as_array().empty()) {
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

  asio::any_io_executor ex;
  Config config;
  auth::KeyStore keys;
  routing::RouteResolver resolver;
  providers::ConnectorRegistry registry;
  std::vector<std::unique_ptr<providers::ProviderClient>> clients;  // index = Config::providers index
  routing::Router router;
  health::HealthChecker checker;
  governance::Governor governor;
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
  Impl::Prepared prepared;
  if (auto ok = impl_->prepare(request, prepared); !ok) co_return ok.error();
  auto answer = co_await impl_->router.chat(prepared.plan, request);
  if (request.admission) request.admission->finish(answer ? answer->usage : Usage{}, answer ? answer->cost_usd : 0);
  co_return answer;
}

namespace {
// A stream holding its request's admission until its last byte (or until it
// is dropped): then the tokens it used and their cost go to the key's limits and budget.
class AdmittedChunkSource final : public ChunkSource {
 public:
  AdmittedChunkSource(ChatStream inner, std::shared_ptr<AdmissionTicket> ticket) : inner_(std::move(inner)), ticket_(std::move(ticket)) {}
  ~AdmittedChunkSource() override { ticket_->finish(inner_.usage(), inner_.cost_usd()); }
  asio::awaitable<result<std::optional<std::string_view>>> next() override {
    auto r = co_await inner_.next();
    if (!r || !*r) ticket_->finish(inner_.usage(), inner_.cost_usd());  // the end: counted before the client sees it
    co_return r;
  }
  Usage usage() const noexcept override { return inner_.usage(); }
  double cost_usd() const noexcept override { return inner_.cost_usd(); }

 private:
  ChatStream inner_;
  std::shared_ptr<AdmissionTicket> ticket_;
};
}  // namespace

asio::awaitable<result<ChatStream>> Gateway::chat_stream(ChatRequest request) {
  Impl::Prepared prepared;
  if (auto ok = impl_->prepare(request, prepared); !ok) co_return ok.error();
  auto stream = co_await impl_->router.chat_stream(prepared.plan, request);
  if (!stream || !request.admission) co_return stream;
  const std::string provider = stream->provider(), model = stream->model();
  const auto upstream_time = stream->upstream_time();
  co_return ChatStream(std::make_unique<AdmittedChunkSource>(std::move(*stream), std::move(request.admission)), provider, model, upstream_time);
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
