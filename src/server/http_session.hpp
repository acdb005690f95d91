#pragma once
// One client connection: the keep-alive loop, reading each request's head
// (bounded: a small own buffer, larger heads from a shared budget), framing
// checks, finding the endpoint, checking method, key and declared size
// before a byte of the body is read, 100-continue, reading the body within
// its limit and the request timeout, calling the endpoint's handler, the
// access log, and the lingering close after a refusal. Holds no request
// state while idle.
#include <switchyard/config.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <chrono>
#include <memory>
#include <optional>

#include "observability/logger.hpp"
#include "pipeline/accounting.hpp"
#include "pipeline/authenticator.hpp"
#include "server/client_watch.hpp"
#include "server/endpoints.hpp"
#include "server/memory_budget.hpp"
#include "server/request_context.hpp"
#include "server/request_id.hpp"
#include "server/response_writer.hpp"

namespace switchyard::server {

// What the sessions of one server share.
struct SessionHost {
  const ServerConfig& config;
  RequestIdGenerator& ids;
  MemoryBudget& header_budget;  // request heads over 2 KiB being read, every connection together
  const EndpointTable& endpoints;
  const pipeline::Authenticator& authenticator;
  const pipeline::Accounting& accounting;
  MemoryBudget& parse_budget;   // parsed request JSON of every connection together
  const bool& stopping;
};

class HttpSession {
 public:
  HttpSession(SessionHost& host, boost::asio::ip::tcp::socket socket, std::shared_ptr<boost::asio::cancellation_signal> cancel);

  // Serves requests until the client leaves, an error closes the connection, or the server stops.
  boost::asio::awaitable<void> run();
  // Server stopping: an idle keep-alive connection closes now; a busy one after its response.
  void close_if_idle();
  // Shutdown grace over: cancels the request in progress (a stream gets its error event).
  void cancel();

 private:
  using RequestParser = boost::beast::http::request_parser<boost::beast::http::string_body>;
  boost::asio::awaitable<void> refuse_head_flood();
  boost::system::error_code parse_buffered_body(RequestParser& parser);
  // One request; false: close the connection.
  boost::asio::awaitable<bool> serve(RequestParser& parser, boost::system::error_code head_error,
                                     std::chrono::steady_clock::time_point started);
  boost::asio::awaitable<bool> refuse_bad_head(RequestContext& r, boost::system::error_code ec);
  std::optional<Error> check_access(RequestContext& r, const EndpointSpec* spec, std::uint64_t content_length) const;
  boost::asio::awaitable<bool> read_body(RequestContext& r, RequestParser& parser, boost::system::error_code buffered_error);
  // An answer given before the body was read: the connection closes after it, lingering.
  boost::asio::awaitable<void> refuse(RequestContext& r, const Error& e);
  boost::asio::awaitable<void> linger_close();

  SessionHost& host_;
  boost::beast::tcp_stream stream_;
  std::shared_ptr<boost::asio::cancellation_signal> cancel_;
  ClientWatch watch_;
  boost::beast::flat_buffer buffer_;
  ResponseWriter writer_;
  std::size_t buffer_cap_;
  bool linger_ = false;  // close with a lingering close (the request's body was not read)
  bool busy_ = false;
};

}  // namespace switchyard::server
