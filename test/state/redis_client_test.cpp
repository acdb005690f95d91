#define BOOST_TEST_MODULE shared_state
// state/redis_client: hiredis driven by the io_context against a real
// redis-server on loopback: replies of every type, a thousand pipelined
// commands, Lua, the reply timeout when the server freezes, failing fast and
// reconnecting when it goes away and comes back; and the redis:// URL.
#include <boost/test/unit_test.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include "state/redis_client.hpp"
#include "support/async.hpp"
#include "support/redis_server.hpp"

using namespace switchyard;
using namespace switchyard::state;
using namespace switchyard::test;
using std::chrono::milliseconds;

namespace {
// A command's arguments (a braced list inside a co_await trips GCC 12).
template <class... T>
std::vector<std::string> cmd(T&&... parts) {
  return std::vector<std::string>{std::string(std::forward<T>(parts))...};
}

RedisEndpoint endpoint_of(const RedisServer& s) {
  RedisEndpoint e;
  e.port = s.port();
  return e;
}

// A redis-server and a client that has already talked to it.
struct Connected {
  RedisServer server;
  asio::io_context ioc;
  RedisClient redis{ioc.get_executor(), endpoint_of(server)};
  Connected() { BOOST_REQUIRE(run_async(ioc, redis.command(cmd("PING"), milliseconds(1000)))); }
};
}  // namespace

BOOST_AUTO_TEST_CASE(urls) {
  auto e = std::get<RedisEndpoint>(parse_redis_url("redis://127.0.0.1:6380/2"));
  BOOST_TEST(e.host == "127.0.0.1");
  BOOST_TEST(e.port == 6380);
  BOOST_TEST(e.db == 2);
  e = std::get<RedisEndpoint>(parse_redis_url("redis://app:s3cret@cache.internal:7000"));
  BOOST_TEST(e.host == "cache.internal");
  BOOST_TEST(e.user == "app");
  BOOST_TEST(e.password == "s3cret");
  e = std::get<RedisEndpoint>(parse_redis_url("redis://:pw@localhost"));
  BOOST_TEST(e.password == "pw");
  BOOST_TEST(e.port == 6379);
  BOOST_TEST(std::get<std::string>(parse_redis_url("rediss://h:1")).find("TLS") != std::string::npos);
  for (const char* bad : {"http://x", "redis://", "redis://h:0", "redis://h/16", "redis://h/x", "redis://h:99999"}) {
    BOOST_TEST_CONTEXT(bad) { BOOST_TEST(std::holds_alternative<std::string>(parse_redis_url(bad))); }
  }
}

BOOST_AUTO_TEST_CASE(replies_of_every_type_and_a_thousand_pipelined_commands) {
  RedisServer server;
  asio::io_context ioc;
  RedisClient redis(ioc.get_executor(), endpoint_of(server));
  run_async(ioc, [&]() -> asio::awaitable<void> {
    auto ok = co_await redis.command(cmd("SET", "k", std::string("v\0w", 3)), milliseconds(1000));
    BOOST_REQUIRE(ok);
    BOOST_TEST((ok->type == RedisReply::Type::status));
    BOOST_TEST(ok->text == "OK");
    auto got = co_await redis.command(cmd("GET", "k"), milliseconds(1000));
    BOOST_TEST(got->text == std::string("v\0w", 3));  // binary-safe
    auto none = co_await redis.command(cmd("GET", "missing"), milliseconds(1000));
    BOOST_TEST((none->type == RedisReply::Type::nil));
    auto err = co_await redis.command(cmd("INCR", "k"), milliseconds(1000));
    BOOST_TEST(err->is_error());
    auto script = co_await redis.command(cmd("EVAL", "return {1, 'two', {3}}", "0"), milliseconds(1000));
    BOOST_REQUIRE((script->type == RedisReply::Type::array));
    BOOST_TEST(script->elements.size() == 3u);
    BOOST_TEST(script->elements[1].text == "two");
    BOOST_TEST(script->elements[2].elements[0].integer == 3);
  }());
  // A thousand commands at once share the one connection, pipelined.
  int answered = 0;
  for (int i = 0; i < 1000; ++i) {
    asio::co_spawn(ioc, [&]() -> asio::awaitable<void> {
      auto r = co_await redis.command(cmd("INCR", "counter"), milliseconds(5000));
      if (r && r->type == RedisReply::Type::integer) ++answered;
    }, asio::detached);
  }
  run_async(ioc, [&]() -> asio::awaitable<void> { co_await eventually([&] { return answered == 1000; }); }());
  BOOST_TEST(answered == 1000);
  auto total = run_async(ioc, redis.command(cmd("GET", "counter"), milliseconds(1000)));
  BOOST_TEST(total->text == "1000");
  BOOST_TEST(redis.stats().connects == 1u);
}

