#pragma once
// A small HTTP/1.1 test client over Beast: one connection, keep-alive, with
// whole-response and incremental (streamed) reads. Every operation has a
// deadline.
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "support/async.hpp"

namespace switchyard::test {

namespace beast = boost::beast;
namespace http = beast::http;

struct HttpResult {
  unsigned status = 0;
  http::fields headers;
  std::string body;
  boost::system::error_code error;
};

using Headers = std::vector<std::pair<std::string, std::string>>;

class TestClient {
 public:
  explicit TestClient(asio::any_io_executor ex) : stream_(ex) {}

  asio::awaitable<boost::system::error_code> connect(std::uint16_t port) {
    stream_.expires_after(std::chrono::seconds(5));
    auto [ec] = co_await stream_.async_connect(
        asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), use_nothrow);
    co_return ec;
  }

  asio::awaitable<boost::system::error_code> send(http::verb verb, std::string target, std::string body,
                                                  Headers headers = {}) {
    http::request<http::string_body> req{verb, target, 11};
    req.set(http::field::host, "127.0.0.1");
    req.set(http::field::content_type, "application/json");
    for (const auto& [k, v] : headers) req.set(k, v);
    req.body() = std::move(body);
    req.prepare_payload();
    stream_.expires_after(std::chrono::seconds(10));
    auto [ec, n] = co_await http::async_write(stream_, req, use_nothrow);
    co_return ec;
  }

  asio::awaitable<HttpResult> read_response(std::chrono::milliseconds limit = std::chrono::seconds(10)) {
    HttpResult r;
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    stream_.expires_after(limit);
    auto [ec, n] = co_await http::async_read(stream_, buffer_, parser, use_nothrow);
    r.error = ec;
    if (parser.is_header_done()) {
      r.status = parser.get().result_int();
      r.headers = parser.get().base();
    }
    r.body = parser.get().body();
    co_return r;
  }

  asio::awaitable<HttpResult> call(http::verb verb, std::string target, std::string body, Headers headers = {}) {
    if (auto ec = co_await send(verb, std::move(target), std::move(body), headers); ec) {
      HttpResult r;
      r.error = ec;
      co_return r;
    }
    co_return co_await read_response();
  }

  // Streamed reads: the header first, then body bytes as they come.
  asio::awaitable<HttpResult> read_header() {
    HttpResult r;
    parser_.emplace();
    parser_->body_limit(64 * 1024 * 1024);
    stream_.expires_after(std::chrono::seconds(10));
    auto [ec, n] = co_await http::async_read_header(stream_, buffer_, *parser_, use_nothrow);
    r.error = ec;
    if (!ec) {
      r.status = parser_->get().result_int();
      r.headers = parser_->get().base();
    }
    co_return r;
  }

  // Reads until `needle` appears in the body read so far or the body ends.
  asio::awaitable<std::string> read_body_until(std::string_view needle) {
    while (parser_->get().body().find(needle) == std::string::npos && !parser_->is_done()) {
      stream_.expires_after(std::chrono::seconds(10));
      auto [ec, n] = co_await http::async_read_some(stream_, buffer_, *parser_, use_nothrow);
      if (ec) break;
    }
    co_return parser_->get().body();
  }

  bool body_done() const { return parser_ && parser_->is_done(); }

  void close() {
    boost::system::error_code ec;
    stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
    stream_.socket().close(ec);
  }

  beast::tcp_stream& stream() { return stream_; }

 private:
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::response_parser<http::string_body>> parser_;
};

// One request on a fresh connection.
// Parameters are taken by value: the coroutine may start after the caller's temporaries are gone.
inline asio::awaitable<HttpResult> http_call(std::uint16_t port, http::verb verb, std::string target, std::string body,
                                             Headers headers = {}) {
  TestClient c(co_await asio::this_coro::executor);
  if (auto ec = co_await c.connect(port); ec) {
    HttpResult r;
    r.error = ec;
    co_return r;
  }
  auto r = co_await c.call(verb, std::move(target), std::move(body), headers);
  c.close();
  co_return r;
}

}  // namespace switchyard::test
