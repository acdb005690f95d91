#pragma once
// switchyard-bench's engine: keep-alive HTTP/1.1 connections driving chat
// completion requests, either closed-loop (each connection sends its next
// request when the previous answer is complete: maximum throughput) or
// open-loop at a constant arrival rate, where latency is measured from each
// request's intended send time so a stalled server cannot hide its queueing
// (no coordinated omission). Streams record time to first chunk and the gaps
// between chunks.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <string>

#include "observability/latency_histogram.hpp"

namespace switchyard::bench {

struct LoadOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;
  std::string path = "/v1/chat/completions";
  std::string key;                 // sent as Authorization: Bearer
  std::string model = "fast";
  std::string extra_json;          // extra body fields, e.g. "\"mock\":{\"tokens\":64}"
  bool stream = false;
  bool unique = false;             // every request different ("user":"bench-N"): no two are the same to a cache
  std::size_t connections = 1;
  double rate = 0;                 // requests per second over all connections; 0 = closed loop
  std::chrono::milliseconds warmup{1000};
  std::chrono::milliseconds duration{5000};     // measured part, after the warm-up
  std::size_t requests_per_connection = 0;      // 0 = until the time is up
  std::chrono::milliseconds request_timeout{60'000};
  std::chrono::milliseconds stall_gap{0};       // a gap between chunks longer than this is a stall (0 = off)
  std::chrono::milliseconds connect_spread{0};  // spread connection starts over this long
};

struct LoadReport {
  std::uint64_t ok = 0;            // 2xx answers read completely (measured part)
  std::uint64_t failed = 0;        // errors, non-2xx, cut streams (whole run)
  std::uint64_t stalls = 0;        // chunk gaps over stall_gap
  std::uint64_t incomplete_streams = 0;  // streams without [DONE]
  std::uint64_t overhead_samples = 0;
  double seconds = 0;              // measured wall time
  observability::LatencyHistogram latency;   // request intended-send → answer complete
  observability::LatencyHistogram ttfb;      // streams: intended-send → first chunk
  observability::LatencyHistogram gap;       // streams: between chunks
  observability::LatencyHistogram overhead;  // x-switchyard-overhead-us reported by the gateway
  double throughput() const { return seconds > 0 ? static_cast<double>(ok) / seconds : 0; }
};

boost::asio::awaitable<LoadReport> run_load(LoadOptions options);

}  // namespace switchyard::bench
