#include "upstream/upstream_exchange.hpp"

#include <boost/asio/as_tuple.hpp>
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
    auto& c = lease_->connection();
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

asio::awaitable<result<std::string_view>> UpstreamExchange::read_some() {
  if (done_) co_return std::string_view{};
  auto& c = lease_->connection();
  for (;;) {
    auto& body = parser_->get().body();
    body.data = chunk_.data();
    body.size = chunk_.size();
    boost::system::error_code ec = asio::error::would_block;
    if (!c.tls() && c.buffer().size() > 0) {
      // Bytes an earlier read brought in (a read takes all the socket has;
      // the parser hands out one HTTP chunk at a time) are parsed at once: no
      // async operation, no timer. Only when they end mid-chunk does the
      // non-blocking socket get asked for more, and its would_block sends
      // the read down the usual async path.
      http::read_some(c.tcp(), c.buffer(), *parser_, ec);
    }
    if (ec == asio::error::would_block || ec == asio::error::try_again) {
      c.tcp().expires_after(timeouts_.read);
      auto [aec, n] = co_await c.visit([&](auto& s) { return http::async_read_some(s, c.buffer(), *parser_, use_nothrow); });
      ec = aec;
    }
    if (ec == http::error::need_buffer) ec = {};
    if (ec) {
      done_ = true;
      lease_.reset();
      co_return io_error(ec, "reading the response body", provider_);
    }
    const std::size_t got = chunk_.size() - parser_->get().body().size;
    if (parser_->is_done()) finish();
    if (got > 0 || done_) co_return std::string_view(chunk_.data(), got);
  }
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
