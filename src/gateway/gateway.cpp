// The composition root: owns config, keys, routes, provider clients (and so
// their connection pools), and runs a chat request through them.
#include <switchyard/gateway.hpp>

#include "auth/key_store.hpp"
#include "config/config_loader.hpp"
#include "providers/connector_registry.hpp"
#include "routing/route_resolver.hpp"

namespace switchyard {

namespace asio = boost::asio;

boost::system::result<Config, std::string> load_config_file(const std::string& path) {
  return config::load_config_file(path, config::process_env());
}

namespace {

// Hands out the chunk that was awaited before the stream was returned, then
// the rest from the provider.
class FirstChunkGate final : public ChunkSource {
 public:
  FirstChunkGate(std::unique_ptr<ChunkSource> inner, std::optional<std::string_view> first)
      : inner_(std::move(inner)), first_(first) {}

  asio::awaitable<result<std::optional<std::string_view>>> next() override {
    if (pending_) {
      pending_ = false;
      co_return first_;
    }
    co_return co_await inner_->next();
  }

 private:
  std::unique_ptr<ChunkSource> inner_;
  std::optional<std::string_view> first_;
  bool pending_ = true;
};

}  // namespace

struct Gateway::Impl {
  Impl(asio::any_io_executor executor, Config cfg)
      : ex(std::move(executor)), config(std::move(cfg)), keys(config.keys), resolver(config),
        registry(providers::ConnectorRegistry::with_builtins()) {
    for (const auto& p : config.providers) clients.push_back(registry.make(ex, p));
  }

  struct Prepared {
    std::string model;  // as the client asked; owns the string the plan views
    routing::RoutePlan plan;
  };

  result<void> prepare(ChatRequest& request, Prepared& out) const {
    auto& body = request.body;
    const auto* model = body.if_contains("model");
    if (!model || !model->is_string()) {
      return make_error(errc::invalid_request, "'model' is required and must be a string");
    }
    const auto* messages = body.if_contains("messages");
    if (!messages || !messages->is_array() || messages->as_array().empty()) {
      return make_error(errc::invalid_request, "'messages' is required and must be a non-empty array");
    }
    out.model = std::string(model->as_string());
    if (request.api_key) {
      auto key = keys.authenticate(*request.api_key);
      if (!key) return key.error();
      if (!auth::KeyStore::allows(**key, out.model)) {
        return make_error(errc::model_not_allowed, "this key may not use the model '" + out.model + "'");
      }
    }
    auto plan = resolver.resolve(out.model);
    if (!plan) return plan.error();
    out.plan = *plan;
    return {};
  }

  asio::any_io_executor ex;
  Config config;
  auth::KeyStore keys;
  routing::RouteResolver resolver;
  providers::ConnectorRegistry registry;
  std::vector<std::unique_ptr<providers::ProviderClient>> clients;  // index = Config::providers index
};

Gateway::Gateway(asio::any_io_executor executor, Config config)
    : impl_(std::make_unique<Impl>(std::move(executor), std::move(config))) {}

Gateway::~Gateway() = default;

const Config& Gateway::config() const noexcept { return impl_->config; }

std::vector<std::string> Gateway::model_names() const { return impl_->resolver.model_names(); }

result<void> Gateway::authenticate(std::string_view authorization) const {
  auto key = impl_->keys.authenticate(authorization);
  if (!key) return key.error();
  return {};
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
  for (auto& c : impl_->clients) c->shutdown();
}

// The first target serves the request; retries and failover across targets
// belong to the resilient router (see the routing issue).
asio::awaitable<result<ChatResponse>> Gateway::chat(ChatRequest request) {
  Impl::Prepared prepared;
  if (auto ok = impl_->prepare(request, prepared); !ok) co_return ok.error();
  const auto& target = prepared.plan.targets().front();
  auto& client = *impl_->clients[target.provider];
  co_return co_await client.chat_completion(providers::ChatCall{request.body, target.model, request.request_id});
}

asio::awaitable<result<ChatStream>> Gateway::chat_stream(ChatRequest request) {
  Impl::Prepared prepared;
  if (auto ok = impl_->prepare(request, prepared); !ok) co_return ok.error();
  const auto& target = prepared.plan.targets().front();
  auto& client = *impl_->clients[target.provider];
  const auto started_at = std::chrono::steady_clock::now();
  auto source =
      co_await client.chat_completion_stream(providers::ChatCall{request.body, target.model, request.request_id});
  if (!source) co_return source.error();
  // First-chunk gate: the client's 200 waits for the first chunk, so a
  // provider that fails before it still gets a proper error status.
  auto first = co_await (*source)->next();
  if (!first) co_return first.error();
  co_return ChatStream(std::make_unique<FirstChunkGate>(std::move(*source), *first), client.name(),
                       std::string(target.model), std::chrono::steady_clock::now() - started_at);
}

}  // namespace switchyard
