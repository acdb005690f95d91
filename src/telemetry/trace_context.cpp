#include "telemetry/trace_context.hpp"

#include <random>

namespace switchyard::telemetry {

namespace {
// Lower-case hex only: W3C makes upper case invalid.
bool hex_value(std::string_view s, std::uint64_t& out) noexcept {
  out = 0;
  for (const char c : s) {
    int d;
    if (c >= '0' && c <= '9') d = c - '0';
    else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
    else return false;
    out = (out << 4) | static_cast<std::uint64_t>(d);
  }
  return true;
}

void put_hex(std::string& out, std::uint64_t v, int digits) {
  static constexpr char kDigits[] = "0123456789abcdef";
  for (int i = digits - 1; i >= 0; --i) out += kDigits[(v >> (i * 4)) & 0xf];
}

std::mt19937_64& generator() noexcept {
  thread_local std::mt19937_64 g{std::random_device{}()};
  return g;
}
}  // namespace

std::optional<TraceParent> parse_traceparent(std::string_view h) noexcept {
  // version(2) - trace(32) - parent(16) - flags(2) = 55 characters
  if (h.size() < 55 || h[2] != '-' || h[35] != '-' || h[52] != '-') return std::nullopt;
  std::uint64_t version = 0, flags = 0;
  TraceParent tp;
  if (!hex_value(h.substr(0, 2), version) || version == 0xff) return std::nullopt;
  if (version == 0 && h.size() != 55) return std::nullopt;
  if (version > 0 && h.size() > 55 && h[55] != '-') return std::nullopt;  // a later version: its first 55 characters
  if (!hex_value(h.substr(3, 16), tp.trace.hi) || !hex_value(h.substr(19, 16), tp.trace.lo) || !hex_value(h.substr(36, 16), tp.parent) ||
      !hex_value(h.substr(53, 2), flags)) {
    return std::nullopt;
  }
  if (!tp.trace.valid() || tp.parent == 0) return std::nullopt;
  tp.flags = static_cast<std::uint8_t>(flags);
  return tp;
}

std::string format_traceparent(const TraceId& trace, SpanId span, std::uint8_t flags) {
  std::string out;
  out.reserve(55);
  out += "00-";
  put_hex(out, trace.hi, 16);
  put_hex(out, trace.lo, 16);
  out += '-';
  put_hex(out, span, 16);
  out += '-';
  put_hex(out, flags, 2);
  return out;
}

std::string to_hex(const TraceId& id) {
  std::string out;
  out.reserve(32);
  put_hex(out, id.hi, 16);
  put_hex(out, id.lo, 16);
  return out;
}

std::string to_hex(SpanId id) {
  std::string out;
  out.reserve(16);
  put_hex(out, id, 16);
  return out;
}

TraceId new_trace_id() noexcept {
  TraceId id;
  while (!id.valid()) id = TraceId{generator()(), generator()()};
  return id;
}

SpanId new_span_id() noexcept {
  SpanId id = 0;
  while (id == 0) id = generator()();
  return id;
}

double sample_draw() noexcept { return std::uniform_real_distribution<double>(0, 1)(generator()); }

}  // namespace switchyard::telemetry
