#define BOOST_TEST_MODULE upstream_exchange
// UpstreamExchange against a raw server that controls exactly how the bytes
// of a chunked body arrive: several HTTP chunks in one TCP write (the later
// ones parsed from the buffer without waiting), a chunk cut in the middle
// (the rest waited for), and a connection that ends mid-chunk.
#include <boost/test/unit_test.hpp>

#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include "support/async.hpp"
#include "upstream/connection_pool.hpp"
#include "upstream/upstream_exchange.hpp"

using namespace switchyard;
using namespace switchyard::test;
using namespace switchyard::upstream;
using std::chrono::milliseconds;
using asio::ip::tcp;

namespace {

// Accepts one connection, reads the request head, then writes `pieces` with a pause between them.
asio::awaitable<void> serve_pieces(tcp::acceptor& acceptor, std::vector<std::string> pieces) {
  auto [aec, sock] = co_await acceptor.async_accept(use_nothrow);
  if (aec) co_return;
  std::string request;
  char buf[4096];
  while (request.find("\r\n\r\n") == std::string::npos) {
    auto [ec, n] = co_await sock.async_read_some(asio::buffer(buf), use_nothrow);
    if (ec) co_return;
    request.append(buf, n);
  }
  asio::steady_timer pause(sock.get_executor());
  for (const auto& p : pieces) {
    auto [ec, n] = co_await asio::async_write(sock, asio::buffer(p), use_nothrow);
    if (ec) co_return;
    pause.expires_after(milliseconds(30));
    co_await pause.async_wait(use_nothrow);
  }
}

std::string chunk(std::string_view data) {
  char size[16];
  std::snprintf(size, sizeof size, "%zx", data.size());
  return std::string(size) + "\r\n" + std::string(data) + "\r\n";
}

struct Received {
  std::string body;
  std::optional<Error> error;
  unsigned status = 0;
};

Received exchange_with(std::vector<std::string> pieces) {
  asio::io_context ioc{1};
  tcp::acceptor acceptor(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  Endpoint ep;
  ep.host = "127.0.0.1";
  ep.port = std::to_string(acceptor.local_endpoint().port());
  ep.host_header = ep.host + ":" + ep.port;
  ConnectionPool pool(ioc.get_executor(), ep, "raw", PoolConfig{}, milliseconds(1000), nullptr);
  asio::co_spawn(ioc, serve_pieces(acceptor, std::move(pieces)), asio::detached);
  Received out;
  run_async(ioc, [&]() -> asio::awaitable<void> {
    const std::string provider = "raw";  // the exchange keeps a reference
    UpstreamExchange ex(pool, ExchangeTimeouts{milliseconds(2000), milliseconds(2000)}, provider);
    static const std::string head = "POST /x HTTP/1.1\r\nHost: raw\r\nContent-Length: 0\r\n\r\n";
    const UpstreamExchange::RequestBuffers req{asio::buffer(head), asio::const_buffer(), asio::const_buffer()};
    auto started = co_await ex.start(req);
    BOOST_REQUIRE(started);
    out.status = ex.status();
    for (;;) {
      auto piece = co_await ex.read_some();
      if (!piece) {
        out.error = piece.error();
        break;
      }
      if (piece->empty()) break;
      out.body.append(*piece);
    }
  }());
  pool.close();
  return out;
}

const std::string kHead = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n";
const std::string kA = "data: {\"n\":1}\n\n", kB = "data: {\"n\":2}\n\n", kC = "data: {\"n\":3}\n\n";

}  // namespace

BOOST_AUTO_TEST_CASE(chunks_arriving_together_apart_and_cut_in_the_middle_give_the_whole_body) {
  const std::string all = chunk(kA) + chunk(kB) + chunk(kC) + "0\r\n\r\n";
  // Everything in one write; every split point of the chunked body into two writes.
  for (std::size_t split = 0; split <= all.size(); split += 3) {
    BOOST_TEST_CONTEXT("split at " << split) {
      auto r = exchange_with({kHead + all.substr(0, split), all.substr(split)});
      BOOST_TEST(!r.error.has_value());
      BOOST_TEST(r.status == 200u);
      BOOST_TEST(r.body == kA + kB + kC);
    }
  }
}

BOOST_AUTO_TEST_CASE(a_body_that_ends_mid_chunk_is_an_error_not_a_short_answer) {
  const std::string cut = chunk(kA) + chunk(kB).substr(0, 6);  // then the server closes
  auto r = exchange_with({kHead + cut});
  BOOST_REQUIRE(r.error.has_value());
  BOOST_TEST(r.body.find(kA) == 0u);
  BOOST_TEST(r.body.size() < kA.size() + kB.size());
}
