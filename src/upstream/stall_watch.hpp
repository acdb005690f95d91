#pragma once
// The read timeout of a body read piece by piece, without a timer per read. A stream
// reads 50 times a second for minutes; arming and cancelling a timer around
// each read cost ~6,000 instructions and, with few streams, a timerfd_settime
// system call per chunk. Here one timer per exchange is armed when the first
// wait begins and, when it fires, re-armed for the time the current wait has
// left (so at most once per timeout period), or, when the current wait has
// lasted the whole timeout, it cancels the socket's pending operations: the
// read ends with `stalled()` set. Bounded like every wait; the timer never
// outlives its owner's socket (the destructor disarms it, and the handler
// only touches shared state).
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <memory>

namespace switchyard::upstream {

class StallWatch {
 public:
  using Clock = std::chrono::steady_clock;

  StallWatch(const boost::asio::any_io_executor& ex, Clock::duration limit);
  ~StallWatch();
  StallWatch(const StallWatch&) = delete;
  StallWatch& operator=(const StallWatch&) = delete;

  // A wait on `socket` begins / ended. Between the two, a wait longer than
  // the limit cancels the socket's operations.
  void waiting(boost::asio::ip::tcp::socket& socket);
  void done() noexcept;
  // The last wait was cut because it outlasted the limit.
  bool stalled() const noexcept { return state_->stalled; }

 private:
  struct State {
    explicit State(const boost::asio::any_io_executor& ex) : timer(ex) {}
    boost::asio::steady_timer timer;
    boost::asio::ip::tcp::socket* socket = nullptr;  // set while a wait is on
    Clock::time_point since{};
    Clock::duration limit{};
    bool armed = false;
    bool stalled = false;
  };
  static void arm(const std::shared_ptr<State>& s, Clock::time_point at);

  std::shared_ptr<State> state_;
};

}  // namespace switchyard::upstream
