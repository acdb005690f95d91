#pragma once
// What the webhook gets for a firing or a resolution: Slack's {"text": ...}
// (names the alert, its value and threshold, and says FIRING or RESOLVED),
// or the alert as a JSON object. Sans-io.
#include <string>

#include "alerting/alert_evaluator.hpp"

namespace switchyard::alerting {

std::string slack_payload(const Alert& a);
std::string json_payload(const Alert& a);
std::string alert_json(const Alert& a);  // one alert, as /admin/alerts lists it
// The value with its unit: "35.0%", "812 ms", "$4.20/h", "2".
std::string value_text(std::string_view kind, double v);

}  // namespace switchyard::alerting
