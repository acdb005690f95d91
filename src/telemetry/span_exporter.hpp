#pragma once
// The exporter's thread: takes spans from the queue in batches (batch_spans,
// or whatever one second gathered), serializes them as OTLP JSON and POSTs
// them to {otlp_endpoint}/v1/traces with the configured headers. A 429, 502,
// 503, 504 or an unreachable collector is retried with exponential backoff
// and jitter (Retry-After honoured) for retry_ms, then the batch is dropped
// and counted; any other refusal drops it at once (counted). Meanwhile new
// spans wait in the bounded queue. stop() flushes within its grace period.
#include <switchyard/config.hpp>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/io_context.hpp>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>
#include <vector>

#include "telemetry/otlp_json.hpp"
#include "telemetry/span_queue.hpp"

namespace switchyard::upstream {
class HttpPoster;
}

namespace switchyard::telemetry {

struct TelemetryCounters;

class SpanExporter {
 public:
  SpanExporter(const TelemetryConfig& config, Resource resource, SpanQueue& queue, TelemetryCounters& counters);
  ~SpanExporter();
  void stop(Millis grace);

 private:
  using Clock = std::chrono::steady_clock;
  boost::asio::awaitable<void> run();
  boost::asio::awaitable<void> send(std::vector<Span>& batch);
  Clock::time_point give_up_at(Clock::time_point retry_until) const noexcept;

  const TelemetryConfig& config_;
  Resource resource_;
  SpanQueue& queue_;
  TelemetryCounters& counters_;
  boost::asio::io_context io_;
  std::unique_ptr<upstream::HttpPoster> poster_;
  std::atomic<bool> stopping_{false};
  std::atomic<Clock::rep> flush_until_{0};  // set before stopping_
  boost::asio::cancellation_signal cancel_;  // emitted on the exporter's thread when the grace period is over
  std::promise<void> done_;
  std::thread thread_;
};

}  // namespace switchyard::telemetry