BOOST_FIXTURE_TEST_CASE(a_frozen_server_costs_a_command_its_timeout_and_no_more, Connected) {
  server.pause();
  const auto start = std::chrono::steady_clock::now();
  auto r = run_async(ioc, redis.command(cmd("PING"), milliseconds(50)));
  const auto took = std::chrono::steady_clock::now() - start;
  BOOST_TEST(!r);
  BOOST_TEST((took >= milliseconds(50)));
  BOOST_TEST((took < milliseconds(500)));
  BOOST_TEST(redis.stats().timeouts == 1u);
  BOOST_TEST(redis.last_error().find("no reply within 50 ms") != std::string::npos);
  server.resume();
  // The late reply is dropped; the next command gets its own.
  auto again = run_async(ioc, redis.command(cmd("ECHO", "after"), milliseconds(1000)));
  BOOST_REQUIRE(again);
  BOOST_TEST(again->text == "after");
}

BOOST_FIXTURE_TEST_CASE(a_server_that_goes_away_fails_commands_fast_and_is_reconnected_when_back, Connected) {
  server.stop();
  // The connection's end is noticed; commands fail well within their timeout.
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 5; ++i) BOOST_TEST(!run_async(ioc, redis.command(cmd("GET", "a"), milliseconds(2000))));
  BOOST_TEST((std::chrono::steady_clock::now() - start < milliseconds(1500)));
  BOOST_TEST(!redis.connected());
  BOOST_TEST(!redis.last_error().empty());
  server.start();
  // Back: a command within the backoff fails fast, and one after it reconnects.
  bool back = run_async(ioc, [&]() -> asio::awaitable<bool> {
    co_return co_await eventually(
        [&] {
          asio::co_spawn(ioc, [&]() -> asio::awaitable<void> { (void)co_await redis.command(cmd("PING"), milliseconds(200)); }, asio::detached);
          return redis.connected();
        },
        std::chrono::seconds(8));
  }());
  BOOST_TEST(back);
  auto r = run_async(ioc, redis.command(cmd("SET", "b", "2"), milliseconds(1000)));
  BOOST_REQUIRE(r);
  BOOST_TEST(r->text == "OK");
  BOOST_TEST(redis.stats().connects >= 2u);
}

BOOST_AUTO_TEST_CASE(nothing_listening_is_a_clear_error_not_a_hang) {
  asio::io_context ioc;
  RedisEndpoint e;
  {
    RedisServer s;  // a port that was free a moment ago
    e.port = s.port();
  }
  RedisClient redis(ioc.get_executor(), e);
  auto r = run_async(ioc, redis.command(cmd("PING"), milliseconds(500)));
  BOOST_TEST(!r);
  BOOST_TEST(redis.last_error().find("127.0.0.1:" + std::to_string(e.port)) != std::string::npos, redis.last_error());
  BOOST_TEST(redis.stats().connect_failures == 1u);
}

