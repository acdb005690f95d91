#include "support/async.hpp"

namespace switchyard::test {

template bool run_async<bool>(asio::io_context&, asio::awaitable<bool>, std::chrono::milliseconds);

void run_async(asio::io_context& ioc, asio::awaitable<void> work, std::chrono::milliseconds limit) {
  auto wrapped = [](asio::awaitable<void> w) -> asio::awaitable<bool> {
    co_await std::move(w);
    co_return true;
  };
  run_async<bool>(ioc, wrapped(std::move(work)), limit);
}

asio::awaitable<bool> eventually(std::function<bool()> condition, std::chrono::milliseconds limit) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) co_return false;
    timer.expires_after(std::chrono::milliseconds(2));
    co_await timer.async_wait(use_nothrow);
  }
  co_return true;
}

}  // namespace switchyard::test
