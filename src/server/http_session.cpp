#include "server/http_session.hpp"

#include "auth/key_store.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http.hpp>

#include <array>

namespace switchyard::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;
constexpr auto use_nothrow = asio::as_tuple(asio::use_awaitable);
using Clock = std::chrono::steady_clock;

namespace {
// The first read of a request takes at most this much; the buffer grows only
// while a request needs it (headers up to max_header_bytes, body pieces).
constexpr std::size_t kFirstRead = 1024;
// A request head up to this size is read in the connection's own buffer; a
// larger one (up to max_header_bytes) takes its extra room from the server's
// shared header budget, so idle or slow clients with no key cannot together
// hold more than that budget.
constexpr std::size_t kOwnHeadRoom = 2048;

bool malformed(const boost::system::error_code& ec) {
  return ec.category() == http::make_error_code(http::error::end_of_stream).category() && ec != http::error::end_of_stream &&
         ec != http::error::partial_message;
}
}  // namespace

// Every byte read from the client passes through the connection's buffer; it
// may hold a header block (max_header_bytes) plus one read, never more, so a
// chunk extension or trailer that never ends is an error, not a growing buffer.
HttpSession::HttpSession(SessionHost& host, tcp::socket socket, std::shared_ptr<asio::cancellation_signal> cancel)
    : host_(host), stream_(std::move(socket)), cancel_(std::move(cancel)), watch_(stream_, cancel_),
      buffer_(host.config.max_header_bytes + 16 * 1024), buffer_cap_(host.config.max_header_bytes + 16 * 1024) {}

void HttpSession::close_if_idle() {
  boost::system::error_code ignored;
  if (!busy_) stream_.socket().cancel(ignored);
}

void HttpSession::cancel() {
  if (busy_) cancel_->emit(asio::cancellation_type::terminal);
  else close_if_idle();
}

// The head is read in the connection's small frame (no request state is
// made before a whole head arrived): a client that sends part of a head and
// stalls holds its buffer and no more. The reads are inline here, not in
// helper coroutines: each coroutine frame costs a request ~300 instructions.
asio::awaitable<void> HttpSession::run() {
  // A client leaving cancels the awaited operation; it must come back as an error value, not an exception.
  co_await asio::this_coro::throw_if_cancelled(false);
  boost::system::error_code ignored;
  stream_.socket().set_option(tcp::no_delay(true), ignored);
  stream_.socket().non_blocking(true, ignored);  // writes go out at once (send_to)
  for (;;) {
    // Keep-alive: wait for the first byte of the next request. An idle connection holds no more than a small buffer.
    if (buffer_.size() == 0) {
      busy_ = false;
      if (host_.stopping) break;
      if (buffer_.capacity() > kOwnHeadRoom) buffer_ = beast::flat_buffer(buffer_cap_);
      stream_.expires_after(host_.config.idle_timeout);
      auto [ec, n] = co_await stream_.async_read_some(buffer_.prepare(kFirstRead), use_nothrow);
      if (ec) break;
      buffer_.commit(n);
    }
    busy_ = true;
    const auto started = Clock::now();
    // The whole request (headers and body) must arrive within request_timeout.
    stream_.expires_after(host_.config.request_timeout);
    RequestParser parser;
    parser.header_limit(static_cast<std::uint32_t>(host_.config.max_header_bytes));
    // The body limit is set once the key was checked: a client with no key gets
    // 401, not a hint about sizes. (No body byte is read before that.)
    parser.body_limit(boost::none);
    MemoryBudget::Reservation head_room(host_.header_budget);
    std::size_t room = std::max(kOwnHeadRoom, buffer_.size());
    buffer_.max_size(room);
    boost::system::error_code hec;
    bool budget_spent = false;
    for (;;) {
      auto [ec, n] = co_await http::async_read_header(stream_, buffer_, parser, use_nothrow);
      hec = ec;
      if (hec != http::error::buffer_overflow || room >= buffer_cap_) break;
      // A head larger than the connection's own room: more from the shared budget.
      const std::size_t more = std::min(buffer_cap_, room * 2) - room;
      budget_spent = !head_room.grow(more);
      if (budget_spent) break;
      room += more;
      buffer_.max_size(room);
    }
    buffer_.max_size(buffer_cap_);
    if (budget_spent) {
      co_await refuse_head_flood();
      break;
    }
    if (!co_await serve(parser, hec, started)) break;
  }
  if (linger_) co_await linger_close();
  else stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
  stream_.socket().close(ignored);
}

