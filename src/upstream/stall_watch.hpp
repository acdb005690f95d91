#pragma once
// The read timeout of a body read piece by piece, without a timer per read.
// A stream reads 50 times a second for minutes; arming and cancelling a
// timer around each read cost ~6,000 instructions and, with few streams, a
// timerfd_settime system call per chunk. Here one timer per exchange is armed
// when the first wait begins and, when it fires, re-armed for the time the
// current wait has left (so at most once per timeout period), or, when the
// current wait has lasted the whole timeout, it cancels the socket's pending
// operations: the read ends with `stalled()` set. A wait only writes two
// fields of the watch itself (no other memory to pull into the cache per
// read); the timer's handler reaches them through shared state that the
// destructor disconnects, so it never outlives its owner.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <memory>

namespace switchyard::upstream {

class StallWatch {
 public:
  using Clock = std::chrono::steady_clock;

  StallWatch(const boost::asio::any_io_executor& ex, boost::asio::ip::tcp::socket& socket, Clock::duration limit);
  ~StallWatch();
  StallWatch(const StallWatch&) = delete;
  StallWatch& operator=(const StallWatch&) = delete;

  // A wait on the socket begins / ended. Between the two, a wait longer than
  // the limit cancels the socket's operations.
  void waiting() {
    since_ = Clock::now();
    waiting_ = true;
    if (!state_->armed) arm(state_, since_ + state_->limit);
  }
  void done() noexcept { waiting_ = false; }
  // The last wait was cut because it outlasted the limit.
  bool stalled() const noexcept { return state_->stalled; }

 private:
  struct State {
    explicit State(const boost::asio::any_io_executor& ex) : timer(ex) {}
    boost::asio::steady_timer timer;
    StallWatch* owner = nullptr;  // null once the watch is gone
    Clock::duration limit{};
    bool armed = false;
    bool stalled = false;
  };
  static void arm(const std::shared_ptr<State>& s, Clock::time_point at);

  boost::asio::ip::tcp::socket& socket_;
  Clock::time_point since_{};
  bool waiting_ = false;
  std::shared_ptr<State> state_;
};

}  // namespace switchyard::upstream
