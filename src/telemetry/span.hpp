#pragma once
// A finished (or finishing) span as the exporter serializes it: ids, name,
// kind, wall-clock times in nanoseconds, attributes, events and status, in
// the shape of OTLP's Span. Attribute keys are string literals (the GenAI
// conventions' names); values are what the request already had at hand.
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "telemetry/trace_context.hpp"

namespace switchyard::telemetry {

enum class SpanKind : int { internal = 1, server = 2, client = 3 };
enum class SpanStatus : int { unset = 0, ok = 1, error = 2 };

using AttributeValue = std::variant<std::string, std::int64_t, double, bool, std::vector<std::string>>;
struct Attribute {
  std::string_view key;  // a literal
  AttributeValue value;
};

struct SpanEvent {
  std::int64_t time_ns = 0;
  std::string_view name;  // a literal
  std::vector<Attribute> attributes;
};

struct Span {
  TraceId trace;
  SpanId id = 0, parent = 0;
  std::uint8_t flags = 1;
  bool remote_parent = false;  // the parent came in a client's traceparent
  std::string trace_state;     // the client's tracestate, carried unchanged
  std::string name;
  SpanKind kind = SpanKind::internal;
  std::int64_t start_ns = 0, end_ns = 0;
  std::vector<Attribute> attributes;
  std::vector<SpanEvent> events;
  SpanStatus status = SpanStatus::unset;
  std::string status_message;
  std::uint32_t content_bytes = 0;  // captured prompt and answer text it carries (the queue's byte budget)

  void set(std::string_view key, AttributeValue value) {
    for (auto& a : attributes) {
      if (a.key == key) {
        a.value = std::move(value);
        return;
      }
    }
    attributes.push_back(Attribute{key, std::move(value)});
  }
  const AttributeValue* get(std::string_view key) const noexcept {
    for (const auto& a : attributes) {
      if (a.key == key) return &a.value;
    }
    return nullptr;
  }
};

// Wall-clock now, nanoseconds since the epoch.
std::int64_t wall_now_ns() noexcept;

}  // namespace switchyard::telemetry
