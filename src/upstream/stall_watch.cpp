#include "upstream/stall_watch.hpp"

namespace switchyard::upstream {

StallWatch::StallWatch(const boost::asio::any_io_executor& ex, boost::asio::ip::tcp::socket& socket, Clock::duration limit)
    : socket_(socket), state_(std::make_shared<State>(ex)) {
  state_->owner = this;
  state_->limit = limit;
}

StallWatch::~StallWatch() {
  state_->owner = nullptr;
  state_->timer.cancel();  // the handler, if queued, finds no owner and stops
}

void StallWatch::arm(const std::shared_ptr<State>& s, Clock::time_point at) {
  s->armed = true;
  s->timer.expires_at(at);
  s->timer.async_wait([s](const boost::system::error_code& ec) {
    s->armed = false;
    StallWatch* w = s->owner;
    if (ec || !w || !w->waiting_) return;  // disarmed, or no wait is on: the next wait arms it again
    if (Clock::now() - w->since_ >= s->limit) {
      s->stalled = true;
      boost::system::error_code ignored;
      w->socket_.cancel(ignored);  // the wait ends with operation_aborted; stalled() says why
      return;
    }
    arm(s, w->since_ + s->limit);
  });
}

}  // namespace switchyard::upstream
