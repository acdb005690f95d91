#pragma once
// One HTTP request/response with an upstream over a pooled connection.
// start() writes the request and reads the response headers; the body is then
// read piece by piece (read_some) so streams are relayed as they arrive. When
// the body has been read completely on a keep-alive connection, the
// connection goes back to the pool; if the exchange is dropped early
// (cancelled, error, client gone) the connection is closed, never reused
// half-read.
#include <switchyard/config.hpp>
#include <switchyard/error.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/asio/buffer.hpp>

#include <array>
#include <optional>
#include <string>
#include <string_view>

#include "upstream/connection_pool.hpp"
#include "upstream/stall_watch.hpp"

namespace switchyard::upstream {

struct ExchangeTimeouts {
  Millis response{120'000};  // request written and response headers read
  Millis read{60'000};       // each gap while reading the body
};

class UpstreamExchange {
 public:
  static constexpr std::size_t kReadCapacity = 16 * 1024;  // the connection's read buffer

  UpstreamExchange(ConnectionPool& pool, ExchangeTimeouts timeouts, const std::string& provider)
      : pool_(pool), timeouts_(timeouts), provider_(provider) {}

  // A serialized HTTP request: head (request line and headers, ending in an
  // empty line) in pieces, then the body. Written with one gathered write.
  using RequestBuffers = std::array<boost::asio::const_buffer, 3>;

  // Sends the request. A reused connection that turns out dead before any
  // response byte arrived is replaced once by a fresh one.
  boost::asio::awaitable<result<void>> start(const RequestBuffers& request);

  unsigned status() const { return parser_->get().result_int(); }
  const boost::beast::http::fields& headers() const { return parser_->get().base(); }

  // Next piece of the body; an empty view means the body is complete. The
  // view is valid until the next call. A piece holds everything that had
  // arrived (up to the chunk buffer's size), not one HTTP chunk of it.
  boost::asio::awaitable<result<std::string_view>> read_some();

  // The next piece if it is here without waiting: bytes already received
  // (an empty view: the body is complete), the error that ended it, or
  // nullopt when only the socket can tell. No system call.
  std::optional<result<std::string_view>> read_buffered();

  // Waits for more of the body (within the read timeout) and receives it;
  // what it brought, or the error, is then read_buffered()'s.
  boost::asio::awaitable<void> receive();

  // The rest of the body, at most `limit` bytes (more is an error).
  boost::asio::awaitable<result<std::string>> read_all(std::size_t limit);

  // The caller has all it needs of the body: nothing more is awaited. Bytes
  // already received are parsed at once; when they end the body the
  // connection is pooled, else it is closed.
  void finish_now() noexcept;

  bool done() const noexcept { return done_; }
  bool reused_connection() const noexcept { return reused_; }

 private:
  void finish();
  // Parses received bytes into chunk_ from `from` on; the bytes chunk_ then holds.
  std::size_t parse_buffered(std::size_t from, boost::system::error_code& ec);
  result<std::string_view> failed(const boost::system::error_code& ec);
  void fail(const boost::system::error_code& ec);  // kept for read_buffered()

  ConnectionPool& pool_;
  ExchangeTimeouts timeouts_;
  const std::string& provider_;
  std::optional<Lease> lease_;
  std::optional<boost::beast::http::response_parser<boost::beast::http::buffer_body>> parser_;
  bool done_ = false;
  bool reused_ = false;
  bool drained_ = true;  // the last receive emptied the socket: wait before the next
  std::optional<StallWatch> stall_;
  std::optional<Error> failure_;  // a receive failed: reported by the next read_buffered()
  std::array<char, 4 * 1024> chunk_;  // not zeroed: only bytes read are used; 4 KiB keeps an open stream small
};

}  // namespace switchyard::upstream
