#pragma once
// Sends alert notifications to [alerting] webhook_url, never on the request
// path: a bounded queue (64; more are dropped and counted) drained by one
// coroutine on the executor it was given, each POST bounded by 5 s and tried
// webhook_attempts times (1 s, 2 s, ... apart). A 2xx is sent; anything else
// is retried, then counted failed. stop() ends it.
#include <switchyard/config.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <deque>
#include <memory>
#include <string>

namespace switchyard::upstream {
class HttpPoster;
}

namespace switchyard::alerting {

struct NotifierCounters {
  std::atomic<std::uint64_t> sent{0}, failed{0}, dropped{0}, suppressed{0}, retries{0};
};

class WebhookNotifier {
 public:
  static constexpr std::size_t kQueue = 64;
  WebhookNotifier(const boost::asio::any_io_executor& ex, const AlertingConfig& config);
  ~WebhookNotifier();
  // On the notifier's executor.
  void send(std::string payload);
  void stop();
  NotifierCounters& counters() noexcept;

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace switchyard::alerting
