#pragma once
// The status dashboard's data: GET /admin/events streams Gateway::dashboard()
// with the newest ledger rows as one SSE event a second to each open page;
// the feed also keeps a short history (a sample every 5 s for the last 15
// minutes: totals, and each target's answers, failures and circuit) so a page
// opened late still draws its charts. With no page open it costs one small
// sample every 5 s.
#include <switchyard/gateway.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include "server/key_watch.hpp"
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <chrono>
#include <deque>

namespace switchyard::server {

class DashboardFeed {
 public:
  static constexpr std::chrono::seconds kSampleEvery{5};
  static constexpr std::size_t kSamples = 180;  // 15 minutes

  // `keys`: logs the providers' keys' changes at every tick (the main worker's feed only), or null.
  DashboardFeed(boost::asio::any_io_executor ex, Gateway& gateway, std::size_t reactor = 0, KeyWatch* keys = nullptr)
      : gateway_(gateway), reactor_(reactor), keys_(keys), tick_(std::move(ex)) {}

  // Samples every kSampleEvery until stop().
  boost::asio::awaitable<void> run();
  void stop();
  // One sample now (run() calls it; tests too).
  void sample();

  // What one event carries: the dashboard view, the recent ledger rows and (`with_history`) the samples so far.
  boost::asio::awaitable<boost::json::object> event(bool with_history);
  const std::deque<boost::json::object>& samples() const noexcept { return samples_; }

 private:
  Gateway& gateway_;
  std::size_t reactor_;
  KeyWatch* keys_;
  boost::asio::steady_timer tick_;
  bool stopped_ = false;
  std::deque<boost::json::object> samples_;
};

}  // namespace switchyard::server
