#include "server/client_watch.hpp"

namespace switchyard::server {

namespace asio = boost::asio;
using asio::ip::tcp;

void ClientWatch::arm() {
  state_ = std::make_shared<State>();
  stream_.socket().async_wait(tcp::socket::wait_read, [state = state_, cancel = cancel_, sock = &stream_.socket()](boost::system::error_code ec) {
    if (state->disarmed || ec == asio::error::operation_aborted) return;
    boost::system::error_code aec;
    if (!ec && sock->available(aec) > 0 && !aec) return;  // pipelined bytes, not a close
    state->gone = true;
    cancel->emit(asio::cancellation_type::terminal);
  });
}

bool ClientWatch::disarm() {
  state_->disarmed = true;
  boost::system::error_code ignored;
  if (!state_->gone) stream_.socket().cancel(ignored);
  return state_->gone;
}

}  // namespace switchyard::server