// Too many large heads are being read at once: answered from here, without a
// request's state, so under a flood each refused head costs no more than its buffer.
asio::awaitable<void> HttpSession::refuse_head_flood() {
  Error busy = make_error(errc::overloaded, "too many large request heads are being read at once; retry shortly");
  busy.retry_after = "1";
  const auto mapped = error::to_http_error(busy);
  const std::string id = host_.ids.next();
  co_await send_to(stream_, writer_.json(static_cast<unsigned>(mapped.status), mapped.body, ResponseWriter::Meta{id, {}, mapped.retry_after, false}),
                   host_.config.write_timeout);
  host_.accounting.rejected(static_cast<unsigned>(mapped.status), id);
}

asio::awaitable<void> HttpSession::refuse(RequestContext& r, const Error& e) {
  r.outcome.close = true;
  linger_ = true;
  co_await r.respond_error(e);
}

// Malformed or oversized headers get an answer, then the connection closes
// (the rest of what the client sends is not read). Timeout, reset or EOF:
// nobody to answer. Always false (close).
asio::awaitable<bool> HttpSession::refuse_bad_head(RequestContext& r, boost::system::error_code hec) {
  if (hec == http::error::header_limit || hec == http::error::buffer_overflow) {
    co_await refuse(r, make_error(errc::headers_too_large, "request headers larger than " + std::to_string(host_.config.max_header_bytes) + " bytes"));
  } else if (malformed(hec)) {
    co_await refuse(r, make_error(errc::invalid_request, "malformed HTTP request: " + hec.message()));
  } else {
    co_return false;
  }
  host_.accounting.rejected(r.outcome.status, r.head.request_id);
  co_return false;
}

// Whether the request may go on, decided from its head alone: endpoint,
// method, key (a client key or the admin key) and the declared body size.
std::optional<Error> HttpSession::check_access(RequestContext& r, const EndpointSpec* spec, std::uint64_t content_length) const {
  const std::string_view path = r.head.path();
  if (!spec) return make_error(errc::not_found, "no route for " + pipeline::loggable(path));
  if (!EndpointTable::method_allowed(*spec, r.head.method)) {
    return make_error(errc::method_not_allowed, "use " + std::string(http::to_string(spec->method)) + " for " + std::string(path));
  }
  if (spec->access == pipeline::Access::client_key) r.pin = host_.authenticator.pin();
  auto id = host_.authenticator.check(spec->access, r.head.authorization, path);
  if (!id) return id.error();
  r.key = id->key;
  r.end_user = std::move(id->user);
  r.admin_subject = std::move(id->admin_subject);
  if (r.key) r.outcome.key = r.key->name;
  if (!spec->takes_body && r.head.has_body) return make_error(errc::invalid_request, "this endpoint takes no request body");
  if (content_length > host_.config.max_body_bytes) {
    return make_error(errc::body_too_large, "request body larger than " + std::to_string(host_.config.max_body_bytes) + " bytes");
  }
  return std::nullopt;
}

// Sets the body limit, sizes the body's string once when its length is
// known, and parses the body bytes already read with the head, without I/O:
// a small request usually arrives whole in one read, and then needs no async
// read (and no coroutine). An error is answered by read_body.
boost::system::error_code HttpSession::parse_buffered_body(RequestParser& parser) {
  parser.body_limit(host_.config.max_body_bytes);
  if (const auto length = parser.content_length(); length && *length <= host_.config.max_body_bytes) {
    parser.get().body().reserve(static_cast<std::size_t>(*length));
  }
  boost::system::error_code ec;
  while (!parser.is_done() && buffer_.size() > 0) {
    const std::size_t used = parser.put(buffer_.data(), ec);
    buffer_.consume(used);
    if (ec == http::error::need_more) ec = {};
    if (ec || used == 0) break;
  }
  return ec;
}

