#include "sync/async_turns.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>

namespace switchyard::sync {

namespace asio = boost::asio;

namespace {
// A waiter's timer set to this was handed the turn (its wait is cancelled by the change).
constexpr auto kGiven = std::chrono::steady_clock::time_point::min();
}  // namespace

void AsyncTurns::give() {
  const auto now = std::chrono::steady_clock::now();
  while (!waiting_.empty()) {
    auto next = std::move(waiting_.front());
    waiting_.pop_front();
    if (next->expiry() > now) {  // (one whose deadline passed is leaving by itself)
      next->expires_at(kGiven);
      return;  // busy_ stays set: the turn passes on
    }
  }
  busy_ = false;
}

asio::awaitable<AsyncTurns::Turn> AsyncTurns::take(Deadline deadline) {
  if (!busy_) {
    busy_ = true;
    co_return Turn(this);
  }
  auto me = std::make_shared<asio::steady_timer>(ex_, deadline);
  waiting_.push_back(me);
  co_await me->async_wait(asio::as_tuple(asio::use_awaitable));
  if (me->expiry() == kGiven) co_return Turn(this);
  std::erase(waiting_, me);
  co_return Turn();
}

}  // namespace switchyard::sync