BOOST_FIXTURE_TEST_CASE(closing_leaves_nothing_on_the_io_context, Connected) {
  redis.close();
  ioc.restart();
  ioc.run_for(std::chrono::seconds(2));  // returns at once when no work is left
  BOOST_TEST(ioc.stopped());
  BOOST_TEST(!run_async(ioc, redis.command(cmd("PING"), milliseconds(1000))));  // and stays closed
  BOOST_TEST(redis.last_error().find("closed") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_host_name_is_resolved_off_the_io_thread_within_the_deadline) {
  RedisServer server;
  asio::io_context ioc;
  RedisEndpoint e = endpoint_of(server);
  e.host = "localhost";
  RedisClient redis(ioc.get_executor(), e);
  auto r = run_async(ioc, redis.command(cmd("PING"), milliseconds(2000)));
  BOOST_REQUIRE_MESSAGE(r, redis.last_error());
  BOOST_TEST(r->text == "PONG");
}

BOOST_AUTO_TEST_CASE(every_address_a_name_resolves_to_is_tried_within_the_deadline) {
  // A stock Debian 12 maps localhost to ::1 and 127.0.0.1; redis-server listens
  // on 127.0.0.1 only. Connecting to the first address alone failed with
  // "redis ::1:PORT: Connection refused".
  RedisServer server;
  asio::io_context ioc;
  RedisEndpoint e = endpoint_of(server);
  e.host = "redis.test";
  RedisClient redis(ioc.get_executor(), e);
  int resolved = 0;
  redis.set_resolver([&](const std::string& host, std::uint16_t) -> asio::awaitable<std::vector<std::string>> {
    BOOST_TEST(host == "redis.test");
    ++resolved;
    co_return std::vector<std::string>{"::1", "127.0.0.2", "127.0.0.1"};
  });
  auto r = run_async(ioc, redis.command(cmd("PING"), milliseconds(2000)));
  BOOST_REQUIRE_MESSAGE(r, redis.last_error());
  BOOST_TEST(r->text == "PONG");
  BOOST_TEST(resolved == 1);
  BOOST_TEST(redis.stats().connect_failures == 2u);
}

BOOST_AUTO_TEST_CASE(health_checks_reconnect_with_no_traffic_once_redis_is_back) {
  // A load balancer reading /health sends a degraded replica no traffic: the
  // connection must come back by itself, not at the next command.
  RedisServer server;
  asio::io_context ioc;
  RedisClient redis(ioc.get_executor(), endpoint_of(server));
  redis.start_health_checks(milliseconds(100), milliseconds(100));
  BOOST_TEST(run_async(ioc, eventually([&] { return redis.healthy(); }, std::chrono::seconds(5))));
  server.stop();
  BOOST_TEST(run_async(ioc, eventually([&] { return !redis.healthy(); }, std::chrono::seconds(5))));
  server.start();
  const auto commands = redis.stats().commands;
  BOOST_TEST(run_async(ioc, eventually([&] { return redis.healthy(); }, std::chrono::seconds(10))));
  BOOST_TEST(redis.stats().connects >= 2u);
  BOOST_TEST(redis.stats().commands > commands);  // only its own PINGs ran
  redis.close();
  ioc.run_for(milliseconds(200));  // the loop ends: nothing left waiting
  BOOST_TEST(ioc.stopped());
}

BOOST_AUTO_TEST_CASE(a_frozen_redis_is_unhealthy_while_the_connection_stays_open) {
  RedisServer server;
  asio::io_context ioc;
  RedisClient redis(ioc.get_executor(), endpoint_of(server));
  redis.start_health_checks(milliseconds(100), milliseconds(100));
  BOOST_TEST(run_async(ioc, eventually([&] { return redis.healthy(); }, std::chrono::seconds(5))));
  server.pause();
  BOOST_TEST(run_async(ioc, eventually([&] { return !redis.healthy(); }, std::chrono::seconds(5))));
  BOOST_TEST(redis.connected());
  server.resume();
  BOOST_TEST(run_async(ioc, eventually([&] { return redis.healthy(); }, std::chrono::seconds(5))));
  redis.close();
}
