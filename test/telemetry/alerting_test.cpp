// Alerts against the real gateway and the mock's faults: rules read the
// targets' counters, histograms and breakers, the governor's budgets, the
// declared quotas and the spend; a firing and its resolution reach the
// webhook (a test server, support/http_sink) in Slack's or the JSON form,
// with retries and a cooldown; /admin/alerts and /metrics show them.
#include <boost/test/unit_test.hpp>

#include <boost/asio/steady_timer.hpp>

#include "support/gateway_harness.hpp"
#include "support/http_sink.hpp"

using namespace switchyard;
using namespace switchyard::test;
using std::chrono::milliseconds;
namespace http = boost::beast::http;
namespace json = boost::json;

namespace {

constexpr const char* kAdmin = "admin-key-0123456789";

AlertRule rule(std::string name, AlertKind kind, double threshold, int window_s = 60) {
  AlertRule r;
  r.name = std::move(name);
  r.kind = kind;
  r.threshold = threshold;
  r.window_s = window_s;
  return r;
}

std::function<void(Config&)> alerting(const HttpSink& sink, std::vector<AlertRule> rules, bool slack = true, std::function<void(Config&)> more = {}) {
  return [url = sink.url(), rules, slack, more](Config& c) {
    c.alerting.webhook_url = url + "/hooks/T000/secret-path";
    c.alerting.slack = slack;
    c.alerting.evaluate_every = milliseconds(100);
    c.alerts = rules;
    c.resilience.attempts_per_target = 1;
    c.server.admin_key = kAdmin;
    if (more) more(c);
  };
}

// `mock`: the mock's behaviour for this request ("status":500, "ttft_ms":400), in the body the gateway passes on.
HttpResult chat(GatewayHarness& h, std::string mock = "", bool stream = false) {
  const std::string extra = mock.empty() ? "" : ",\"mock\":{" + mock + "}";
  return h.run(http_call(h.port(), http::verb::post, "/v1/chat/completions", chat_body("fast", stream, extra), auth_headers()));
}

// The webhook's texts (Slack form), in order.
std::vector<std::string> texts(const std::vector<SinkRequest>& got) {
  std::vector<std::string> out;
  for (const auto& r : got) {
    if (r.answered / 100 == 2) out.emplace_back(json::parse(r.body).at("text").as_string());
  }
  return out;
}

bool said(HttpSink& sink, std::string_view what, milliseconds limit = milliseconds(8'000)) {
  return sink.wait_for([&](const auto& got) {
    for (const auto& t : texts(got)) {
      if (t.find(what) != std::string::npos) return true;
    }
    return false;
  }, limit);
}

// Lets the main reactor run (the evaluation loop is there) for `d`.
void pause(GatewayHarness& h, milliseconds d) {
  h.run([&]() -> asio::awaitable<void> {
    asio::steady_timer t(h.ioc(), d);
    co_await t.async_wait(asio::use_awaitable);
  }());
}

// Runs the reactor until the webhook says `what` (the loop must run to evaluate).
bool said_while_running(GatewayHarness& h, HttpSink& sink, std::string_view what, milliseconds limit = milliseconds(8'000)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (said(sink, what, milliseconds(0))) return true;
    pause(h, milliseconds(100));
  }
  return said(sink, what, milliseconds(0));
}

json::object alert_named(GatewayHarness& h, std::string_view name) {
  auto r = h.run(http_call(h.port(), http::verb::get, "/admin/alerts", "", {{"authorization", std::string("Bearer ") + kAdmin}}));
  BOOST_REQUIRE_EQUAL(r.status, 200u);
  const auto doc = json::parse(r.body);
  for (const auto& a : doc.at("alerts").as_array()) {
    if (a.at("name").as_string() == name) return a.as_object();
  }
  BOOST_FAIL("no alert named " << name);
  return {};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(alerts)

BOOST_AUTO_TEST_CASE(an_error_rate_alert_fires_resolves_and_a_repeat_inside_the_cooldown_is_not_sent) {
  HttpSink sink;
  AlertRule r = rule("mock-errors", AlertKind::error_rate, 0.5, 60);
  r.provider = "mock";
  GatewayHarness h({}, alerting(sink, {r}, true, [](Config& c) { c.resilience.breaker_failures = 1000; }));
  // Only an admin key lists the alerts.
  BOOST_TEST(h.run(http_call(h.port(), http::verb::get, "/admin/alerts", "", auth_headers())).status == 401u);
  for (int i = 0; i < 3; ++i) BOOST_TEST(chat(h, R"("status":500)").status >= 500u);
  BOOST_REQUIRE(said_while_running(h, sink, "FIRING: mock-errors"));
  const auto firing = alert_named(h, "mock-errors");
  BOOST_TEST(firing.at("status").as_string() == "firing");
  BOOST_TEST(firing.at("value").as_double() == 1.0);
  BOOST_TEST(firing.at("threshold").as_double() == 0.5);
  BOOST_TEST(firing.at("selector").as_string() == "provider=mock");
  BOOST_TEST(metric(h.gateway().metrics_text(), "switchyard_alert_firing{alert=\"mock-errors\",kind=\"error_rate\"}") == 1);
  const auto text = texts(sink.requests()).front();
  BOOST_TEST(text.find("100.0%") != std::string::npos);   // its value
  BOOST_TEST(text.find("threshold 50.0%") != std::string::npos);
  BOOST_TEST(sink.requests().front().path == "/hooks/T000/secret-path");
  // Successes bring the window's rate under the threshold: resolved, and said so.
  for (int i = 0; i < 4; ++i) BOOST_TEST(chat(h).status == 200u);
  BOOST_REQUIRE(said_while_running(h, sink, "RESOLVED: mock-errors"));
  BOOST_TEST(alert_named(h, "mock-errors").at("status").as_string() == "resolved");
  // It fires again at once: inside the 300 s cooldown, not sent; its resolution is.
  for (int i = 0; i < 8; ++i) BOOST_TEST(chat(h, R"("status":503)").status >= 500u);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(8);
  while (alert_named(h, "mock-errors").at("status").as_string() != "firing" && std::chrono::steady_clock::now() < deadline) pause(h, milliseconds(100));
  BOOST_TEST(alert_named(h, "mock-errors").at("status").as_string() == "firing");
  for (int i = 0; i < 12; ++i) BOOST_TEST(chat(h).status == 200u);
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(8);
  while (texts(sink.requests()).size() < 3 && std::chrono::steady_clock::now() < until) pause(h, milliseconds(100));
  const auto all = texts(sink.requests());
  int firings = 0, resolutions = 0;
  for (const auto& t : all) (t.starts_with("FIRING") ? firings : resolutions) += 1;
  BOOST_TEST(firings == 1);
  BOOST_TEST(resolutions == 2);
  BOOST_TEST(metric(h.gateway().metrics_text(), "switchyard_alert_notifications_total{result=\"suppressed\"}") == 1);
}

BOOST_AUTO_TEST_CASE(the_webhook_is_retried_and_the_json_form_carries_the_alert) {
  HttpSink sink;
  sink.queue_statuses({500, 502});
  GatewayHarness h({}, alerting(sink, {rule("any-errors", AlertKind::error_rate, 0.1, 60)}, false));
  BOOST_TEST(chat(h, R"("status":500)").status >= 500u);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (sink.count() < 3 && std::chrono::steady_clock::now() < deadline) pause(h, milliseconds(100));
  const auto got = sink.requests();
  BOOST_REQUIRE_EQUAL(got.size(), 3u);  // two refusals, then taken
  BOOST_TEST(got[0].body == got[2].body);
  const auto o = json::parse(got[2].body).as_object();
  BOOST_TEST(o.at("status").as_string() == "firing");
  BOOST_TEST(o.at("alert").at("name").as_string() == "any-errors");
  BOOST_TEST(o.at("alert").at("kind").as_string() == "error_rate");
  BOOST_TEST(o.at("alert").at("threshold").as_double() == 0.1);
  const auto m = h.gateway().metrics_text();
  BOOST_TEST(metric(m, "switchyard_alert_webhook_retries_total") == 2);
  BOOST_TEST(metric(m, "switchyard_alert_notifications_total{result=\"sent\"}") == 1);
}

BOOST_AUTO_TEST_CASE(latency_circuit_no_target_and_spend_rules_fire_and_resolve_from_the_gateways_own_counters) {
  HttpSink sink;
  std::vector<AlertRule> rules{rule("slow", AlertKind::latency_p99, 200, 1), rule("open", AlertKind::circuit_open, 1, 1),
                               rule("nowhere", AlertKind::no_target, 1, 1), rule("spending", AlertKind::spend_rate, 1.0, 1)};
  GatewayHarness h({}, alerting(sink, rules, true, [](Config& c) {
    c.resilience.breaker_failures = 2;
    c.resilience.breaker_cooldown = milliseconds(1'500);
    c.models[0].targets[0].input_price = 1000;  // $ per million tokens: a few requests a second are dollars an hour
    c.models[0].targets[0].output_price = 1000;
  }));
  // Slow answers: p99 above 200 ms; fast ones alone for a second: under it again.
  for (int i = 0; i < 2; ++i) BOOST_TEST(chat(h, R"("ttft_ms":400)").status == 200u);
  BOOST_REQUIRE(said_while_running(h, sink, "FIRING: slow"));
  BOOST_TEST(said_while_running(h, sink, "FIRING: spending"));  // priced answers at this pace: over $1/h
  pause(h, milliseconds(1'200));
  BOOST_TEST(chat(h).status == 200u);
  BOOST_REQUIRE(said_while_running(h, sink, "RESOLVED: slow"));
  BOOST_TEST(said_while_running(h, sink, "RESOLVED: spending"));  // nothing spent in the last second
  // Two failures open the circuit; the next request finds no target.
  for (int i = 0; i < 2; ++i) BOOST_TEST(chat(h, R"("status":500)").status >= 500u);
  BOOST_TEST(chat(h).status == 503u);
  BOOST_REQUIRE(said_while_running(h, sink, "FIRING: open"));
  BOOST_REQUIRE(said_while_running(h, sink, "FIRING: nowhere"));
  BOOST_TEST(said_while_running(h, sink, "RESOLVED: nowhere"));  // none in the last second
  pause(h, milliseconds(1'600));                                 // half-open: a success closes it
  BOOST_TEST(chat(h).status == 200u);
  BOOST_TEST(said_while_running(h, sink, "RESOLVED: open"));
}

BOOST_AUTO_TEST_CASE(budget_and_quota_rules_read_the_governor_and_the_declared_quotas) {
  HttpSink sink;
  AlertRule budget = rule("budget-80", AlertKind::budget, 0.8);
  budget.key = "test";
  AlertRule quota = rule("quota-75", AlertKind::quota, 0.75);
  quota.provider = "mock";
  GatewayHarness h({}, alerting(sink, {budget, quota}, true, [](Config& c) {
    c.models[0].targets[0].input_price = 10;
    c.models[0].targets[0].output_price = 10;
    c.models[0].targets[0].limits.requests_per_minute = 4;
    c.keys[0].budget = BudgetConfig{0.001, BudgetPeriod::month};
  }));
  for (int i = 0; i < 3; ++i) BOOST_TEST(chat(h).status == 200u);  // 3 of 4 requests a minute: 75%
  BOOST_REQUIRE(said_while_running(h, sink, "FIRING: quota-75"));
  BOOST_TEST(texts(sink.requests()).front().find("75.0%") != std::string::npos);
  // ~25 tokens at $10/M: $0.00025 a request; the fourth reaches 80% of $0.001... or more.
  BOOST_TEST(chat(h).status == 200u);
  BOOST_REQUIRE(said_while_running(h, sink, "FIRING: budget-80"));
  BOOST_TEST(alert_named(h, "budget-80").at("value").as_double() >= 0.8);
}

BOOST_AUTO_TEST_SUITE_END()
