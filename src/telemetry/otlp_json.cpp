#include "telemetry/otlp_json.hpp"

#include <boost/json/serialize.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>

namespace switchyard::telemetry {

std::int64_t wall_now_ns() noexcept {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

namespace {
void quoted(std::string& out, std::string_view s) { out += boost::json::serialize(boost::json::string_view(s.data(), s.size())); }

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
    out += "{\"intValue\":\"" + std::to_string(*i) + "\"";
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
  out += "{\"traceId\":\"" + to_hex(s.trace) + "\",\"spanId\":\"" + to_hex(s.id) + "\"";
  if (s.parent) out += ",\"parentSpanId\":\"" + to_hex(s.parent) + "\"";
  if (!s.trace_state.empty()) {
    out += ",\"traceState\":";
    quoted(out, s.trace_state);
  }
  // Bits 0-7: the W3C flags; 0x100: the parent's remoteness is known, 0x200: it is remote.
  const unsigned flags = s.flags | 0x100u | (s.remote_parent ? 0x200u : 0u);
  out += ",\"flags\":" + std::to_string(flags) + ",\"name\":";
  quoted(out, s.name);
  out += ",\"kind\":" + std::to_string(static_cast<int>(s.kind));
  out += ",\"startTimeUnixNano\":\"" + std::to_string(s.start_ns) + "\",\"endTimeUnixNano\":\"" + std::to_string(s.end_ns) + "\",";
  attributes(out, s.attributes);
  out += ",\"events\":[";
  for (std::size_t k = 0; k < s.events.size(); ++k) {
    if (k) out += ',';
    out += "{\"timeUnixNano\":\"" + std::to_string(s.events[k].time_ns) + "\",\"name\":";
    quoted(out, s.events[k].name);
    out += ',';
    attributes(out, s.events[k].attributes);
    out += '}';
  }
  out += "],\"status\":{";
  if (s.status != SpanStatus::unset) {
    out += "\"code\":" + std::to_string(static_cast<int>(s.status));
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
