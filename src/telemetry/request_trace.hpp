#pragma once
// One sampled request's spans: the SERVER span (the client's request, from
// its head to the end of its answer) and one CLIENT span per attempt on a
// provider (retries, failover, hedges, a stream's resumed legs), each ended
// as its attempt ends and handed to the tracer's queue. A stream's answering
// attempt stays open until the stream ends (its usage is known then). Built
// and ended on the request's reactor only; values are copied from what the
// pipeline already has.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "telemetry/span.hpp"

namespace switchyard::telemetry {

class Tracer;

class RequestTrace {
 public:
  RequestTrace(Tracer& tracer, Span server);
  ~RequestTrace();  // not finished: finished now (a span is never lost)
  RequestTrace(const RequestTrace&) = delete;
  RequestTrace& operator=(const RequestTrace&) = delete;

  Span& server() noexcept { return server_; }
  bool capture_content() const noexcept;

  // A new CLIENT span, child of the server span; its index stays valid (attempts run side by side when hedged).
  std::size_t begin_attempt(std::string name, std::int64_t start_ns);
  Span& attempt(std::size_t i) noexcept { return attempts_[i].span; }
  // Ends attempt i (submitted to the exporter), unless it is the held one.
  void end_attempt(std::size_t i, std::int64_t end_ns);
  // The attempt that answers a stream: ended with the exchange, not at its first chunk.
  // Holding another (a resumed stream's next leg) ends the one held before.
  void hold(std::size_t i);
  std::optional<std::size_t> held() const noexcept { return held_; }
  // The traceparent sent to the provider for attempt i (its span as the parent).
  std::string traceparent(std::size_t i) const;

  // An event on the server span, now.
  void event(std::string_view name, std::vector<Attribute> attributes = {});
  // The finish reasons a stream's chunks carried (recorded on the held attempt at the end).
  std::vector<std::string>& finish_reasons() noexcept { return finish_reasons_; }

  // Ends the held attempt and the server span; both go to the exporter. Once.
  void finish(std::int64_t end_ns);
  bool finished() const noexcept { return finished_; }

 private:
  struct Attempt {
    Span span;
    bool ended = false;
  };
  Tracer& tracer_;
  Span server_;
  std::vector<Attempt> attempts_;  // by index (no reference to one is held across another's start)
  std::optional<std::size_t> held_;
  std::vector<std::string> finish_reasons_;
  bool finished_ = false;
};

}  // namespace switchyard::telemetry
