#include "upstream/connection_pool.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "upstream/io_error.hpp"

namespace switchyard::upstream {

namespace asio = boost::asio;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;
constexpr auto use_nothrow = asio::as_tuple(asio::use_awaitable);

UpstreamConnection::UpstreamConnection(const asio::any_io_executor& ex) { plain_.emplace(ex); }

UpstreamConnection::UpstreamConnection(const asio::any_io_executor& ex, asio::ssl::context& tls) { tls_.emplace(ex, tls); }

bool UpstreamConnection::looks_closed() noexcept {
  auto& sock = tcp().socket();
  if (!sock.is_open() || buffer_.size() != 0) return true;
  char c;
  const auto n = ::recv(sock.native_handle(), &c, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n >= 0) return true;  // 0: peer closed; >0: unsolicited bytes (e.g. TLS close_notify)
  return !(errno == EAGAIN || errno == EWOULDBLOCK);
}

struct Waiter {
  explicit Waiter(const asio::any_io_executor& ex) : timer(ex) {}
  asio::steady_timer timer;
  bool woken = false;
};

struct ConnectionPool::State : std::enable_shared_from_this<ConnectionPool::State> {
  asio::any_io_executor ex;
  Endpoint endpoint;
  std::string provider;
  PoolConfig config;
  Millis connect_timeout;
  asio::ssl::context* tls = nullptr;
  std::deque<std::unique_ptr<UpstreamConnection>> idle;  // oldest at front
  std::list<Waiter*> waiters;
  std::size_t active = 0;
  bool closed = false;
  PoolStats stats;
  std::optional<asio::steady_timer> sweep;  // arms idle watches on connections idle past peek_after_idle
  bool sweep_armed = false;

  void wake_one() {
    if (waiters.empty()) return;
    Waiter* w = waiters.front();
    waiters.pop_front();
    w->woken = true;
    w->timer.cancel();
  }

  void evict_expired(Clock::time_point now) {
    while (!idle.empty() && now - idle.front()->idle_since >= config.idle_timeout) {
      idle.pop_front();
      ++stats.discarded;
    }
  }

  // An idle connection the upstream closes (or sends anything on) is closed
  // then, not left in CLOSE-WAIT until the pool is next used. The wait is
  // cancelled when the connection is leased again.
  // Watching costs an epoll_ctl: a connection reused within
  // peek_after_idle (the hot path: one per request) is never watched; one
  // idle longer is, by this sweep, which runs only while such connections
  // exist.
  void schedule_sweep() {
    if (sweep_armed || closed) return;
    if (!sweep) sweep.emplace(ex);
    sweep_armed = true;
    sweep->expires_after(config.peek_after_idle);
    sweep->async_wait([weak = weak_from_this()](boost::system::error_code ec) {
      auto self = weak.lock();
      if (!self) return;
      self->sweep_armed = false;
      if (ec || self->closed) return;
      const auto now = Clock::now();
      bool waiting = false;
      for (auto& c : self->idle) {
        if (c->watched) continue;
        if (now - c->idle_since >= self->config.peek_after_idle) {
          c->watched = true;
          self->watch_idle(*c);
        } else {
          waiting = true;
        }
      }
      if (waiting) self->schedule_sweep();
    });
  }

  void watch_idle(UpstreamConnection& conn) {
    conn.tcp().socket().async_wait(tcp::socket::wait_read, [weak = weak_from_this(), raw = &conn](boost::system::error_code ec) {
      if (ec == asio::error::operation_aborted) return;
      auto self = weak.lock();
      if (!self) return;
      auto it = std::find_if(self->idle.begin(), self->idle.end(), [raw](const auto& c) { return c.get() == raw; });
      if (it == self->idle.end() || !(*it)->looks_closed()) return;  // leased meanwhile, or a stale wake-up
      boost::system::error_code ignored;
      (*it)->tcp().socket().close(ignored);
      self->idle.erase(it);
      ++self->stats.discarded;
    });
  }

