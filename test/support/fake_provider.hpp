#pragma once
// A ProviderClient whose answers a test scripts: each call takes the next
// scripted step (a delay, then an answer or an error), so router decisions
// (retries, failover, hedging) are tested without sockets. Delays are timers
// on the test's io_context; every wait is bounded by the script.
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>

#include <deque>
#include <string>

#include "providers/provider_client.hpp"
#include "support/async.hpp"

namespace switchyard::test {

class FakeProvider final : public providers::ProviderClient {
 public:
  struct Step {
    std::chrono::milliseconds delay{0};
    std::optional<Error> error;  // nullopt: answer
    std::string body = R"({"id":"fake","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}]})";
  };

  explicit FakeProvider(std::string name) : name_(std::move(name)) {}

  void script(Step s) { steps_.push_back(std::move(s)); }
  int calls() const noexcept { return calls_; }
  int cancelled() const noexcept { return cancelled_; }
  // When each call started and ended, relative to the test's start.
  std::vector<std::chrono::steady_clock::time_point> started, finished;

  const std::string& name() const noexcept override { return name_; }

  boost::asio::awaitable<result<ChatResponse>> chat_completion(providers::ChatCall call) override {
    ++calls_;
    started.push_back(std::chrono::steady_clock::now());
    Step step = steps_.empty() ? Step{} : steps_.front();
    if (!steps_.empty()) steps_.pop_front();
    boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, step.delay);
    auto [ec] = co_await timer.async_wait(use_nothrow);
    finished.push_back(std::chrono::steady_clock::now());
    if (ec) {
      ++cancelled_;
      co_return make_error(errc::cancelled, "cancelled", name_);
    }
    if (step.error) {
      Error e = *step.error;
      e.provider = name_;
      co_return e;
    }
    co_return ChatResponse{step.body, name_, std::string(call.model), std::chrono::nanoseconds(0), Usage{}};
  }

  boost::asio::awaitable<result<std::unique_ptr<ChunkSource>>> chat_completion_stream(providers::ChatCall) override {
    co_return make_error(errc::internal, "FakeProvider streams are not scripted");
  }
  boost::asio::awaitable<result<void>> probe() override { co_return result<void>(); }
  upstream::PoolStats pool_stats() const override { return {}; }
  void shutdown() noexcept override {}

 private:
  std::string name_;
  std::deque<Step> steps_;
  int calls_ = 0;
  int cancelled_ = 0;
};

inline Error upstream_failure(int status) {
  Error e = make_error(errc::upstream_status, "returned HTTP " + std::to_string(status));
  e.upstream_status = status;
  return e;
}

}  // namespace switchyard::test
