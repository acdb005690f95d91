#include "providers/vertex_token_source.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <ctime>
#include <optional>

#include "providers/upstream_error.hpp"
#include "upstream/connection_pool.hpp"
#include "upstream/endpoint.hpp"
#include "upstream/tls_context.hpp"
#include "upstream/upstream_exchange.hpp"

namespace switchyard::providers {

namespace asio = boost::asio;

namespace {
struct Flight {
  explicit Flight(const asio::any_io_executor& ex) : done(ex, asio::steady_timer::time_point::max()) {}
  asio::steady_timer done;  // cancelled when the outcome is in: wakes every waiter
  std::optional<result<AccessToken>> outcome;
};
}  // namespace

struct VertexTokenSource::State {
  asio::any_io_executor ex;
  std::string provider;
  ServiceAccount account;
  Clock clock;
  upstream::Endpoint endpoint;
  std::string token_path;
  upstream::ExchangeTimeouts timeouts;
  std::unique_ptr<asio::ssl::context> tls;
  std::unique_ptr<upstream::ConnectionPool> pool;
  std::optional<AccessToken> cached;
  std::shared_ptr<Flight> flight;
  std::optional<Error> failed;      // the last exchange's failure, answered for a second without a new exchange
  std::int64_t failed_at = 0;
  std::uint64_t exchanges = 0;
};

namespace {

Error token_error(const std::string& provider, std::string why) {
  Error e = make_error(errc::upstream_status, "could not get a Google access token: " + why, provider);
  e.upstream_status = 502;
  return e;
}

asio::awaitable<result<AccessToken>> exchange(std::shared_ptr<VertexTokenSource::State> s) {
  ++s->exchanges;
  const auto now = s->clock();
  auto assertion = sign_jwt_assertion(s->account, now);
  if (!assertion) co_return token_error(s->provider, assertion.error().message);
  const std::string body = token_request_body(*assertion);
  const std::string head = "POST " + s->token_path + " HTTP/1.1\r\nHost: " + s->endpoint.host_header +
                           "\r\nUser-Agent: switchyard/0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nAccept: application/json\r\n"
                           "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  upstream::UpstreamExchange ex(*s->pool, s->timeouts, s->provider);
  const upstream::UpstreamExchange::RequestBuffers req{asio::buffer(head), asio::const_buffer(), asio::buffer(body)};
  if (auto started = co_await ex.start(req); !started) co_return token_error(s->provider, started.error().message);
  auto answer = co_await ex.read_all(64 * 1024);
  if (!answer) co_return token_error(s->provider, answer.error().message);
  if (ex.status() != 200) {
    // {"error":"invalid_grant","error_description":"..."}: redacted and cut like any upstream text
    co_return token_error(s->provider, "the token endpoint answered HTTP " + std::to_string(ex.status()) + ": " +
                                           redact_secrets(answer->substr(0, 300), {s->account.private_key_pem}));
  }
  auto token = read_token_response(*answer, s->clock());
  if (!token) co_return token_error(s->provider, token.error().message);
  co_return std::move(*token);
}

asio::awaitable<void> fly(std::shared_ptr<VertexTokenSource::State> s, std::shared_ptr<Flight> f) {
  auto outcome = co_await exchange(s);
  if (outcome) {
    s->cached = *outcome;
    s->failed.reset();
  } else {
    s->failed = outcome.error();
    s->failed_at = s->clock();
  }
  f->outcome = std::move(outcome);
  if (s->flight == f) s->flight.reset();
  f->done.cancel();
}

std::shared_ptr<Flight> start(const std::shared_ptr<VertexTokenSource::State>& s) {
  if (!s->flight) {
    s->flight = std::make_shared<Flight>(s->ex);
    // Bounded by the pool's connect timeout and the exchange's timeouts; owns what it uses.
    asio::co_spawn(s->ex, fly(s, s->flight), asio::detached);
  }
  return s->flight;
}

}  // namespace

VertexTokenSource::VertexTokenSource(const asio::any_io_executor& ex, const ProviderConfig& config, ServiceAccount account, Clock clock)
    : state_(std::make_shared<State>()) {
  auto& s = *state_;
  s.ex = ex;
  s.provider = config.name;
  s.clock = clock ? std::move(clock) : Clock([] { return static_cast<std::int64_t>(std::time(nullptr)); });
  auto ep = upstream::parse_endpoint(account.token_uri);
  if (!ep) throw std::invalid_argument("provider '" + config.name + "': the credentials file's token_uri: " + ep.error().message);
  s.endpoint = std::move(*ep);
  s.token_path = s.endpoint.path_prefix.empty() ? "/" : s.endpoint.path_prefix;
  s.account = std::move(account);
  s.timeouts = {config.response_timeout, config.read_timeout};
  ProviderConfig token_host = config;  // the same CA bundle and verification as the provider
  if (s.endpoint.tls) s.tls = upstream::make_client_tls_context(token_host);
  PoolConfig pool;
  pool.max_connections = 2;
  s.pool = std::make_unique<upstream::ConnectionPool>(ex, s.endpoint, config.name + " (token)", pool, config.connect_timeout, s.tls.get());
}

VertexTokenSource::~VertexTokenSource() { shutdown(); }

void VertexTokenSource::shutdown() noexcept {
  if (state_ && state_->pool) state_->pool->close();
}

std::uint64_t VertexTokenSource::exchanges() const noexcept { return state_->exchanges; }
bool VertexTokenSource::refreshing() const noexcept { return state_->flight != nullptr; }

asio::awaitable<result<std::string>> VertexTokenSource::token() {
  auto s = state_;
  const auto now = s->clock();
  if (s->cached && now < s->cached->expires_at - kRefreshAhead) co_return s->cached->token;
  if (s->cached && now < s->cached->expires_at - 10) {  // still valid: used, while one flight refreshes it
    start(s);
    co_return s->cached->token;
  }
  // A token endpoint that just failed is not asked again by every request: its error stands for a second.
  if (s->failed && !s->flight && now - s->failed_at < 1) co_return *s->failed;
  auto f = start(s);
  if (!f->outcome) co_await f->done.async_wait(asio::as_tuple(asio::use_awaitable));
  if (!f->outcome) co_return token_error(s->provider, "the token exchange was abandoned");
  if (!*f->outcome) co_return f->outcome->error();
  co_return (*f->outcome)->token;
}

}  // namespace switchyard::providers