  void release(std::unique_ptr<UpstreamConnection> conn, bool reusable) {
    --active;
    if (reusable && !closed && conn->buffer().size() == 0) {
      const auto now = Clock::now();
      conn->idle_since = now;
      conn->tcp().expires_never();
      conn->watched = false;
      idle.push_back(std::move(conn));
      schedule_sweep();
      evict_expired(now);
    } else {
      ++stats.discarded;
      boost::system::error_code ec;
      conn->tcp().socket().shutdown(tcp::socket::shutdown_both, ec);
      conn->tcp().socket().close(ec);
    }
    wake_one();
  }
};

Lease& Lease::operator=(Lease&& other) noexcept {
  if (this != &other) {
    give_back();
    state_ = std::move(other.state_);
    conn_ = std::move(other.conn_);
    reused_ = other.reused_;
    reusable_ = other.reusable_;
  }
  return *this;
}

Lease::~Lease() { give_back(); }

void Lease::give_back() noexcept {
  if (conn_ && state_) {
    static_cast<ConnectionPool::State*>(state_.get())->release(std::move(conn_), reusable_);
  }
  conn_.reset();
  state_.reset();
}

namespace {

asio::awaitable<result<std::unique_ptr<UpstreamConnection>>> connect(ConnectionPool::State& s) {
  using namespace asio::experimental::awaitable_operators;
  const auto deadline = Clock::now() + s.connect_timeout;
  tcp::resolver resolver(s.ex);
  asio::steady_timer timer(s.ex);
  timer.expires_at(deadline);
  auto resolved = co_await (resolver.async_resolve(s.endpoint.host, s.endpoint.port, use_nothrow) ||
                            timer.async_wait(use_nothrow));
  if (resolved.index() == 1) {
    co_return make_error(errc::connect_timeout, "timed out resolving " + s.endpoint.host, s.provider);
  }
  auto [rec, endpoints] = std::get<0>(std::move(resolved));
  if (rec) {
    co_return make_error(errc::upstream_connect, "could not resolve " + s.endpoint.host + ": " + rec.message(),
                         s.provider);
  }
  auto conn = s.endpoint.tls ? std::make_unique<UpstreamConnection>(s.ex, *s.tls)
                             : std::make_unique<UpstreamConnection>(s.ex);
  conn->tcp().expires_at(deadline);
  auto [cec, ep] = co_await conn->tcp().async_connect(endpoints, use_nothrow);
  if (cec) {
    auto e = io_error(cec, "connecting", s.provider);
    e.message += " (" + s.endpoint.host + ":" + s.endpoint.port + ")";
    co_return e;
  }
  boost::system::error_code ignored;
  conn->tcp().socket().set_option(tcp::no_delay(true), ignored);
  if (auto* tls = conn->tls()) {
    boost::system::error_code addr_ec;
    asio::ip::make_address(s.endpoint.host, addr_ec);
    if (addr_ec) {  // SNI only for names, not IP literals
      SSL_set_tlsext_host_name(tls->native_handle(), s.endpoint.host.c_str());
    }
    tls->set_verify_callback(asio::ssl::host_name_verification(s.endpoint.host));
    auto [hec] = co_await tls->async_handshake(asio::ssl::stream_base::client, use_nothrow);
    if (hec) co_return io_error(hec, "TLS handshake", s.provider);
  }
  conn->tcp().expires_never();
  if (!conn->tls()) {
    // Plain connections read what has already arrived without an async
    // operation (UpstreamExchange::read_some); async operations work as before.
    boost::system::error_code nb;
    conn->tcp().socket().non_blocking(true, nb);
  }
  co_return conn;
}

}  // namespace

ConnectionPool::ConnectionPool(asio::any_io_executor ex, Endpoint endpoint, std::string provider, PoolConfig config,
                               Millis connect_timeout, asio::ssl::context* tls)
    : state_(std::make_shared<State>()) {
  state_->ex = std::move(ex);
  state_->endpoint = std::move(endpoint);
  state_->provider = std::move(provider);
  state_->config = config;
  state_->connect_timeout = connect_timeout;
  state_->tls = tls;
  if (state_->endpoint.tls && !tls) throw std::invalid_argument("TLS endpoint without a TLS context");
}

ConnectionPool::~ConnectionPool() { close(); }

void ConnectionPool::close() noexcept {
  state_->closed = true;
  if (state_->sweep) state_->sweep->cancel();
  state_->stats.discarded += state_->idle.size();
  state_->idle.clear();
  while (!state_->waiters.empty()) state_->wake_one();
}

const Endpoint& ConnectionPool::endpoint() const noexcept { return state_->endpoint; }

PoolStats ConnectionPool::stats() const noexcept {
  PoolStats s = state_->stats;
  s.idle = state_->idle.size();
  s.active = state_->active;
  s.waiting = state_->waiters.size();
  return s;
}

asio::awaitable<result<Lease>> ConnectionPool::acquire(bool fresh) {
  auto state = state_;  // keep alive across suspensions
  State& s = *state;
  for (;;) {
    if (s.closed) co_return make_error(errc::shutting_down, "the gateway is shutting down", s.provider);
    s.evict_expired(Clock::now());
    if (!fresh) {
      while (!s.idle.empty()) {
        auto conn = std::move(s.idle.back());  // most recently used: warmest
        s.idle.pop_back();
        if (conn->watched) {
          boost::system::error_code ignored;
          conn->tcp().socket().cancel(ignored);  // its idle watch
          conn->watched = false;
        }
        // Peeking costs a syscall; a connection used within peek_after_idle is
        // taken as alive (a dead one is still caught: the request is retried
        // once on a fresh connection when no response byte came back).
        if (Clock::now() - conn->idle_since >= s.config.peek_after_idle && conn->looks_closed()) {
          ++s.stats.discarded;
          continue;
        }
        ++s.active;
        ++s.stats.reused;
        Lease lease;
        lease.state_ = state;
        lease.conn_ = std::move(conn);
        lease.reused_ = true;
        co_return lease;
      }
    }
    if (s.active + s.idle.size() < s.config.max_connections) {
      ++s.active;
      auto conn = co_await connect(s);
      if (!conn) {
        --s.active;
        s.wake_one();
        co_return conn.error();
      }
      ++s.stats.opened;
      Lease lease;
      lease.state_ = state;
      lease.conn_ = std::move(*conn);
      co_return lease;
    }
    if (fresh && !s.idle.empty()) {  // make room for a fresh connection
      s.idle.pop_front();
      ++s.stats.discarded;
      continue;
    }
    if (s.waiters.size() >= s.config.max_waiters) {
      co_return make_error(errc::pool_exhausted,
                           "all " + std::to_string(s.config.max_connections) + " connections are busy and " +
                               std::to_string(s.waiters.size()) + " requests are already waiting",
                           s.provider);
    }
    Waiter w(s.ex);
    w.timer.expires_after(s.config.queue_timeout);
    auto it = s.waiters.insert(s.waiters.end(), &w);
    struct Unlink {  // leaves the queue on every exit, including cancellation
      State& s;
      Waiter& w;
      std::list<Waiter*>::iterator it;
      ~Unlink() {
        if (!w.woken) s.waiters.erase(it);
      }
    } unlink{s, w, it};
    auto [ec] = co_await w.timer.async_wait(use_nothrow);
    if (!w.woken) {
      if (ec == asio::error::operation_aborted) co_return make_error(errc::cancelled, "cancelled", s.provider);
      co_return make_error(errc::pool_exhausted,
                           "no connection became free within " + std::to_string(s.config.queue_timeout.count()) +
                               " ms (" + std::to_string(s.config.max_connections) + " busy)",
                           s.provider);
    }
  }
}

}  // namespace switchyard::upstream
