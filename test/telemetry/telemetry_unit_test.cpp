// The sans-io parts of telemetry and alerting: W3C traceparent parsing, the
// OTLP JSON mapping, the span queue's bound, the alert evaluator's windows,
// thresholds and cooldown, the webhook's texts, and the config keys.
#include <boost/test/unit_test.hpp>

#include <boost/json.hpp>

#include "alerting/alert_evaluator.hpp"
#include "alerting/alert_payload.hpp"
#include "config/config_loader.hpp"
#include "telemetry/otlp_json.hpp"
#include "telemetry/span_queue.hpp"
#include "telemetry/trace_context.hpp"
#include "telemetry/tracer.hpp"

using namespace switchyard;
using namespace switchyard::telemetry;
namespace json = boost::json;

BOOST_AUTO_TEST_SUITE(traceparent)

BOOST_AUTO_TEST_CASE(a_valid_header_is_read_and_written_back_the_same) {
  const std::string h = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  auto tp = parse_traceparent(h);
  BOOST_REQUIRE(tp);
  BOOST_TEST(tp->sampled());
  BOOST_TEST(to_hex(tp->trace) == "4bf92f3577b34da6a3ce929d0e0e4736");
  BOOST_TEST(to_hex(tp->parent) == "00f067aa0ba902b7");
  BOOST_TEST(format_traceparent(tp->trace, tp->parent, tp->flags) == h);
  BOOST_TEST(!parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00")->sampled());
  BOOST_TEST(parse_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03")->sampled());  // bits masked, not compared
}

BOOST_AUTO_TEST_CASE(invalid_headers_are_refused) {
  for (const char* bad : {"", "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",  // upper case
                          "00-00000000000000000000000000000000-00f067aa0ba902b7-01",      // zero trace id
                          "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",      // zero parent
                          "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",      // version ff
                          "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",       // short
                          "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",  // version 00 with more
                          "00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01"}) {
    BOOST_TEST(!parse_traceparent(bad), bad);
  }
  // A later version: its first 55 characters, when a dash follows.
  BOOST_TEST(parse_traceparent("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-comes-next").has_value());
}

BOOST_AUTO_TEST_CASE(new_ids_are_random_and_never_zero) {
  BOOST_TEST(new_trace_id().valid());
  BOOST_TEST(new_span_id() != 0u);
  BOOST_TEST(!(new_trace_id() == new_trace_id()));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(otlp)

BOOST_AUTO_TEST_CASE(spans_follow_the_otlp_json_mapping) {
  Span s;
  s.trace = TraceId{0x5b8efff798038103, 0xd269b633813fc60c};
  s.id = 0xeee19b7ec3c1b174;
  s.parent = 0xeee19b7ec3c1b173;
  s.name = "chat claude \"3\"";
  s.kind = SpanKind::client;
  s.start_ns = 1700000000000000000;
  s.end_ns = 1700000000812000000;
  s.set("gen_ai.request.max_tokens", std::int64_t(512));
  s.set("gen_ai.request.temperature", 0.2);
  s.set("gen_ai.request.stream", true);
  s.set("gen_ai.response.finish_reasons", std::vector<std::string>{"end_turn"});
  s.events.push_back(SpanEvent{1700000000500000000, "first_token", {}});
  s.status = SpanStatus::error;
  s.status_message = "overloaded";
  const auto doc = json::parse(to_otlp_json(std::span<const Span>(&s, 1), Resource{"gw", "1.2.3", "replica-1"})).as_object();
  const auto& rs = doc.at("resourceSpans").at(0);
  BOOST_TEST(rs.at("resource").at("attributes").at(0).at("value").at("stringValue").as_string() == "gw");
  const auto& sp = rs.at("scopeSpans").at(0).at("spans").at(0).as_object();
  BOOST_TEST(sp.at("traceId").as_string() == "5b8efff798038103d269b633813fc60c");
  BOOST_TEST(sp.at("spanId").as_string() == "eee19b7ec3c1b174");
  BOOST_TEST(sp.at("parentSpanId").as_string() == "eee19b7ec3c1b173");
  BOOST_TEST(sp.at("name").as_string() == "chat claude \"3\"");
  BOOST_TEST(sp.at("kind").as_int64() == 3);                              // enums as integers
  BOOST_TEST(sp.at("startTimeUnixNano").as_string() == "1700000000000000000");  // 64-bit as strings
  BOOST_TEST(sp.at("flags").as_int64() == 257);                          // sampled, parent not remote
  const auto& attrs = sp.at("attributes").as_array();
  BOOST_TEST(attrs.at(0).at("value").at("intValue").as_string() == "512");
  BOOST_TEST(attrs.at(1).at("value").at("doubleValue").as_double() == 0.2);
  BOOST_TEST(attrs.at(2).at("value").at("boolValue").as_bool());
  BOOST_TEST(attrs.at(3).at("value").at("arrayValue").at("values").at(0).at("stringValue").as_string() == "end_turn");
  BOOST_TEST(sp.at("events").at(0).at("name").as_string() == "first_token");
  BOOST_TEST(sp.at("status").at("code").as_int64() == 2);
}

BOOST_AUTO_TEST_CASE(the_queue_holds_what_it_was_given_and_refuses_more) {
  SpanQueue q(5);
  for (int i = 0; i < 5; ++i) {
    Span s;
    s.name = std::to_string(i);
    BOOST_TEST(q.push(std::move(s)));
  }
  BOOST_TEST(!q.push(Span{}));  // full: the caller counts it dropped
  BOOST_TEST(q.size() == 5u);
  for (int i = 0; i < 5; ++i) BOOST_TEST(q.pop()->name == std::to_string(i));
  BOOST_TEST(!q.pop());
  BOOST_TEST(q.push(Span{}));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(alert_rules)

namespace {
alerting::Reading level(double v) {
  alerting::Reading r;
  r.value = v;
  return r;
}
alerting::Reading ratio(double failed, double total) {
  alerting::Reading r;
  r.type = alerting::Reading::Type::ratio;
  r.numerator = failed;
  r.denominator = total;
  return r;
}
AlertRule rule(AlertKind k, double threshold, int window_s = 10) {
  AlertRule r;
  r.name = "r";
  r.kind = k;
  r.threshold = threshold;
  r.window_s = window_s;
  return r;
}
}  // namespace

BOOST_AUTO_TEST_CASE(a_ratio_is_taken_over_the_window_and_fires_and_resolves) {
  alerting::AlertEvaluator ev({rule(AlertKind::error_rate, 0.2, 10)}, 300);
  double failed = 0, total = 0;
  auto read = [&](const AlertRule&) { return ratio(failed, total); };
  BOOST_TEST(ev.evaluate(0, read).empty());
  total = 10, failed = 5;  // 50% in the window
  auto t = ev.evaluate(1'000, read);
  BOOST_REQUIRE_EQUAL(t.size(), 1u);
  BOOST_TEST(t[0].alert.firing);
  BOOST_TEST(t[0].notify);
  BOOST_TEST(t[0].alert.value == 0.5);
  // 11 s later, 100 more requests without a failure: the old ones left the window.
  total = 110;
  t = ev.evaluate(12'000, read);
  BOOST_REQUIRE_EQUAL(t.size(), 1u);
  BOOST_TEST(!t[0].alert.firing);
  BOOST_TEST(ev.alerts().at(0).since_ms == 12'000);
}

BOOST_AUTO_TEST_CASE(a_repeat_firing_inside_the_cooldown_is_not_announced) {
  alerting::AlertEvaluator ev({rule(AlertKind::circuit_open, 1)}, 300);
  double open = 1;
  auto read = [&](const AlertRule&) { return level(open); };
  BOOST_TEST(ev.evaluate(0, read).at(0).notify);
  open = 0;
  BOOST_TEST(ev.evaluate(1'000, read).at(0).notify);  // resolutions always are
  open = 2;
  BOOST_TEST(!ev.evaluate(2'000, read).at(0).notify);  // 2 s after the last: within 300 s
  open = 0;
  ev.evaluate(3'000, read);
  open = 1;
  BOOST_TEST(ev.evaluate(301'000, read).at(0).notify);
}

BOOST_AUTO_TEST_CASE(quantiles_and_rates_over_the_window) {
  alerting::Reading a, b;
  a.type = b.type = alerting::Reading::Type::quantile;
  a.bounds = b.bounds = {0.1, 0.5, 1.0};
  a.buckets = {100, 0, 0, 0};
  b.buckets = {100, 0, 10, 0};  // the window's 10 new samples: all between 0.5 and 1 s
  BOOST_TEST(alerting::value_of(AlertKind::latency_p99, a, b, 10) > 500);
  BOOST_TEST(alerting::value_of(AlertKind::latency_p99, a, b, 10) <= 1000);
  BOOST_TEST(alerting::value_of(AlertKind::latency_p99, b, b, 10) == 0);  // nothing new: no latency
  alerting::Reading s0, s1;
  s0.type = s1.type = alerting::Reading::Type::rate;
  s0.value = 1.0, s1.value = 1.5;  // $0.50 in 60 s
  BOOST_TEST(alerting::value_of(AlertKind::spend_rate, s0, s1, 60) == 30.0);  // $/hour
  BOOST_TEST(alerting::value_of(AlertKind::no_target, level(3), level(7), 5) == 4);  // requests in the window
}

BOOST_AUTO_TEST_CASE(the_slack_text_names_the_alert_its_value_and_threshold) {
  alerting::Alert a{"provider-errors", "error_rate", "provider=openai", 0.2, 0.35, 60, true, 1'700'000'000'000, 0};
  const auto text = json::parse(alerting::slack_payload(a)).at("text").as_string();
  BOOST_TEST(text == "FIRING: provider-errors (error_rate, provider=openai) is 35.0%, threshold 20.0% over 60 s");
  a.firing = false;
  a.value = 0.01;
  BOOST_TEST(json::parse(alerting::slack_payload(a)).at("text").as_string().starts_with("RESOLVED: provider-errors"));
  const auto o = json::parse(alerting::json_payload(a)).as_object();
  BOOST_TEST(o.at("status").as_string() == "resolved");
  BOOST_TEST(o.at("alert").at("since").as_string() == "2023-11-14T22:13:20Z");
}

BOOST_AUTO_TEST_CASE(the_config_keys_are_read_as_documented) {
  config::EnvLookup env = [](std::string_view name) -> std::optional<std::string> {
    if (name == "HONEYCOMB_KEY") return "hc-123";
    if (name == "SWITCHYARD_ALERT_WEBHOOK") return "https://hooks.example.com/T0/B0/x";
    return std::nullopt;
  };
  auto c = config::load_config_string(R"(
[telemetry]
otlp_endpoint = "http://127.0.0.1:4318/"
service_name = "gw"
sample_ratio = 0.25
headers = { "x-honeycomb-team" = "${HONEYCOMB_KEY}" }
capture_content = true
queue_spans = 100

[alerting]
webhook_url = "${SWITCHYARD_ALERT_WEBHOOK}"
format = "json"
cooldown_s = 60

[[alerts]]
name = "provider-errors"
kind = "error_rate"
threshold = 0.2
window_s = 60
selector = { provider = "openai" }
)", "t.toml", env);
  BOOST_REQUIRE_MESSAGE(c.has_value(), (c ? std::string() : c.error()));
  BOOST_TEST(c->telemetry.otlp_endpoint == "http://127.0.0.1:4318");
  BOOST_TEST(c->telemetry.service_name == "gw");
  BOOST_TEST(c->telemetry.sample_ratio == 0.25);
  BOOST_TEST(c->telemetry.headers.at(0).second == "hc-123");
  BOOST_TEST(c->telemetry.capture_content);
  BOOST_TEST(c->telemetry.queue_spans == 100u);
  BOOST_TEST(c->alerting.webhook_url == "https://hooks.example.com/T0/B0/x");
  BOOST_TEST(!c->alerting.slack);
  BOOST_TEST(c->alerting.cooldown_s == 60);
  BOOST_REQUIRE_EQUAL(c->alerts.size(), 1u);
  BOOST_TEST(c->alerts[0].provider == "openai");
  BOOST_TEST(c->alerts[0].threshold == 0.2);
  for (const char* bad : {"[telemetry]\nsample_ratio = 2.0\n", "[telemetry]\notlp_endpoint = \"grpc://x:4317\"\n",
                          "[[alerts]]\nname = \"a\"\nkind = \"p50\"\nthreshold = 1\n", "[[alerts]]\nname = \"a\"\nkind = \"budget\"\n",
                          "[[alerts]]\nname = \"a\"\nkind = \"budget\"\nthreshold = 1\nselector = { model = \"x\" }\n",
                          "[alerting]\nformat = \"teams\"\n"}) {
    BOOST_TEST(!config::load_config_string(bad, "t.toml", env).has_value(), bad);
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(tracer_queue)

// capture_content: the queue holds at most the budget of captured text; a span beyond it goes
// without its text (marked, counted), and taking spans out frees the budget.
BOOST_AUTO_TEST_CASE(captured_text_in_the_queue_is_bounded_by_bytes_not_only_by_spans) {
  TelemetryConfig c;
  c.otlp_endpoint = "http://127.0.0.1:1";
  c.capture_content = true;
  c.queue_spans = 100;
  Tracer tracer(c, Resource{"t", "0", ""}, false, 1000);
  auto span_with = [](std::size_t n) {
    Span s;
    s.events.push_back(SpanEvent{0, "gen_ai.content.prompt", {{"gen_ai.input.messages", std::string(n, 'x')}}});
    return s;
  };
  tracer.submit(span_with(600));
  tracer.submit(span_with(600));  // 1,200 > 1,000: stripped
  BOOST_TEST(tracer.counters().content_stripped.load() == 1u);
  BOOST_TEST(tracer.counters().content_bytes.load() == 600u);
  auto first = tracer.queue().pop();
  auto second = tracer.queue().pop();
  BOOST_REQUIRE(first && second);
  BOOST_TEST(first->events.size() == 1u);
  BOOST_TEST(second->events.empty());
  BOOST_TEST(std::get<bool>(*second->get("switchyard.content_dropped")));
}

BOOST_AUTO_TEST_SUITE_END()
