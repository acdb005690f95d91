// AsyncTurns: coroutines take turns first come first served; a turn passes on
// when its holder is done; a waiter whose deadline passes leaves with none and
// is skipped.
#include <boost/test/unit_test.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <string>

#include "sync/async_turns.hpp"

namespace asio = boost::asio;
using switchyard::sync::AsyncTurns;
using Clock = std::chrono::steady_clock;

BOOST_AUTO_TEST_SUITE(async_turns)

BOOST_AUTO_TEST_CASE(turns_are_taken_in_order_and_one_at_a_time) {
  asio::io_context io;
  AsyncTurns turns(io.get_executor());
  std::string trace;
  int holding = 0, most = 0;
  auto worker = [&](char name) -> asio::awaitable<void> {
    auto turn = co_await turns.take(Clock::now() + std::chrono::seconds(5));
    BOOST_TEST(static_cast<bool>(turn));
    most = std::max(most, ++holding);
    trace += name;
    asio::steady_timer hold(io, std::chrono::milliseconds(2));
    co_await hold.async_wait(asio::use_awaitable);  // suspended while holding the turn
    --holding;
  };
  for (char c : std::string("abcd")) asio::co_spawn(io, worker(c), asio::detached);
  io.run();
  BOOST_TEST(trace == "abcd");
  BOOST_TEST(most == 1);
  BOOST_TEST(!turns.busy());
}

BOOST_AUTO_TEST_CASE(a_waiter_past_its_deadline_leaves_without_the_turn_and_the_next_gets_it) {
  asio::io_context io;
  AsyncTurns turns(io.get_executor());
  bool impatient_got = true, patient_got = false;
  // (Named: a coroutine lambda's captures live in the lambda object, which must outlive it.)
  auto holder = [&]() -> asio::awaitable<void> {
    auto turn = co_await turns.take(Clock::now() + std::chrono::seconds(5));
    asio::steady_timer hold(io, std::chrono::milliseconds(50));
    co_await hold.async_wait(asio::use_awaitable);
  };
  auto impatient = [&]() -> asio::awaitable<void> {
    auto turn = co_await turns.take(Clock::now() + std::chrono::milliseconds(10));
    impatient_got = static_cast<bool>(turn);
  };
  auto patient = [&]() -> asio::awaitable<void> {
    auto turn = co_await turns.take(Clock::now() + std::chrono::seconds(5));
    patient_got = static_cast<bool>(turn);
  };
  asio::co_spawn(io, holder(), asio::detached);
  asio::co_spawn(io, impatient(), asio::detached);
  asio::co_spawn(io, patient(), asio::detached);
  io.run();
  BOOST_TEST(!impatient_got);
  BOOST_TEST(patient_got);
  BOOST_TEST(turns.waiting() == 0u);
  BOOST_TEST(!turns.busy());
}

BOOST_AUTO_TEST_SUITE_END()
