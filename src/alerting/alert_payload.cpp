#include "alerting/alert_payload.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <cstdio>

#include "text/utc_time.hpp"

namespace switchyard::alerting {

std::string value_text(std::string_view kind, double v) {
  char buf[64];
  if (kind == "error_rate" || kind == "budget" || kind == "quota") std::snprintf(buf, sizeof buf, "%.1f%%", v * 100);
  else if (kind == "latency_p99" || kind == "ttft_p99") std::snprintf(buf, sizeof buf, "%.0f ms", v);
  else if (kind == "spend_rate") std::snprintf(buf, sizeof buf, "$%.2f/h", v);
  else std::snprintf(buf, sizeof buf, "%.0f", v);
  return buf;
}

std::string slack_payload(const Alert& a) {
  std::string text = a.firing ? "FIRING: " : "RESOLVED: ";
  text += a.name + " (" + a.kind + (a.selector.empty() ? "" : ", " + a.selector) + ") is " + value_text(a.kind, a.value) +
          ", threshold " + value_text(a.kind, a.threshold);
  if (a.kind != "circuit_open" && a.kind != "budget" && a.kind != "quota") text += " over " + std::to_string(a.window_s) + " s";
  return boost::json::serialize(boost::json::object{{"text", text}});
}

namespace {
boost::json::object alert_object(const Alert& a) {
  return boost::json::object{{"name", a.name},       {"kind", a.kind},           {"selector", a.selector},
                             {"status", a.firing ? "firing" : "resolved"},     {"value", a.value},
                             {"threshold", a.threshold}, {"window_s", a.window_s}, {"since", a.since_ms ? text::utc_time_text(a.since_ms / 1000) : ""},
                             {"since_ms", a.since_ms}};
}
}  // namespace

std::string json_payload(const Alert& a) {
  return boost::json::serialize(boost::json::object{{"status", a.firing ? "firing" : "resolved"}, {"alert", alert_object(a)}});
}

std::string alert_json(const Alert& a) { return boost::json::serialize(alert_object(a)); }

}  // namespace switchyard::alerting
