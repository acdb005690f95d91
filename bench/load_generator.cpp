#include "load_generator.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

#include <charconv>
#include <memory>
#include <vector>

namespace switchyard::bench {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;
constexpr auto use_nothrow = asio::as_tuple(asio::use_awaitable);

namespace {

std::uint64_t ns(Clock::duration d) {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(d).count());
}

struct Shared {
  LoadOptions options;
  std::string request;  // serialized once, written as is
  Clock::time_point start, measure_from, end;
  std::uint64_t next_slot = 0;
  std::uint64_t next_unique = 0;
  LoadReport report;
};

// `unique`: a "user" field that makes the request unlike any other (--unique).
std::string build_request(const LoadOptions& o, std::optional<std::uint64_t> unique = std::nullopt) {
  std::string body = R"({"model":")" + o.model +
                     R"(","messages":[{"role":"user","content":"Benchmark request: say something."}])";
  if (unique) body += R"(,"user":"bench-)" + std::to_string(*unique) + "\"";
  if (o.stream) body += R"(,"stream":true)";
  if (!o.extra_json.empty()) body += "," + o.extra_json;
  body += "}";
  std::string req = "POST " + o.path + " HTTP/1.1\r\nHost: " + o.host + ":" + std::to_string(o.port) +
                    "\r\nContent-Type: application/json\r\nAccept: */*\r\n";
  if (!o.key.empty()) req += "Authorization: Bearer " + o.key + "\r\n";
  req += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  return req;
}

// One connection's loop. Returns when the time is up or its request budget is spent.
asio::awaitable<void> worker(Shared& s, std::size_t index) {
  auto ex = co_await asio::this_coro::executor;
  const auto& o = s.options;
  if (o.connect_spread.count() > 0 && o.connections > 1) {
    asio::steady_timer t(ex, o.connect_spread * static_cast<long>(index) / static_cast<long>(o.connections));
    co_await t.async_wait(use_nothrow);
  }
  const tcp::endpoint ep(asio::ip::make_address(o.host), o.port);
  std::unique_ptr<beast::tcp_stream> stream;
  beast::flat_buffer buffer;
  std::array<char, 4096> body_buf;
  std::size_t sent = 0;
  asio::steady_timer pacing(ex);

  while (o.requests_per_connection == 0 || sent < o.requests_per_connection) {
    Clock::time_point intended = Clock::now();
    if (o.rate > 0) {
      const auto slot = s.next_slot++;
      intended = s.start + std::chrono::nanoseconds(static_cast<std::int64_t>(1e9 * static_cast<double>(slot) / o.rate));
      if (intended >= s.end) break;
      if (intended > Clock::now()) {
        pacing.expires_at(intended);
        co_await pacing.async_wait(use_nothrow);
      }
    } else if (intended >= s.end) {
      break;
    }
    ++sent;
    const bool measured = intended >= s.measure_from;

    if (!stream) {
      stream = std::make_unique<beast::tcp_stream>(ex);
      stream->expires_after(std::chrono::seconds(10));
      auto [cec] = co_await stream->async_connect(ep, use_nothrow);
      if (cec) {
        ++s.report.failed;
        stream.reset();
        pacing.expires_after(std::chrono::milliseconds(10));  // back off before the next try
        co_await pacing.async_wait(use_nothrow);
        continue;
      }
      stream->socket().set_option(tcp::no_delay(true));
      buffer.clear();
    }
    stream->expires_after(o.request_timeout);
    auto fail = [&] {
      ++s.report.failed;
      stream.reset();
    };
    const std::string own = o.unique ? build_request(o, s.next_unique++) : std::string();
    if (auto [wec, wn] = co_await asio::async_write(*stream, asio::buffer(o.unique ? own : s.request), use_nothrow); wec) {
      fail();
      continue;
    }
    http::response_parser<http::buffer_body> parser;
    parser.body_limit(boost::none);
    if (auto [hec, hn] = co_await http::async_read_header(*stream, buffer, parser, use_nothrow); hec) {
      fail();
      continue;
    }
    const unsigned status = parser.get().result_int();
    if (auto it = parser.get().find("x-switchyard-overhead-us"); it != parser.get().end() && measured) {
      std::uint64_t us = 0;
      const auto v = it->value();
      if (std::from_chars(v.data(), v.data() + v.size(), us).ec == std::errc()) {
        s.report.overhead.record(us * 1000);
        ++s.report.overhead_samples;
      }
    }
    bool first_chunk = true;
    bool saw_done = false;
    Clock::time_point last_chunk{};
    bool broken = false;
    std::string tail;  // last few bytes, to find "[DONE]" split across reads
    while (!parser.is_done()) {
      parser.get().body().data = body_buf.data();
      parser.get().body().size = body_buf.size();
      auto [rec, rn] = co_await http::async_read_some(*stream, buffer, parser, use_nothrow);
      if (rec == http::error::need_buffer) rec = {};
      if (rec) {
        broken = true;
        break;
      }
      const std::size_t got = body_buf.size() - parser.get().body().size;
      if (o.stream && got > 0) {
        const auto now = Clock::now();
        if (first_chunk) {
          if (measured) s.report.ttfb.record(ns(now - intended));
          first_chunk = false;
        } else if (measured) {
          s.report.gap.record(ns(now - last_chunk));
          if (o.stall_gap.count() > 0 && now - last_chunk > o.stall_gap) ++s.report.stalls;
        }
        last_chunk = now;
        tail.append(body_buf.data(), got);
        if (tail.find("[DONE]") != std::string::npos) saw_done = true;
        if (tail.size() > 16) tail.erase(0, tail.size() - 16);
      }
    }
    if (broken) {
      fail();
      if (o.stream) ++s.report.incomplete_streams;
      continue;
    }
    if (status / 100 != 2) {
      ++s.report.failed;
    } else if (o.stream && !saw_done) {
      ++s.report.failed;
      ++s.report.incomplete_streams;
    } else if (measured) {
      ++s.report.ok;
      s.report.latency.record(ns(Clock::now() - intended));
    }
    if (!parser.get().keep_alive()) stream.reset();
  }
  if (stream) {
    boost::system::error_code ignored;
    stream->socket().shutdown(tcp::socket::shutdown_both, ignored);
  }
}

}  // namespace

asio::awaitable<LoadReport> run_load(LoadOptions options) {
  auto ex = co_await asio::this_coro::executor;
  auto shared = std::make_shared<Shared>();
  Shared& s = *shared;
  s.options = std::move(options);
  s.request = build_request(s.options);
  s.start = Clock::now();
  s.measure_from = s.start + s.options.warmup;
  s.end = s.measure_from + s.options.duration;
  if (s.options.requests_per_connection > 0) s.end = Clock::time_point::max();

  // Run every worker; wait for all of them with a counter and a timer that the last one cancels.
  if (s.options.connections == 0) co_return s.report;
  std::size_t running = s.options.connections;
  asio::steady_timer all_done(ex, Clock::time_point::max());
  for (std::size_t i = 0; i < s.options.connections; ++i) {
    asio::co_spawn(ex, worker(s, i), [&running, &all_done, shared](std::exception_ptr) {
      if (--running == 0) all_done.cancel();
    });
  }
  co_await all_done.async_wait(use_nothrow);
  const auto finished = Clock::now();
  const auto measured_end = s.options.requests_per_connection > 0 ? finished : std::min(finished, s.end);
  s.report.seconds = std::chrono::duration<double>(measured_end - std::min(measured_end, s.measure_from)).count();
  co_return s.report;
}

}  // namespace switchyard::bench
