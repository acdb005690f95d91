#pragma once
// Helpers to run coroutines in Boost.Test cases: every wait is bounded, so a
// hang fails the test instead of blocking CI.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <exception>
#include <functional>
#include <optional>

namespace switchyard::test {

namespace asio = boost::asio;
inline constexpr auto use_nothrow = asio::as_tuple(asio::use_awaitable);

// Runs `work` on `ioc` until it completes or `limit` passes (a test failure).
template <class T>
T run_async(asio::io_context& ioc, asio::awaitable<T> work, std::chrono::milliseconds limit = std::chrono::seconds(20)) {
  bool done = false;
  std::exception_ptr error;
  std::optional<T> value;
  if (ioc.stopped()) ioc.restart();  // an earlier run_async may have run it out of work
  asio::co_spawn(ioc, std::move(work), [&](std::exception_ptr e, T v) {
    error = e;
    if (!e) value.emplace(std::move(v));
    done = true;
  });
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done && std::chrono::steady_clock::now() < deadline) ioc.run_one_for(std::chrono::milliseconds(50));
  if (!done) BOOST_FAIL("coroutine did not finish within the time limit");
  if (error) std::rethrow_exception(error);
  return std::move(*value);
}

void run_async(asio::io_context& ioc, asio::awaitable<void> work, std::chrono::milliseconds limit = std::chrono::seconds(20));

// Polls `condition` every few milliseconds until it holds or `limit` passes;
// for state owned by another coroutine that offers nothing to await.
asio::awaitable<bool> eventually(std::function<bool()> condition, std::chrono::milliseconds limit = std::chrono::seconds(5));

extern template bool run_async<bool>(asio::io_context&, asio::awaitable<bool>, std::chrono::milliseconds);

}  // namespace switchyard::test
