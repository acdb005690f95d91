#include "cache/flight_board.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>

namespace switchyard::cache {

namespace asio = boost::asio;

// One waiting request; touched by its own executor only (the board posts to it).
struct FlightBoard::Waiter {
  explicit Waiter(const asio::any_io_executor& ex) : timer(ex) {}
  asio::steady_timer timer;
  bool woken = false;
  std::optional<Error> failed;
};

bool FlightBoard::claim(const std::string& key) {
  std::lock_guard lock(mu_);
  return fetching_.try_emplace(key).second;
}

void FlightBoard::end(const std::string& key, const Error* failed) {
  std::vector<std::shared_ptr<Waiter>> waiters;
  {
    std::lock_guard lock(mu_);
    auto it = fetching_.find(key);
    if (it == fetching_.end()) return;
    waiters = std::move(it->second);
    fetching_.erase(it);
  }
  std::optional<Error> failure;
  if (failed) failure = *failed;
  for (auto& w : waiters) {
    auto ex = w->timer.get_executor();
    asio::post(ex, [w = std::move(w), failure] {
      w->woken = true;
      w->failed = failure;
      w->timer.cancel();
    });
  }
}

asio::awaitable<FlightBoard::Outcome> FlightBoard::wait(std::string key, std::chrono::milliseconds limit) {
  auto w = std::make_shared<Waiter>(co_await asio::this_coro::executor);
  {
    std::lock_guard lock(mu_);
    auto it = fetching_.find(key);
    if (it == fetching_.end()) co_return Outcome{};  // it ended already: look in the store
    it->second.push_back(w);
  }
  w->timer.expires_after(limit);
  co_await w->timer.async_wait(asio::as_tuple(asio::use_awaitable));
  if (w->woken) co_return Outcome{Outcome::How::ended, std::move(w->failed)};
  {
    std::lock_guard lock(mu_);
    if (auto it = fetching_.find(key); it != fetching_.end()) std::erase(it->second, w);
  }
  const bool left = (co_await asio::this_coro::cancellation_state).cancelled() != asio::cancellation_type::none;
  co_return Outcome{left ? Outcome::How::client_left : Outcome::How::timed_out, std::nullopt};
}

std::size_t FlightBoard::in_flight() const {
  std::lock_guard lock(mu_);
  return fetching_.size();
}

}  // namespace switchyard::cache
