#pragma once
// The HTTP/1.1 front-end: listener and one coroutine per client connection.
// Limits: header and body size, keep-alive idle timeout, whole-request read
// timeout (no slowloris), write timeout. A client that goes away while its
// request is upstream cancels that upstream work at once.
#include <switchyard/gateway.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <cstdint>
#include <list>
#include <memory>

#include "observability/logger.hpp"
#include "server/memory_budget.hpp"
#include "server/request_head.hpp"
#include "server/request_id.hpp"

namespace switchyard::server {

// The endpoints, found from the path before any body byte is read.
enum class Endpoint { chat, messages, models, providers, health, metrics, unknown };

class HttpServer {
 public:
  HttpServer(boost::asio::any_io_executor ex, Gateway& gateway, observability::Logger& log);

  // Binds to config().server host:port (port 0 picks one); returns the bound
  // port. Throws boost::system::system_error when it cannot bind.
  std::uint16_t listen();

  // Accepts until stop().
  boost::asio::awaitable<void> run();

  // Stops accepting; idle keep-alive connections close now, busy ones after
  // their response.
  void stop();

  // Waits until every connection has closed, at most `grace`. True when drained.
  boost::asio::awaitable<bool> drain(Millis grace);

  std::size_t open_connections() const noexcept { return sessions_.size(); }
  // Connections accepted at once: max_connections, or fewer when the
  // open-file limit cannot hold two descriptors per connection (set by listen()).
  std::size_t max_connections() const noexcept { return max_connections_; }

  struct Session;

 private:
  std::string providers_json() const;
  std::string models_json() const;
  std::string health_json() const;
  // An error when the request may not go on (endpoint, method, key, declared size).
  std::optional<Error> check_access(const RequestHead& head, Endpoint endpoint, std::uint64_t content_length,
                                    const auth::KeyEntry*& key) const;
  std::size_t fit_connections_to_fd_limit();
  struct Connection;
  // One request on a connection: read, check, answer. False: close the connection.
  using RequestParser = boost::beast::http::request_parser<boost::beast::http::string_body>;
  // `parser` has read the head (or failed to: `head_error`).
  boost::asio::awaitable<bool> serve_request(Connection& c, RequestParser& parser, boost::system::error_code head_error,
                                             std::chrono::steady_clock::time_point started);
  boost::asio::awaitable<void> session(boost::asio::ip::tcp::socket socket,
                                      std::shared_ptr<boost::asio::cancellation_signal> cancel);

  boost::asio::any_io_executor ex_;
  Gateway& gateway_;
  const ServerConfig& config_;
  observability::Logger& log_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer drained_;
  boost::asio::steady_timer accept_backoff_;  // pause after a failed accept (EMFILE)
  std::chrono::steady_clock::time_point last_accept_log_{};
  std::uint64_t accept_failures_ = 0;
  std::size_t max_connections_ = 0;
  RequestIdGenerator ids_;
  MemoryBudget parse_budget_;   // parsed request JSON of every connection together
  MemoryBudget header_budget_;  // request heads over 2 KiB being read, every connection together
  std::list<Session*> sessions_;
  bool stopping_ = false;
};

}  // namespace switchyard::server
