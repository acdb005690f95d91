#include "auth/jwks_source.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <limits>
#include <fstream>
#include <mutex>
#include <sstream>
#include <stdexcept>

#include "upstream/connection_pool.hpp"
#include "upstream/endpoint.hpp"
#include "upstream/tls_context.hpp"
#include "upstream/upstream_exchange.hpp"

namespace switchyard::auth {

namespace asio = boost::asio;

struct JwksSource::State {
  asio::any_io_executor ex;
  JwtConfig config;
  Clock clock;
  upstream::Endpoint endpoint;
  std::string path;
  std::unique_ptr<asio::ssl::context> tls;
  std::unique_ptr<upstream::ConnectionPool> pool;
  asio::steady_timer wake;  // the refresh loop's wait: cancelled to fetch at once
  mutable std::mutex mu;    // guards keys and error (read by workers)
  std::shared_ptr<const KeySet> keys;
  std::string error;
  std::atomic<std::int64_t> last_kid_fetch{std::numeric_limits<std::int64_t>::min() / 2};  // the last fetch an unknown kid asked for
  std::atomic<std::uint64_t> fetches{0};
  std::atomic<bool> stopped{false};
  explicit State(const asio::any_io_executor& e) : ex(e), wake(e) {}
  void set(result<KeySet> r) {
    std::lock_guard lock(mu);
    if (r) {
      keys = std::make_shared<const KeySet>(std::move(*r));
      error.clear();
    } else {
      error = r.error().message;  // the last good set is kept
    }
  }
};

namespace {
asio::awaitable<result<KeySet>> fetch(std::shared_ptr<JwksSource::State> s) {
  ++s->fetches;
  const std::string head = "GET " + s->path + " HTTP/1.1\r\nHost: " + s->endpoint.host_header +
                           "\r\nUser-Agent: switchyard/0.1\r\nAccept: application/json\r\n\r\n";
  upstream::UpstreamExchange ex(*s->pool, upstream::ExchangeTimeouts{Millis(10'000), Millis(10'000)}, "jwks");
  const upstream::UpstreamExchange::RequestBuffers req{asio::buffer(head), asio::const_buffer(), asio::const_buffer()};
  if (auto started = co_await ex.start(req); !started) co_return make_error(errc::unavailable, "fetching the JWKS: " + started.error().message);
  auto body = co_await ex.read_all(kMaxJwksBytes);
  if (!body) co_return make_error(errc::unavailable, "fetching the JWKS: " + body.error().message);
  if (ex.status() != 200) co_return make_error(errc::unavailable, "fetching the JWKS: HTTP " + std::to_string(ex.status()));
  co_return parse_jwks(*body);
}

// Fetches at start, then every jwks_refresh (or at once when woken), until stopped.
asio::awaitable<void> refresh_loop(std::shared_ptr<JwksSource::State> s) {
  while (!s->stopped) {
    auto fetched = co_await fetch(s);
    const bool failed = !fetched;
    s->set(std::move(fetched));
    // A failed fetch is tried again within 30 s (the last good set serves meanwhile).
    s->wake.expires_after(failed ? std::min<Millis>(s->config.jwks_refresh, Millis(30'000)) : s->config.jwks_refresh);
    co_await s->wake.async_wait(asio::as_tuple(asio::use_awaitable));
  }
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("[auth.jwt] jwks_file: cannot read " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}
}  // namespace

JwksSource::JwksSource(const asio::any_io_executor& ex, const JwtConfig& config, Clock clock) : state_(std::make_shared<State>(ex)) {
  auto& s = *state_;
  s.config = config;
  s.clock = clock ? std::move(clock) : Clock([] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
  });
  if (!config.jwks_file.empty()) {
    auto set = parse_jwks(read_file(config.jwks_file));
    if (!set) throw std::runtime_error("[auth.jwt] jwks_file " + config.jwks_file + ": " + set.error().message);
    s.set(std::move(set));
    return;
  }
  auto ep = upstream::parse_endpoint(config.jwks_url);
  if (!ep) throw std::invalid_argument("[auth.jwt] jwks_url: " + ep.error().message);
  s.endpoint = std::move(*ep);
  const auto at = config.jwks_url.find('/', config.jwks_url.find("://") + 3);
  s.path = at == std::string::npos ? "/" : config.jwks_url.substr(at);
  ProviderConfig host;  // the system's CA bundle, verified
  if (s.endpoint.tls) s.tls = upstream::make_client_tls_context(host);
  PoolConfig pool;
  pool.max_connections = 1;
  s.pool = std::make_unique<upstream::ConnectionPool>(ex, s.endpoint, "jwks", pool, Millis(5'000), s.tls.get());
  asio::co_spawn(ex, refresh_loop(state_), asio::detached);  // stop() ends it; it owns what it uses
}

JwksSource::~JwksSource() { stop(); }

void JwksSource::stop() noexcept {
  if (!state_ || state_->stopped.exchange(true)) return;
  asio::post(state_->ex, [s = state_] {
    s->wake.cancel();
    if (s->pool) s->pool->close();
  });
}

std::shared_ptr<const KeySet> JwksSource::keys() const {
  std::lock_guard lock(state_->mu);
  return state_->keys;
}

void JwksSource::unknown_kid() {
  auto& s = *state_;
  if (!s.pool || s.stopped) return;  // a file is read once
  const auto now = s.clock();
  auto last = s.last_kid_fetch.load();
  if (now - last < kUnknownKidInterval || !s.last_kid_fetch.compare_exchange_strong(last, now)) return;
  asio::post(s.ex, [st = state_] { st->wake.cancel(); });  // the loop fetches at once
}

std::uint64_t JwksSource::fetches() const noexcept { return state_->fetches; }

std::string JwksSource::last_error() const {
  std::lock_guard lock(state_->mu);
  return state_->error;
}

}  // namespace switchyard::auth
