#define BOOST_TEST_MODULE connection_pool
#include <boost/test/unit_test.hpp>

#include <boost/asio/detached.hpp>

#include "mock/mock_provider.hpp"
#include "support/async.hpp"
#include "upstream/connection_pool.hpp"

using namespace switchyard;
using namespace switchyard::test;
using namespace switchyard::upstream;
using std::chrono::milliseconds;

namespace {

struct PoolFixture {
  asio::io_context ioc{1};
  mock::MockProvider mock{ioc.get_executor(), {}};
  std::uint16_t port = mock.listen();
  PoolFixture() { asio::co_spawn(ioc, mock.run(), asio::detached); }
  ~PoolFixture() {
    mock.stop();
    ioc.run_for(std::chrono::seconds(2));
  }
  Endpoint endpoint() {
    Endpoint ep;
    ep.host = "127.0.0.1";
    ep.port = std::to_string(port);
    ep.host_header = ep.host + ":" + ep.port;
    return ep;
  }
};

}  // namespace

BOOST_FIXTURE_TEST_CASE(a_reusable_connection_is_handed_out_again, PoolFixture) {
  PoolConfig cfg;
  ConnectionPool pool(ioc.get_executor(), endpoint(), "mock", cfg, milliseconds(1000), nullptr);
  run_async(ioc, [&]() -> asio::awaitable<void> {
    {
      auto a = co_await pool.acquire();
      BOOST_REQUIRE(a);
      BOOST_TEST(!a->reused());
      a->set_reusable(true);
    }
    BOOST_TEST(pool.stats().idle == 1u);
    {
      auto b = co_await pool.acquire();
      BOOST_REQUIRE(b);
      BOOST_TEST(b->reused());
      // not marked reusable: closed on release
    }
    BOOST_TEST(pool.stats().idle == 0u);
    BOOST_TEST(pool.stats().opened == 1u);
    BOOST_TEST(pool.stats().discarded == 1u);
  }());
}

BOOST_FIXTURE_TEST_CASE(waiters_get_the_released_connection_and_time_out_otherwise, PoolFixture) {
  PoolConfig cfg;
  cfg.max_connections = 1;
  cfg.max_waiters = 2;
  cfg.queue_timeout = milliseconds(150);
  ConnectionPool pool(ioc.get_executor(), endpoint(), "mock", cfg, milliseconds(1000), nullptr);
  run_async(ioc, [&]() -> asio::awaitable<void> {
    using namespace asio::experimental::awaitable_operators;
    auto held = co_await pool.acquire();
    BOOST_REQUIRE(held);
    // A waiter times out with pool_exhausted while the only connection is held.
    auto timed_out = co_await pool.acquire();
    BOOST_REQUIRE(!timed_out);
    BOOST_TEST((timed_out.error().code == errc::pool_exhausted));
    BOOST_TEST(pool.stats().waiting == 0u);
    // A waiter gets the connection as soon as it is released.
    auto release_soon = [&]() -> asio::awaitable<void> {
      asio::steady_timer t(co_await asio::this_coro::executor, milliseconds(20));
      co_await t.async_wait(use_nothrow);
      held->set_reusable(true);
      *held = Lease();
    };
    auto got = co_await (pool.acquire() && release_soon());
    BOOST_REQUIRE(got);
    BOOST_TEST(got.value().reused());
    BOOST_TEST(pool.stats().opened == 1u);
  }());
}

BOOST_FIXTURE_TEST_CASE(a_full_queue_is_refused_at_once, PoolFixture) {
  PoolConfig cfg;
  cfg.max_connections = 1;
  cfg.max_waiters = 0;
  ConnectionPool pool(ioc.get_executor(), endpoint(), "mock", cfg, milliseconds(1000), nullptr);
  run_async(ioc, [&]() -> asio::awaitable<void> {
    auto held = co_await pool.acquire();
    BOOST_REQUIRE(held);
    auto refused = co_await pool.acquire();
    BOOST_REQUIRE(!refused);
    BOOST_TEST((refused.error().code == errc::pool_exhausted));
  }());
}

BOOST_FIXTURE_TEST_CASE(idle_connections_past_their_timeout_are_evicted, PoolFixture) {
  PoolConfig cfg;
  cfg.idle_timeout = milliseconds(30);
  ConnectionPool pool(ioc.get_executor(), endpoint(), "mock", cfg, milliseconds(1000), nullptr);
  run_async(ioc, [&]() -> asio::awaitable<void> {
    {
      auto a = co_await pool.acquire();
      a->set_reusable(true);
    }
    BOOST_TEST(pool.stats().idle == 1u);
    asio::steady_timer t(co_await asio::this_coro::executor, milliseconds(60));
    co_await t.async_wait(use_nothrow);
    auto b = co_await pool.acquire();
    BOOST_REQUIRE(b);
    BOOST_TEST(!b->reused());
    BOOST_TEST(pool.stats().opened == 2u);
  }());
}

BOOST_FIXTURE_TEST_CASE(a_connection_the_peer_closed_is_not_reused, PoolFixture) {
  PoolConfig cfg;
  cfg.peek_after_idle = milliseconds(0);  // always check before reuse
  ConnectionPool pool(ioc.get_executor(), endpoint(), "mock", cfg, milliseconds(1000), nullptr);
  run_async(ioc, [&]() -> asio::awaitable<void> {
    {
      auto a = co_await pool.acquire();
      a->set_reusable(true);
    }
    BOOST_REQUIRE(co_await eventually([&] { return mock.stats().connections_accepted == 1; }));
    mock.close_idle_connections();
    BOOST_REQUIRE(co_await eventually([&] { return mock.open_connections() == 0; }));
    auto b = co_await pool.acquire();
    BOOST_REQUIRE(b);
    BOOST_TEST(!b->reused());
    BOOST_TEST(pool.stats().opened == 2u);
  }());
}

BOOST_FIXTURE_TEST_CASE(an_idle_connection_the_peer_closes_is_closed_once_idle_past_the_peek_delay, PoolFixture) {
  // Connections reused within peek_after_idle are not watched (a watch costs
  // an epoll_ctl per request); one idle longer is, and its close is noticed
  // without waiting for the next lease.
  PoolConfig cfg;
  cfg.peek_after_idle = milliseconds(100);
  ConnectionPool pool(ioc.get_executor(), endpoint(), "mock", cfg, milliseconds(1000), nullptr);
  run_async(ioc, [&]() -> asio::awaitable<void> {
    {
      auto a = co_await pool.acquire();
      a->set_reusable(true);
    }
    BOOST_TEST(pool.stats().idle == 1u);
    BOOST_REQUIRE(co_await eventually([&] { return mock.stats().connections_accepted == 1; }));
    mock.close_idle_connections();
    BOOST_TEST(co_await eventually([&] { return pool.stats().idle == 0u; }, std::chrono::seconds(3)));
    BOOST_TEST(pool.stats().discarded == 1u);
  }());
}

BOOST_FIXTURE_TEST_CASE(connect_failures_are_errors_naming_the_provider, PoolFixture) {
  Endpoint ep = endpoint();
  ep.port = "1";
  ConnectionPool pool(ioc.get_executor(), ep, "nowhere", PoolConfig{}, milliseconds(1000), nullptr);
  run_async(ioc, [&]() -> asio::awaitable<void> {
    auto a = co_await pool.acquire();
    BOOST_REQUIRE(!a);
    BOOST_TEST((a.error().code == errc::upstream_connect));
    BOOST_TEST(a.error().provider == "nowhere");
    BOOST_TEST(pool.stats().active == 0u);
  }());
}
