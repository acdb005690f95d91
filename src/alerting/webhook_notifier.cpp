#include "alerting/webhook_notifier.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "upstream/http_poster.hpp"

namespace switchyard::alerting {

namespace asio = boost::asio;

struct WebhookNotifier::State {
  State(const asio::any_io_executor& ex, const AlertingConfig& c)
      : attempts(c.webhook_attempts), wake(ex), pause(ex),
        poster(std::make_unique<upstream::HttpPoster>(ex, c.webhook_url, std::vector<std::pair<std::string, std::string>>{}, Millis(5'000),
                                                      "alert webhook")) {}
  int attempts;
  asio::steady_timer wake;   // the sender's idle wait (cancelled: work, or stop)
  asio::steady_timer pause;  // between tries (cancelled: stop)
  std::unique_ptr<upstream::HttpPoster> poster;
  std::deque<std::string> queue;
  bool stopped = false;
  NotifierCounters counters;
};

namespace {
asio::awaitable<void> sender(std::shared_ptr<WebhookNotifier::State> s) {
  while (!s->stopped) {
    if (s->queue.empty()) {
      s->wake.expires_at(asio::steady_timer::time_point::max());
      co_await s->wake.async_wait(asio::as_tuple(asio::use_awaitable));
      continue;
    }
    const std::string payload = std::move(s->queue.front());
    s->queue.pop_front();
    bool sent = false;
    for (int attempt = 0; attempt < s->attempts && !sent && !s->stopped; ++attempt) {
      if (attempt > 0) {
        ++s->counters.retries;
        s->pause.expires_after(std::chrono::seconds(attempt));
        co_await s->pause.async_wait(asio::as_tuple(asio::use_awaitable));
        if (s->stopped) break;
      }
      auto answer = co_await s->poster->post(payload);
      sent = answer && answer->status / 100 == 2;
    }
    ++(sent ? s->counters.sent : s->counters.failed);
  }
}
}  // namespace

WebhookNotifier::WebhookNotifier(const asio::any_io_executor& ex, const AlertingConfig& config)
    : state_(std::make_shared<State>(ex, config)) {
  asio::co_spawn(ex, sender(state_), asio::detached);  // stop() ends it; it owns what it uses
}

WebhookNotifier::~WebhookNotifier() { stop(); }

NotifierCounters& WebhookNotifier::counters() noexcept { return state_->counters; }

void WebhookNotifier::send(std::string payload) {
  if (state_->stopped) return;
  if (state_->queue.size() >= kQueue) {
    ++state_->counters.dropped;
    return;
  }
  state_->queue.push_back(std::move(payload));
  state_->wake.cancel();
}

void WebhookNotifier::stop() {
  if (state_->stopped) return;
  state_->stopped = true;
  state_->wake.cancel();
  state_->pause.cancel();
  state_->poster->close();
}

}  // namespace switchyard::alerting
