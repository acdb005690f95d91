#pragma once
// The HTTP/1.1 front-end: the listener, the endpoint table, and one
// HttpSession per client connection. Limits: header and body size,
// keep-alive idle timeout, whole-request read timeout (no slowloris), write
// timeout, connections (fitted to the open-file limit). A client that goes
// away while its request is upstream cancels that upstream work at once.
//
// Shutdown has two stages: stop() stops accepting and closes idle
// connections while in-flight requests finish; cancel_all() then cancels
// what is left (streams end with their error event).
#include <switchyard/gateway.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <optional>
#include <vector>

#include "observability/logger.hpp"
#include "observability/relaxed_counter.hpp"
#include "pipeline/accounting.hpp"
#include "pipeline/authenticator.hpp"
#include "server/admin_api.hpp"
#include "server/chat_handler.hpp"
#include "server/dashboard_feed.hpp"
#include "server/endpoints.hpp"
#include "server/http_session.hpp"
#include "server/memory_budget.hpp"
#include "server/request_id.hpp"

namespace switchyard::server {

class HttpServer {
 public:
  // `reactor`: the gateway's reactor whose executor `ex` is (its pipeline serves
  // this server's requests); `servers`: how many servers (one per worker) share
  // the port and the connection limit; `budgets`: the memory budgets they
  // share (null: this server's own, from the config).
  HttpServer(boost::asio::any_io_executor ex, Gateway& gateway, observability::Logger& log, std::size_t reactor = 0, std::size_t servers = 1,
             std::shared_ptr<FrontBudgets> budgets = nullptr);
  static std::shared_ptr<FrontBudgets> budgets_for(const ServerConfig& config);

  // Binds to config().server host:port (port 0 picks one; `port` set: that
  // one, the port another worker's server bound); with several servers each
  // has its own listener on the port (SO_REUSEPORT: the kernel spreads the
  // connections). Returns the bound port. Throws boost::system::system_error
  // when it cannot bind.
  std::uint16_t listen(std::optional<std::uint16_t> port = std::nullopt);
  // The other workers' servers, whose front-end counters /metrics adds up (set before run()).
  void set_peers(std::vector<const HttpServer*> peers) { peers_ = std::move(peers); }

  // Accepts until stop().
  boost::asio::awaitable<void> run();

  // Stops accepting; idle keep-alive connections close now, busy ones after their response.
  void stop();
  // Cancels every request still in progress (after the grace period).
  void cancel_all();

  // Both stages of a shutdown: stop(), let in-flight requests finish for
  // `grace`, then cancel_all() and wait (at most write_timeout) for the
  // cancelled requests to end. True when every connection closed.
  boost::asio::awaitable<bool> shut_down(Millis grace);

  // Waits until every connection has closed, at most `grace`. True when drained.
  boost::asio::awaitable<bool> drain(Millis grace);

  // POST /admin/reload (admin key) calls this: reads the config file again and
  // hands it to Gateway::reload (the daemon sets it; without one the endpoint says so).
  // It runs on `main` (the gateway's main executor) and the answer waits until every worker took the new configuration.
  using Reloader = std::function<boost::system::result<ReloadOutcome, std::string>()>;
  void set_reloader(Reloader reloader, boost::asio::any_io_executor main = {});

  const boost::asio::any_io_executor& executor() const noexcept { return ex_; }
  std::size_t open_connections() const noexcept { return open_count_; }  // any thread
  // Connections accepted at once: max_connections, or fewer when the
  // open-file limit cannot hold two descriptors per connection (set by listen()).
  std::size_t max_connections() const noexcept { return max_connections_; }

 private:
  EndpointTable make_endpoints();
  boost::asio::awaitable<std::string> metrics_text() const;
  std::size_t fit_connections_to_fd_limit();
  boost::asio::awaitable<void> session(boost::asio::ip::tcp::socket socket,
                                      std::shared_ptr<boost::asio::cancellation_signal> cancel);
  boost::asio::awaitable<void> answer_text(RequestContext& r, std::string_view content_type, std::string body);
  boost::asio::awaitable<void> reload_config(RequestContext& r);
  // GET /ui: the dashboard page; GET /admin/events: its data, one SSE event a second.
  boost::asio::awaitable<void> dashboard_page(RequestContext& r);
  boost::asio::awaitable<void> dashboard_events(RequestContext& r);

  boost::asio::any_io_executor ex_;
  Gateway& gateway_;
  std::size_t reactor_;
  std::size_t servers_;
  std::vector<const HttpServer*> peers_;
  boost::asio::any_io_executor main_;
  const ServerConfig config_;  // as started: a reload keeps the listener's settings
  Reloader reloader_;
  observability::Logger& log_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer drained_;
  boost::asio::steady_timer accept_backoff_;  // pause after a failed accept (EMFILE)
  std::chrono::steady_clock::time_point last_accept_log_{};
  std::uint64_t accept_failures_ = 0;
  std::size_t max_connections_ = 0;
  RequestIdGenerator ids_;
  std::shared_ptr<FrontBudgets> budgets_;
  pipeline::Authenticator authenticator_;
  pipeline::Accounting accounting_;
  ChatHandler chat_;
  KeyWatch key_watch_;  // before feed_, which uses it
  AdminApi admin_;      // before endpoints_, which it adds to
  DashboardFeed feed_;
  EndpointTable endpoints_;
  bool stopping_ = false;
  SessionHost host_;
  std::list<HttpSession*> sessions_;
  observability::RelaxedCounter<std::size_t> open_count_;  // sessions_.size(), for other threads
};

}  // namespace switchyard::server
