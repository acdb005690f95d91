#include "upstream/upstream_exchange.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/asio/write.hpp>

#include "upstream/io_error.hpp"

namespace switchyard::upstream {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
constexpr auto use_nothrow = asio::as_tuple(asio::use_awaitable);

namespace {
bool may_be_stale(const boost::system::error_code& ec) {
  return ec == asio::error::eof || ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
         ec == http::error::end_of_stream || ec == asio::error::connection_aborted;
}
}  // namespace

asio::awaitable<result<void>> UpstreamExchange::start(const RequestBuffers& request) {
  for (int attempt = 0;; ++attempt) {
    auto lease = co_await pool_.acquire(attempt > 0);
    if (!lease) co_return lease.error();
    lease_ = std::move(*lease);
    reused_ = lease_->reused();
    done_ = false;
    drained_ = true;
    auto& c = lease_->connection();
    // A read takes what fits in the buffer's free capacity (at least 512
    // bytes): room for a burst of events in one system call. Only the pages
    // a read fills are touched.
    if (c.buffer().capacity() < kReadCapacity) c.buffer().reserve(kReadCapacity);
    c.tcp().expires_after(timeouts_.response);
    auto [wec, written] = co_await c.visit([&](auto& s) { return asio::async_write(s, request, use_nothrow); });
    boost::system::error_code ec = wec;
    std::string_view phase = "sending the request";
    if (!ec) {
      parser_.emplace();
      parser_->header_limit(64 * 1024);
      parser_->body_limit(boost::none);  // bodies are bounded by the readers
      auto [rec, n] =
          co_await c.visit([&](auto& s) { return http::async_read_header(s, c.buffer(), *parser_, use_nothrow); });
      if (!rec) {
        if (parser_->is_done()) finish();  // e.g. 204 or empty body
        co_return result<void>();
      }
      ec = rec;
      phase = "waiting for the response headers";
      if (parser_->got_some()) {
        lease_.reset();
        co_return io_error(ec, phase, provider_);
      }
    }
    const bool retry = reused_ && attempt == 0 && may_be_stale(ec);
    lease_.reset();  // closes it: not reusable
    if (!retry) co_return io_error(ec, phase, provider_);
  }
}

// The parser takes bytes straight from the connection's buffer (plain or
// decrypted TLS bytes alike), as many HTTP chunks as fit: no socket call.
std::size_t UpstreamExchange::parse_buffered(std::size_t from, boost::system::error_code& ec) {
  auto& buffer = lease_->connection().buffer();
  std::size_t got = from;
  while (buffer.size() > 0 && got < chunk_.size() && !parser_->is_done()) {
    auto& body = parser_->get().body();
    body.data = chunk_.data() + got;
    body.size = chunk_.size() - got;
    const std::size_t used = parser_->put(buffer.data(), ec);
    buffer.consume(used);
    got = chunk_.size() - parser_->get().body().size;
    if (ec == http::error::need_more || ec == http::error::need_buffer) ec = {};
    if (ec || used == 0) break;  // used == 0: a partial chunk header, the rest is on its way
  }
  return got;
}

result<std::string_view> UpstreamExchange::failed(const boost::system::error_code& ec) {
  done_ = true;
  lease_.reset();
  return io_error(ec, "reading the response body", provider_);
}

std::optional<result<std::string_view>> UpstreamExchange::read_buffered() {
  if (failure_) {
    auto e = std::move(*failure_);
    failure_.reset();
    return result<std::string_view>(std::move(e));
  }
  if (done_) return result<std::string_view>(std::string_view{});
  boost::system::error_code ec;
  const std::size_t got = parse_buffered(0, ec);
  if (ec) return failed(ec);
  if (parser_->is_done()) finish();
  if (got == 0 && !done_) return std::nullopt;
  return result<std::string_view>(std::string_view(chunk_.data(), got));
}

asio::awaitable<result<std::string_view>> UpstreamExchange::read_some() {
  for (;;) {
    if (auto buffered = read_buffered()) co_return std::move(*buffered);
    co_await receive();
  }
}

// Receives what has arrived into the connection's buffer, waiting for it
// when the last receive emptied the socket; an error or the end of the
// connection is kept for read_buffered() to report. Plain TCP reads as a
// plain proxy does, one receive per wake-up, the wait bounded by the
// StallWatch (no timer per read; an async_wait would cost an epoll_ctl per
// wait). TLS reads through the stream, within the read timeout.
asio::awaitable<void> UpstreamExchange::receive() {
  if (done_ || failure_) co_return;
  auto& c = lease_->connection();
  auto& buffer = c.buffer();
  if (buffer.size() >= kReadCapacity) {  // bytes the parser cannot take (an endless chunk header)
    fail(boost::system::error_code(http::error::buffer_overflow));
    co_return;
  }
  const std::size_t room = std::max<std::size_t>(buffer.capacity() - buffer.size(), 512);
  boost::system::error_code ec;
  std::size_t n = 0;
  if (auto* tls = c.tls()) {
    c.tcp().expires_after(timeouts_.read);
    auto [rec, got] = co_await tls->async_read_some(buffer.prepare(room), use_nothrow);
    ec = rec;
    n = got;
  } else if (auto& socket = c.tcp().socket(); drained_) {
    if (!stall_) stall_.emplace(socket.get_executor(), socket, timeouts_.read);
    stall_->waiting();
    auto [rec, got] = co_await socket.async_read_some(buffer.prepare(room), use_nothrow);
    stall_->done();
    ec = rec;
    n = got;
    if (ec == asio::error::operation_aborted && stall_->stalled()) ec = beast::error::timeout;
  } else {
    n = socket.read_some(buffer.prepare(room), ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) {
      drained_ = true;
      co_return;
    }
  }
  if (ec == asio::error::eof || ec == asio::ssl::error::stream_truncated) {
    if (n > 0) buffer.commit(n);
    boost::system::error_code parsed;
    parse_buffered(0, parsed);  // what came before the end is the body's
    if (!parsed && !parser_->is_done()) parser_->put_eof(parsed);  // a body that ends with the connection is complete; a chunked one is cut
    if (parsed) fail(parsed);  // else the parser is done: read_buffered() reports the end
    co_return;
  }
  if (ec) {
    fail(ec);
    co_return;
  }
  buffer.commit(n);
  drained_ = n < room;
}

void UpstreamExchange::fail(const boost::system::error_code& ec) {
  auto r = failed(ec);
  failure_ = r.error();
}

asio::awaitable<result<std::string>> UpstreamExchange::read_all(std::size_t limit) {
  std::string out;
  if (auto len = parser_->content_length(); len && *len <= limit) out.reserve(static_cast<std::size_t>(*len));
  for (;;) {
    auto piece = co_await read_some();
    if (!piece) co_return piece.error();
    if (piece->empty()) co_return out;
    if (out.size() + piece->size() > limit) {
      done_ = true;
      lease_.reset();
      co_return make_error(errc::upstream_bad_response,
                           "response body larger than " + std::to_string(limit) + " bytes", provider_);
    }
    out.append(*piece);
  }
}

void UpstreamExchange::finish_now() noexcept {
  if (done_) return;
  if (lease_ && !lease_->connection().tls()) {
    auto& c = lease_->connection();
    // Non-blocking socket: parses what is buffered or already in the
    // kernel, never waits. Bounded: an upstream trickling bytes is cut.
    for (int i = 0; i < 16 && !parser_->is_done(); ++i) {
      auto& body = parser_->get().body();
      body.data = chunk_.data();
      body.size = chunk_.size();
      boost::system::error_code ec;
      http::read_some(c.tcp(), c.buffer(), *parser_, ec);
      if (ec && ec != http::error::need_buffer) break;
    }
    if (parser_->is_done()) {
      finish();
      return;
    }
  }
  done_ = true;
  lease_.reset();  // closed: the rest of the body is not worth waiting for
}

void UpstreamExchange::finish() {
  done_ = true;
  if (lease_) {
    lease_->set_reusable(parser_->keep_alive());
    lease_.reset();
  }
}

}  // namespace switchyard::upstream
