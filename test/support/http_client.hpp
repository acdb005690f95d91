#pragma once
// A small HTTP/1.1 test client over Beast: one connection, keep-alive, with
// whole-response and incremental (streamed) reads. Every operation has a
// deadline. The coroutines are compiled once, in test/support/http_client.cpp.
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <chrono>
#include <optional>
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
  explicit TestClient(asio::any_io_executor ex);

  asio::awaitable<boost::system::error_code> connect(std::uint16_t port);
  asio::awaitable<boost::system::error_code> send(http::verb verb, std::string target, std::string body, Headers headers = {});
  asio::awaitable<HttpResult> read_response(std::chrono::milliseconds limit = std::chrono::seconds(10));
  asio::awaitable<HttpResult> call(http::verb verb, std::string target, std::string body, Headers headers = {});

  // Streamed reads: the header first, then body bytes as they come.
  asio::awaitable<HttpResult> read_header();
  // Reads until `needle` appears in the body read so far or the body ends.
  asio::awaitable<std::string> read_body_until(std::string_view needle);

  bool body_done() const;
  void close();
  beast::tcp_stream& stream() { return stream_; }

 private:
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::response_parser<http::string_body>> parser_;
};

// One request on a fresh connection.
// Parameters are taken by value: the coroutine may start after the caller's temporaries are gone.
asio::awaitable<HttpResult> http_call(std::uint16_t port, http::verb verb, std::string target, std::string body,
                                      Headers headers = {});

// Compiled once in the support library (test/support/http_client.cpp), not in every test.
extern template HttpResult run_async<HttpResult>(asio::io_context&, asio::awaitable<HttpResult>, std::chrono::milliseconds);

}  // namespace switchyard::test
