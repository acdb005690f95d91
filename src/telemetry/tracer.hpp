#pragma once
// [telemetry]: decides which requests are traced (a client's traceparent:
// its sampled flag; else sample_ratio), starts their RequestTrace, and takes
// their finished spans into a bounded queue the exporter drains on a thread
// of its own. Nothing here blocks or allocates beyond the sampled request's
// own spans; a full queue drops the span and counts it.
#include <switchyard/config.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "telemetry/otlp_json.hpp"
#include "telemetry/request_trace.hpp"
#include "telemetry/span_queue.hpp"

namespace switchyard::telemetry {

struct TelemetryCounters {
  std::atomic<std::uint64_t> traces{0};            // requests sampled
  std::atomic<std::uint64_t> exported{0};          // spans the collector took
  std::atomic<std::uint64_t> dropped_queue{0};     // the queue was full
  std::atomic<std::uint64_t> dropped_export{0};    // a batch given up (retried past retry_ms, refused, or not flushed at shutdown)
  std::atomic<std::uint64_t> export_failures{0};   // failed POSTs (each retry counts)
  std::atomic<std::uint64_t> batches{0};           // POSTs that succeeded
  std::atomic<std::uint64_t> content_bytes{0};     // captured text waiting in the queue
  std::atomic<std::uint64_t> content_stripped{0};  // spans whose captured text was left out (the byte budget was full)
};

class SpanExporter;

class Tracer {
 public:
  // `export_spans` false: spans stay in queue() (tests of what is traced). `content_budget`: the
  // captured prompt and answer text (capture_content) the queue may hold; beyond, a span goes
  // without it (counted), so queue_spans spans of 128 KiB each never add up to gigabytes.
  static constexpr std::uint64_t kContentBudget = 64u << 20;
  Tracer(const TelemetryConfig& config, Resource resource, bool export_spans = true, std::uint64_t content_budget = kContentBudget);
  ~Tracer();
  Tracer(const Tracer&) = delete;
  Tracer& operator=(const Tracer&) = delete;

  bool enabled() const noexcept { return enabled_; }
  bool capture_content() const noexcept { return config_.capture_content; }

  // A trace for a request whose SERVER span is `name`, or null: telemetry off, or not sampled.
  std::unique_ptr<RequestTrace> start(std::string_view traceparent, std::string_view tracestate, std::string name, std::int64_t start_ns);
  void submit(Span&& span) noexcept;

  // Exports what is queued within `grace`, then stops the exporter (the rest is counted dropped).
  void shutdown(Millis grace);

  const TelemetryCounters& counters() const noexcept { return counters_; }
  SpanQueue& queue() noexcept { return queue_; }

 private:
  TelemetryConfig config_;
  bool enabled_;
  std::uint64_t content_budget_;
  SpanQueue queue_;
  TelemetryCounters counters_;
  std::unique_ptr<SpanExporter> exporter_;
};

}  // namespace switchyard::telemetry
