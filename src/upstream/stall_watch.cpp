#include "upstream/stall_watch.hpp"

namespace switchyard::upstream {

StallWatch::StallWatch(const boost::asio::any_io_executor& ex, Clock::duration limit) : state_(std::make_shared<State>(ex)) {
  state_->limit = limit;
}

StallWatch::~StallWatch() {
  state_->socket = nullptr;
  state_->timer.cancel();  // the handler, if queued, finds no socket and stops
}

void StallWatch::waiting(boost::asio::ip::tcp::socket& socket) {
  state_->socket = &socket;
  state_->since = Clock::now();
  state_->stalled = false;
  if (!state_->armed) arm(state_, state_->since + state_->limit);
}

void StallWatch::done() noexcept { state_->socket = nullptr; }

void StallWatch::arm(const std::shared_ptr<State>& s, Clock::time_point at) {
  s->armed = true;
  s->timer.expires_at(at);
  s->timer.async_wait([s](const boost::system::error_code& ec) {
    s->armed = false;
    if (ec || !s->socket) return;  // disarmed, or no wait is on: the next wait arms it again
    const auto now = Clock::now();
    if (now - s->since >= s->limit) {
      s->stalled = true;
      boost::system::error_code ignored;
      s->socket->cancel(ignored);  // the wait ends with operation_aborted; stalled() says why
      return;
    }
    arm(s, s->since + s->limit);
  });
}

}  // namespace switchyard::upstream
