#pragma once
// One request as its handler sees it: the head, the authenticated key, the
// connection to answer on, the headers stages add (ResponseHeaders) and the
// outcome for the access log. Handlers answer through respond() /
// respond_error(), which write through the connection's ResponseWriter.
#include <switchyard/config.hpp>
#include <switchyard/error.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_suffix.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include <chrono>

#include "pipeline/accounting.hpp"
#include "server/chat_dialect.hpp"
#include "server/client_watch.hpp"
#include "server/memory_budget.hpp"
#include "server/request_head.hpp"
#include "server/request_json_parser.hpp"
#include "server/response_headers.hpp"
#include "server/response_writer.hpp"

namespace switchyard::auth {
struct KeyEntry;
}

namespace switchyard::server {

// Writes buffers to the client; false when the client is gone. Most writes
// fit in the socket's send buffer: they go out at once (the socket is
// non-blocking), with no async operation and no timer to arm and cancel;
// only what does not fit is awaited, within the write timeout.
template <class Buffers>
boost::asio::awaitable<bool> send_to(boost::beast::tcp_stream& stream, const Buffers& buffers, Millis write_timeout) {
  namespace asio = boost::asio;
  boost::system::error_code ec;
  const std::size_t written = asio::write(stream.socket(), buffers, ec);
  if (!ec) co_return true;
  if (ec != asio::error::would_block && ec != asio::error::try_again) co_return false;
  boost::beast::buffers_suffix<Buffers> rest(buffers);
  rest.consume(written);
  stream.expires_after(write_timeout);
  auto [wec, n] = co_await asio::async_write(stream, rest, asio::as_tuple(asio::use_awaitable));
  co_return !wec;
}

struct RequestContext {
  RequestContext(boost::beast::tcp_stream& stream, ResponseWriter& writer, ClientWatch& watch, Millis write_timeout,
                 MemoryBudget* parse_budget, std::size_t json_memory_factor)
      : stream(stream), writer(writer), watch(watch), write_timeout(write_timeout), json(parse_budget, json_memory_factor) {}

  boost::beast::tcp_stream& stream;
  ResponseWriter& writer;
  ClientWatch& watch;
  Millis write_timeout;
  RequestHead head;
  ErrorShape shape = ErrorShape::openai;   // errors in the client's API shape
  const auth::KeyEntry* key = nullptr;     // the authenticated client key, if any
  std::shared_ptr<const void> pin;         // the configuration `key` belongs to, held until the request ends (a reload may come)
  std::string admin_subject;               // an administrator's JWT subject (empty: the admin key)
  std::string end_user;                    // a JWT's user claim (empty: the request names its end user itself)
  std::string_view body;                   // the request body, once read
  std::chrono::steady_clock::time_point read_at{};  // when the whole request had been read
  bool stopping = false;                   // the server is draining: answer with Connection: close
  const bool* server_stopping = nullptr;   // the server's own flag, now (a shutdown that began during the request)
  ResponseHeaders headers;
  pipeline::RequestOutcome outcome;
  // The body's parsed JSON lives in this arena: bounded, freed when the request ends.
  RequestJsonParser json;

  template <class Buffers>
  boost::asio::awaitable<bool> send(const Buffers& buffers) {
    return send_to(stream, buffers, write_timeout);
  }
  ResponseWriter::Meta meta(std::string_view overhead = {}, std::string_view retry_after = {}) const;
  // A complete answer; a failed write closes the connection.
  boost::asio::awaitable<void> respond(unsigned status, std::string_view content_type, std::string_view body,
                                       std::string_view retry_after = {});
  boost::asio::awaitable<void> respond_json(unsigned status, std::string_view body) {
    return respond(status, "application/json", body);
  }
  // The one mapping, in the shape of the client's API.
  // (By value: handlers may return this awaitable from a plain function whose locals are gone when it runs.)
  boost::asio::awaitable<void> respond_error(Error e);
  boost::asio::awaitable<void> respond_mapped(const error::HttpError& mapped);
};

}  // namespace switchyard::server
