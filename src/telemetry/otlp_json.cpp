#include "telemetry/otlp_json.hpp"

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>

namespace switchyard::telemetry {

std::int64_t wall_now_ns() noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

namespace {
// A JSON string, escaped in place (no allocation beyond `out`'s growth).
void quoted(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  std::size_t run = 0;  // bytes copied as they are, in one append
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else {
      out += "\\u00";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
  }
  out.append(s.data() + run, s.size() - run);
  out += '"';
}

void integer(std::string& out, std::int64_t v) {
  char buf[24];
  const auto end = std::to_chars(buf, buf + sizeof buf, v).ptr;
  out.append(buf, static_cast<std::size_t>(end - buf));
}

void hex(std::string& out, std::uint64_t v, int digits) {
  static constexpr char kDigits[] = "0123456789abcdef";
  for (int i = digits - 1; i >= 0; --i) out += kDigits[(v >> (i * 4)) & 0xf];
}

void number(std::string& out, double d) {
  if (!std::isfinite(d)) {
    out += std::isnan(d) ? "\"NaN\"" : (d > 0 ? "\"Infinity\"" : "\"-Infinity\"");
    return;
  }
  char buf[32];
  const int n = std::snprintf(buf, sizeof buf, "%.17g", d);
  out.append(buf, static_cast<std::size_t>(n));
}

void any_value(std::string& out, const AttributeValue& v) {
  if (const auto* s = std::get_if<std::string>(&v)) {
    out += "{\"stringValue\":";
    quoted(out, *s);
  } else if (const auto* i = std::get_if<std::int64_t>(&v)) {
    out += "{\"intValue\":\"";
    integer(out, *i);
    out += '"';
  } else if (const auto* d = std::get_if<double>(&v)) {
    out += "{\"doubleValue\":";
    number(out, *d);
  } else if (const auto* b = std::get_if<bool>(&v)) {
    out += *b ? "{\"boolValue\":true" : "{\"boolValue\":false";
  } else {
    out += "{\"arrayValue\":{\"values\":[";
    const auto& list = std::get<std::vector<std::string>>(v);
    for (std::size_t k = 0; k < list.size(); ++k) {
      out += k ? ",{\"stringValue\":" : "{\"stringValue\":";
      quoted(out, list[k]);
      out += '}';
    }
    out += "]}";
  }
  out += '}';
}

void attributes(std::string& out, const std::vector<Attribute>& attrs) {
  out += "\"attributes\":[";
  for (std::size_t k = 0; k < attrs.size(); ++k) {
    if (k) out += ',';
    out += "{\"key\":";
    quoted(out, attrs[k].key);
    out += ",\"value\":";
    any_value(out, attrs[k].value);
    out += '}';
  }
  out += ']';
}

void span(std::string& out, const Span& s) {
  out += "{\"traceId\":\"";
  hex(out, s.trace.hi, 16);
  hex(out, s.trace.lo, 16);
  out += "\",\"spanId\":\"";
  hex(out, s.id, 16);
  out += '"';
  if (s.parent) {
    out += ",\"parentSpanId\":\"";
    hex(out, s.parent, 16);
    out += '"';
  }
  if (!s.trace_state.empty()) {
    out += ",\"traceState\":";
    quoted(out, s.trace_state);
  }
  // Bits 0-7: the W3C flags; 0x100: the parent's remoteness is known, 0x200: it is remote.
  const unsigned flags = s.flags | 0x100u | (s.remote_parent ? 0x200u : 0u);
  out += ",\"flags\":";
  integer(out, flags);
  out += ",\"name\":";
  quoted(out, s.name);
  out += ",\"kind\":";
  integer(out, static_cast<int>(s.kind));
  out += ",\"startTimeUnixNano\":\"";
  integer(out, s.start_ns);
  out += "\",\"endTimeUnixNano\":\"";
  integer(out, s.end_ns);
  out += "\",";
  attributes(out, s.attributes);
  out += ",\"events\":[";
  for (std::size_t k = 0; k < s.events.size(); ++k) {
    if (k) out += ',';
    out += "{\"timeUnixNano\":\"";
    integer(out, s.events[k].time_ns);
    out += "\",\"name\":";
    quoted(out, s.events[k].name);
    out += ',';
    attributes(out, s.events[k].attributes);
    out += '}';
  }
  out += "],\"status\":{";
  if (s.status != SpanStatus::unset) {
    out += "\"code\":";
    integer(out, static_cast<int>(s.status));
    if (!s.status_message.empty()) {
      out += ",\"message\":";
      quoted(out, s.status_message);
    }
  }
  out += "}}";
}
}  // namespace

std::string to_otlp_json(std::span<const Span> spans, const Resource& resource) {
  std::string out;
  out.reserve(256 + spans.size() * 1200);
  out += "{\"resourceSpans\":[{\"resource\":{";
  std::vector<Attribute> res{{"service.name", resource.service_name}, {"service.version", resource.service_version}};
  if (!resource.instance_id.empty()) res.push_back({"service.instance.id", resource.instance_id});
  attributes(out, res);
  out += "},\"scopeSpans\":[{\"scope\":{\"name\":\"switchyard\",\"version\":";
  quoted(out, resource.service_version);
  out += "},\"spans\":[";
  for (std::size_t k = 0; k < spans.size(); ++k) {
    if (k) out += ',';
    span(out, spans[k]);
  }
  out += "]}]}]}";
  return out;
}

}  // namespace switchyard::telemetry
