#pragma once
// W3C Trace Context: the `traceparent` a client sends (parsed strictly:
// lower-case hex, the right lengths, no all-zero ids; a header that fails is
// ignored and a new trace starts), the one the gateway sends a provider, and
// the random ids of new traces and spans.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace switchyard::telemetry {

struct TraceId {
  std::uint64_t hi = 0, lo = 0;
  bool valid() const noexcept { return hi != 0 || lo != 0; }
  bool operator==(const TraceId&) const = default;
};
using SpanId = std::uint64_t;  // 0: none

struct TraceParent {
  TraceId trace;
  SpanId parent = 0;
  std::uint8_t flags = 0;  // bit 0: sampled
  bool sampled() const noexcept { return (flags & 1) != 0; }
};

// The header's value, or nullopt when it is not a valid traceparent.
std::optional<TraceParent> parse_traceparent(std::string_view header) noexcept;
// "00-{trace}-{span}-{flags}".
std::string format_traceparent(const TraceId& trace, SpanId span, std::uint8_t flags);

// Lower-case hex: 32 characters for a trace id, 16 for a span id.
std::string to_hex(const TraceId& id);
std::string to_hex(SpanId id);

// Random, never zero (a per-thread generator seeded from the system's entropy).
TraceId new_trace_id() noexcept;
SpanId new_span_id() noexcept;
// Uniform in [0, 1): the head-sampling draw.
double sample_draw() noexcept;

}  // namespace switchyard::telemetry
