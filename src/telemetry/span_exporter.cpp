#include "telemetry/span_exporter.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <pthread.h>

#include <random>

#include "resilience/retry_policy.hpp"
#include "telemetry/tracer.hpp"
#include "upstream/http_poster.hpp"

namespace switchyard::telemetry {

namespace asio = boost::asio;

namespace {
constexpr auto kTick = std::chrono::milliseconds(50);  // how often the queue is looked at
constexpr auto kBatchEvery = std::chrono::seconds(1);
constexpr auto kMaxBackoff = std::chrono::milliseconds(2'000);

bool retryable(unsigned status) { return status == 429 || status == 502 || status == 503 || status == 504; }

// "rejectedSpans" of a partial success (a string or a number), 0 when absent.
std::uint64_t rejected_spans(std::string_view body) {
  const auto at = body.find("\"rejectedSpans\"");
  if (at == std::string_view::npos) return 0;
  std::uint64_t n = 0;
  for (std::size_t i = at + 15; i < body.size() && i < at + 40; ++i) {
    if (body[i] >= '0' && body[i] <= '9') n = n * 10 + static_cast<std::uint64_t>(body[i] - '0');
    else if (n > 0) break;
  }
  return n;
}
}  // namespace

SpanExporter::SpanExporter(const TelemetryConfig& config, Resource resource, SpanQueue& queue, TelemetryCounters& counters)
    : config_(config), resource_(std::move(resource)), queue_(queue), counters_(counters) {
  poster_ = std::make_unique<upstream::HttpPoster>(io_.get_executor(), config_.otlp_endpoint + "/v1/traces", config_.headers,
                                                   config_.export_timeout, "otlp exporter");
  asio::co_spawn(io_, run(), asio::bind_cancellation_slot(cancel_.slot(), [this](std::exception_ptr) { done_.set_value(); }));
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "sy-otlp-export");  // top -H, perf: the exporter's CPU apart
    io_.run();
  });
}

SpanExporter::~SpanExporter() { stop(Millis(0)); }

void SpanExporter::stop(Millis grace) {
  if (!thread_.joinable()) return;
  flush_until_.store((Clock::now() + grace).time_since_epoch().count());
  stopping_.store(true);
  auto done = done_.get_future();
  if (done.wait_for(grace + std::chrono::milliseconds(200)) != std::future_status::ready) {
    // A POST still hanging: cancelled, and the loop ends (its frame is gone before the poster).
    asio::post(io_, [this] { cancel_.emit(asio::cancellation_type::all); });
    done.wait_for(std::chrono::seconds(2));
  }
  io_.stop();
  thread_.join();
  std::uint64_t left = 0;
  while (queue_.pop()) ++left;
  counters_.dropped_export.fetch_add(left, std::memory_order_relaxed);
}

SpanExporter::Clock::time_point SpanExporter::give_up_at(Clock::time_point retry_until) const noexcept {
  if (!stopping_.load()) return retry_until;
  return std::min(retry_until, Clock::time_point(Clock::duration(flush_until_.load())));
}

asio::awaitable<void> SpanExporter::run() {
  asio::steady_timer tick(io_);
  auto last = Clock::now();
  std::vector<Span> batch;
  for (;;) {
    const bool stopping = stopping_.load();
    if (!stopping && queue_.size() < config_.batch_spans && Clock::now() - last < kBatchEvery) {
      tick.expires_after(kTick);
      co_await tick.async_wait(asio::as_tuple(asio::use_awaitable));
      continue;
    }
    last = Clock::now();
    batch.clear();
    while (batch.size() < config_.batch_spans) {
      auto s = queue_.pop();
      if (!s) break;
      counters_.content_bytes.fetch_sub(s->content_bytes);  // out of the queue: its text counts against the batch now
      batch.push_back(std::move(*s));
    }
    if (batch.empty()) {
      if (stopping) co_return;
      continue;
    }
    if (stopping && Clock::now() >= give_up_at(Clock::time_point::max())) {
      counters_.dropped_export.fetch_add(batch.size(), std::memory_order_relaxed);
      continue;
    }
    co_await send(batch);
  }
}

asio::awaitable<void> SpanExporter::send(std::vector<Span>& batch) {
  const std::string body = to_otlp_json(batch, resource_);
  const auto retry_until = Clock::now() + config_.retry_for;
  std::mt19937_64 rng{std::random_device{}()};
  Millis backoff(100);
  asio::steady_timer wait(io_);
  for (;;) {
    auto answer = co_await poster_->post(body);
    if (answer && answer->status / 100 == 2) {
      const auto rejected = std::min<std::uint64_t>(rejected_spans(answer->body), batch.size());
      counters_.exported.fetch_add(batch.size() - rejected, std::memory_order_relaxed);
      counters_.dropped_export.fetch_add(rejected, std::memory_order_relaxed);
      counters_.batches.fetch_add(1, std::memory_order_relaxed);
      co_return;
    }
    counters_.export_failures.fetch_add(1, std::memory_order_relaxed);
    if (answer && !retryable(answer->status)) break;  // 400 and the like: the batch itself is refused
    Millis delay = std::chrono::duration_cast<Millis>(backoff * std::uniform_real_distribution<double>(0.5, 1.0)(rng));
    if (answer && !answer->retry_after.empty()) {
      if (auto ra = resilience::parse_retry_after(answer->retry_after)) delay = std::min<Millis>(*ra, Millis(30'000));
    }
    backoff = std::min<Millis>(backoff * 2, kMaxBackoff);
    if (Clock::now() + delay > give_up_at(retry_until)) break;
    wait.expires_after(delay);
    co_await wait.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  counters_.dropped_export.fetch_add(batch.size(), std::memory_order_relaxed);
}

}  // namespace switchyard::telemetry
