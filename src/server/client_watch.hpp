#pragma once
// Watches a client connection while its request is upstream. When the client
// closes it, the session's cancellation signal fires, which cancels whatever
// the session coroutine is awaiting (the upstream read), at once. One plain
// wait per request; no extra coroutine.
#include <boost/asio/cancellation_signal.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include <memory>

namespace switchyard::server {

class ClientWatch {
 public:
  ClientWatch(boost::beast::tcp_stream& stream, std::shared_ptr<boost::asio::cancellation_signal> cancel)
      : stream_(stream), cancel_(std::move(cancel)) {}

  void arm();
  // Stops watching; true when the client went away meanwhile.
  bool disarm();

 private:
  struct State {
    bool disarmed = false;
    bool gone = false;
  };
  boost::beast::tcp_stream& stream_;
  std::shared_ptr<boost::asio::cancellation_signal> cancel_;
  std::shared_ptr<State> state_;
};

}  // namespace switchyard::server
