#include "support/http_client.hpp"

namespace switchyard::test {

TestClient::TestClient(asio::any_io_executor ex) : stream_(ex) {}

asio::awaitable<boost::system::error_code> TestClient::connect(std::uint16_t port) {
  stream_.expires_after(std::chrono::seconds(5));
  auto [ec] = co_await stream_.async_connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port), use_nothrow);
  co_return ec;
}

asio::awaitable<boost::system::error_code> TestClient::send(http::verb verb, std::string target, std::string body, Headers headers) {
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

asio::awaitable<HttpResult> TestClient::read_response(std::chrono::milliseconds limit) {
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

asio::awaitable<HttpResult> TestClient::call(http::verb verb, std::string target, std::string body, Headers headers) {
  if (auto ec = co_await send(verb, std::move(target), std::move(body), headers); ec) {
    HttpResult r;
    r.error = ec;
    co_return r;
  }
  co_return co_await read_response();
}

asio::awaitable<HttpResult> TestClient::read_header() {
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

asio::awaitable<std::string> TestClient::read_body_until(std::string_view needle) {
  while (parser_->get().body().find(needle) == std::string::npos && !parser_->is_done()) {
    stream_.expires_after(std::chrono::seconds(10));
    auto [ec, n] = co_await http::async_read_some(stream_, buffer_, *parser_, use_nothrow);
    if (ec) break;
  }
  co_return parser_->get().body();
}

bool TestClient::body_done() const { return parser_ && parser_->is_done(); }

void TestClient::close() {
  boost::system::error_code ec;
  stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  stream_.socket().close(ec);
}

asio::awaitable<HttpResult> http_call(std::uint16_t port, http::verb verb, std::string target, std::string body, Headers headers) {
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

template HttpResult run_async<HttpResult>(asio::io_context&, asio::awaitable<HttpResult>, std::chrono::milliseconds);

}  // namespace switchyard::test
