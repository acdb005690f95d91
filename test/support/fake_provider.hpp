#pragma once
// A ProviderClient whose answers a test scripts: each call takes the next
// scripted step (a delay, then an answer or an error; for a stream, chunks
// with a gap between them, maybe breaking after N), so router decisions
// (retries, failover, hedging, TTFT timeouts, resume, breakers) are tested
// without sockets. Delays are timers on the test's io_context, controlled by
// the script; every wait is bounded by it.
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>

#include <deque>
#include <optional>
#include <vector>

#include <boost/json/serialize.hpp>
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
    // Streams: the chunks, each after `gap` (the first after `delay`).
    std::vector<std::string> chunks = {R"({"choices":[{"index":0,"delta":{"role":"assistant","content":""}}]})",
                                       R"({"choices":[{"index":0,"delta":{"content":"ok"}}]})"};
    std::chrono::milliseconds gap{0};
    std::optional<std::size_t> break_after;  // the stream fails with `break_error` after this many chunks
    Error break_error = make_error(errc::upstream_reset, "connection lost while reading the response body");
  };

  // A content chunk (OpenAI delta) for a scripted stream.
  static std::string content(std::string_view text) {
    return R"({"choices":[{"index":0,"delta":{"content":")" + std::string(text) + R"("}}]})";
  }

  explicit FakeProvider(std::string name) : name_(std::move(name)) {}

  void script(Step s) { steps_.push_back(std::move(s)); }
  int calls() const noexcept { return calls_; }
  // The request bodies it was called with, in order.
  std::vector<std::string> bodies;
  int cancelled() const noexcept { return cancelled_; }
  // When each call started and ended, relative to the test's start.
  std::vector<std::chrono::steady_clock::time_point> started, finished;

  const std::string& name() const noexcept override { return name_; }

  boost::asio::awaitable<result<ChatResponse>> chat_completion(providers::ChatCall call) override {
    ++calls_;
    bodies.push_back(boost::json::serialize(call.body));
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

  boost::asio::awaitable<result<std::unique_ptr<ChunkSource>>> chat_completion_stream(providers::ChatCall call) override {
    ++calls_;
    bodies.push_back(boost::json::serialize(call.body));
    started.push_back(std::chrono::steady_clock::now());
    Step step = steps_.empty() ? Step{} : steps_.front();
    if (!steps_.empty()) steps_.pop_front();
    if (step.error) {  // fails after its delay, before any chunk
      boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, step.delay);
      auto [ec] = co_await timer.async_wait(use_nothrow);
      if (ec) co_return make_error(errc::cancelled, "cancelled", name_);
      Error e = *step.error;
      e.provider = name_;
      co_return e;
    }
    co_return std::make_unique<Source>(*this, std::move(step));
  }
  boost::asio::awaitable<result<void>> probe() override { co_return result<void>(); }
  upstream::PoolStats pool_stats() const override { return {}; }
  void shutdown() noexcept override {}

 private:
  // Hands out the scripted chunks on timers; counts a cancelled wait.
  class Source final : public ChunkSource {
   public:
    Source(FakeProvider& owner, Step step) : owner_(owner), step_(std::move(step)) {}
    boost::asio::awaitable<result<std::optional<std::string_view>>> next() override {
      if (step_.break_after && next_ == *step_.break_after) {
        Error e = step_.break_error;
        e.provider = owner_.name_;
        co_return e;
      }
      if (next_ >= step_.chunks.size()) co_return std::optional<std::string_view>{};
      boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, next_ == 0 ? step_.delay : step_.gap);
      auto [ec] = co_await timer.async_wait(use_nothrow);
      if (ec) {
        ++owner_.cancelled_;
        co_return make_error(errc::cancelled, "cancelled", owner_.name_);
      }
      const std::string& chunk = step_.chunks[next_++];
      return_usage_.completion_tokens = static_cast<std::int64_t>(next_);  // about one token a chunk
      co_return std::optional<std::string_view>(chunk);
    }
    Usage usage() const noexcept override { return return_usage_; }

   private:
    FakeProvider& owner_;
    Step step_;
    std::size_t next_ = 0;
    Usage return_usage_;
  };

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
