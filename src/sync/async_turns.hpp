#pragma once
// Turns on one resource for coroutines of one executor, first come first
// served (an asynchronous mutex): a PostgreSQL connection runs one statement
// at a time; the admin API changes keys and teams one at a time. Every wait
// is bounded by the caller's deadline. Not thread-safe: one executor's
// coroutines only.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <deque>
#include <memory>

namespace switchyard::sync {

class AsyncTurns {
 public:
  using Deadline = std::chrono::steady_clock::time_point;

  // Holds a turn until destroyed (then the next waiter's turn begins).
  class Turn {
   public:
    Turn() = default;
    explicit Turn(AsyncTurns* owner) : owner_(owner) {}
    Turn(Turn&& o) noexcept : owner_(std::exchange(o.owner_, nullptr)) {}
    Turn& operator=(Turn&&) = delete;
    ~Turn() {
      if (owner_) owner_->give();
    }
    explicit operator bool() const noexcept { return owner_ != nullptr; }

   private:
    AsyncTurns* owner_ = nullptr;
  };

  explicit AsyncTurns(boost::asio::any_io_executor ex) : ex_(std::move(ex)) {}
  // The turn, or an empty Turn when `deadline` passed first. The AsyncTurns
  // must outlive every Turn it gave.
  boost::asio::awaitable<Turn> take(Deadline deadline);
  bool busy() const noexcept { return busy_; }
  std::size_t waiting() const noexcept { return waiting_.size(); }

 private:
  void give();
  boost::asio::any_io_executor ex_;
  bool busy_ = false;
  std::deque<std::shared_ptr<boost::asio::steady_timer>> waiting_;
};

}  // namespace switchyard::sync
