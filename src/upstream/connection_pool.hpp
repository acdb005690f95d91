#pragma once
// Per-host pool of keep-alive upstream connections (plain TCP or TLS).
// A Lease is the RAII handle on one connection: it goes back to the pool only
// when the exchange marked it reusable (response fully read, keep-alive);
// otherwise it is closed. The pool caps connections per host; requests beyond
// the cap wait in a bounded queue for a bounded time.
#include <switchyard/config.hpp>
#include <switchyard/error.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <list>
#include <memory>
#include <optional>

#include "upstream/endpoint.hpp"

namespace switchyard::upstream {

class UpstreamConnection {
 public:
  using TcpStream = boost::beast::tcp_stream;
  using TlsStream = boost::beast::ssl_stream<boost::beast::tcp_stream>;

  explicit UpstreamConnection(const boost::asio::any_io_executor& ex);
  UpstreamConnection(const boost::asio::any_io_executor& ex, boost::asio::ssl::context& tls);

  TcpStream& tcp() noexcept { return tls_ ? boost::beast::get_lowest_layer(*tls_) : *plain_; }
  TlsStream* tls() noexcept { return tls_ ? &*tls_ : nullptr; }
  boost::beast::flat_buffer& buffer() noexcept { return buffer_; }

  // Calls f with the stream to do HTTP on (TLS or plain); both calls must
  // return the same type.
  template <class F>
  decltype(auto) visit(F&& f) {
    return tls_ ? f(*tls_) : f(*plain_);
  }

  // True when an idle connection can't be reused: the peer closed it or sent
  // bytes nobody asked for.
  bool looks_closed() noexcept;

  std::chrono::steady_clock::time_point idle_since{};
  bool watched = false;  // an idle watch (async_wait) is on it

 private:
  std::optional<TcpStream> plain_;
  std::optional<TlsStream> tls_;
  // Bytes read from the upstream and not yet parsed: a header block (at most
  // 64 KiB) or a chunk header and its pieces. Capped, so an upstream whose
  // chunk extension or trailer never ends is an error, not a growing buffer.
  static constexpr std::size_t kMaxBuffered = 256 * 1024;
  boost::beast::flat_buffer buffer_{kMaxBuffered};
};

struct PoolStats {
  std::uint64_t opened = 0;     // connections established
  std::uint64_t reused = 0;     // leases served by an idle connection
  std::uint64_t discarded = 0;  // connections closed (not reusable, stale, evicted)
  std::size_t idle = 0;
  std::size_t active = 0;       // leased or connecting
  std::size_t waiting = 0;
};

class ConnectionPool;

class Lease {
 public:
  Lease() = default;
  Lease(Lease&&) noexcept = default;
  Lease& operator=(Lease&& other) noexcept;
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;
  ~Lease();

  UpstreamConnection& connection() noexcept { return *conn_; }
  bool reused() const noexcept { return reused_; }
  // Mark when the exchange left the connection clean (response fully read, keep-alive).
  void set_reusable(bool v) noexcept { reusable_ = v; }

 private:
  friend class ConnectionPool;
  void give_back() noexcept;
  std::shared_ptr<void> state_;  // ConnectionPool's state; keeps it alive while leased
  std::unique_ptr<UpstreamConnection> conn_;
  bool reused_ = false;
  bool reusable_ = false;
};

class ConnectionPool {
 public:
  ConnectionPool(boost::asio::any_io_executor ex, Endpoint endpoint, std::string provider, PoolConfig config,
                 Millis connect_timeout, boost::asio::ssl::context* tls);
  ~ConnectionPool();
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  // An idle connection if one is healthy, else a new one if under the cap,
  // else waits (bounded). `fresh` skips idle connections.
  boost::asio::awaitable<result<Lease>> acquire(bool fresh = false);

  PoolStats stats() const noexcept;
  const Endpoint& endpoint() const noexcept;

  // Closes idle connections and refuses new leases (shutdown).
  void close() noexcept;

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace switchyard::upstream