// The rest of the body of an accepted request (or the error parsing what was
// buffered), within the body limit and the request timeout. False: answered
// or gone; close.
asio::awaitable<bool> HttpSession::read_body(RequestContext& r, RequestParser& parser, boost::system::error_code bec) {
  const auto& config = host_.config;
  if (!bec && r.head.expect_continue) {
    if (!co_await r.send(asio::buffer(std::string_view("HTTP/1.1 100 Continue\r\n\r\n")))) co_return false;
    stream_.expires_after(config.request_timeout);
  }
  if (!bec) {
    auto [ec, n] = co_await http::async_read(stream_, buffer_, parser, use_nothrow);
    bec = ec;
  }
  if (!bec) co_return true;
  if (bec == http::error::body_limit) {
    co_await refuse(r, make_error(errc::body_too_large, "request body larger than " + std::to_string(config.max_body_bytes) + " bytes"));
  } else if (bec == http::error::buffer_overflow) {
    co_await refuse(r, make_error(errc::invalid_request, "malformed HTTP request: a chunk header or trailer longer than " +
                                                            std::to_string(buffer_cap_) + " bytes"));
  } else if (malformed(bec)) {
    co_await refuse(r, make_error(errc::invalid_request, "malformed HTTP request: " + bec.message()));
  } else {
    co_return false;  // timeout, reset or EOF: nobody to answer
  }
  host_.accounting.rejected(r.outcome.status, r.head.request_id);
  co_return false;
}

asio::awaitable<bool> HttpSession::serve(RequestParser& parser, boost::system::error_code hec, Clock::time_point started) {
  RequestContext r(stream_, writer_, watch_, host_.config.write_timeout, &host_.parse_budget, host_.config.json_memory_factor);
  r.stopping = host_.stopping;
  r.server_stopping = &host_.stopping;
  if (parser.is_header_done()) {
    r.head = read_request_head(parser.get().base(), parser.keep_alive(), parser.chunked(), parser.content_length().value_or(0));
  }
  if (r.head.request_id.empty()) r.head.request_id = host_.ids.next();
  const EndpointSpec* spec = parser.is_header_done() ? host_.endpoints.find(r.head.path(), r.head.method) : nullptr;
  if (spec) r.shape = spec->shape;
  if (hec) co_return co_await refuse_bad_head(r, hec);
  if (auto bad = check_framing(parser.get().base())) {
    co_await refuse(r, make_error(bad->status == 501 ? errc::unsupported_encoding : errc::invalid_request, std::string(bad->message)));
    host_.accounting.rejected(r.outcome.status, r.head.request_id);
    co_return false;
  }
  // Everything up to here is decided from the head alone.
  if (auto refusal = check_access(r, spec, parser.content_length().value_or(0))) {
    if (r.head.has_body || !parser.is_done()) co_await refuse(r, *refusal);
    else co_await r.respond_error(*refusal);
  } else {
    const auto bec = parse_buffered_body(parser);
    if ((bec || !parser.is_done()) && !co_await read_body(r, parser, bec)) co_return false;
    r.body = parser.get().body();
    r.read_at = Clock::now();
    co_await spec->handler(r);
  }
  host_.accounting.finished(pipeline::RequestLine{r.head.method_text, r.head.path(), r.head.request_id}, r.outcome, Clock::now() - started);
  co_return !(r.outcome.close || !r.head.keep_alive || host_.stopping);
}

// After an answer sent without reading the request's body (no key, a refused
// framing, ...): stop sending, then read and drop what the client still sends
// for a moment, so its TCP stack does not turn our answer into a reset.
// Bounded in bytes and time.
asio::awaitable<void> HttpSession::linger_close() {
  boost::system::error_code ignored;
  stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
  std::array<char, 1024> sink;
  std::size_t dropped = 0;
  stream_.expires_after(std::chrono::milliseconds(1000));
  while (dropped < 1024 * 1024) {
    auto [ec, n] = co_await stream_.async_read_some(asio::buffer(sink), use_nothrow);
    if (ec) break;
    dropped += n;
  }
}

}  // namespace switchyard::server
