#include "server/dashboard_feed.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

namespace switchyard::server {

namespace asio = boost::asio;
namespace json = boost::json;

void DashboardFeed::sample() {
  const auto now = gateway_.dashboard(reactor_);
  json::object s{{"time_ms", now.at("time_ms")}, {"since_start", now.at("since_start")}, {"routing", now.at("routing")}};
  json::array targets;
  for (const auto& t : now.at("targets").as_array()) {
    const auto& o = t.as_object();
    std::string name(o.at("provider").as_string());
    name += '/';
    name += o.at("model").as_string();
    targets.push_back(json::object{{"target", name},
                                   {"answered", o.at("answered")},
                                   {"failed", o.at("failed")},
                                   {"circuit", o.at("circuit")}});
  }
  s["targets"] = std::move(targets);
  samples_.push_back(std::move(s));
  while (samples_.size() > kSamples) samples_.pop_front();
}

asio::awaitable<void> DashboardFeed::run() {
  while (!stopped_) {
    sample();
    if (keys_) keys_->look(gateway_.provider_keys());
    tick_.expires_after(kSampleEvery);
    auto [ec] = co_await tick_.async_wait(asio::as_tuple(asio::use_awaitable));
    if (ec) break;
  }
}

void DashboardFeed::stop() {
  stopped_ = true;
  tick_.cancel();
}

asio::awaitable<json::object> DashboardFeed::event(bool with_history) {
  auto out = gateway_.dashboard(reactor_);
  out["recent"] = co_await gateway_.recent_requests(100);
  if (with_history) {
    json::array history;
    for (const auto& s : samples_) history.push_back(s);
    out["history"] = std::move(history);
    out["sample_every_ms"] = std::chrono::duration_cast<std::chrono::milliseconds>(kSampleEvery).count();
  }
  co_return out;
}

}  // namespace switchyard::server
