// OpenTelemetry traces from the real gateway to a test collector speaking
// OTLP/HTTP JSON (support/http_sink): a SERVER span per request and a CLIENT
// span per attempt with the GenAI attributes, parent links, a client's
// traceparent continued and ours sent to the provider, sampling, content only
// when asked, and the exporter surviving a collector that is down, refuses or
// is too slow, without the requests noticing.
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

constexpr const char* kTraceId = "4bf92f3577b34da6a3ce929d0e0e4736";
constexpr const char* kParentId = "00f067aa0ba902b7";

std::function<void(Config&)> traced(const HttpSink& sink, std::function<void(Config&)> more = {}) {
  return [url = sink.url(), more](Config& c) {
    c.telemetry.otlp_endpoint = url;
    c.telemetry.headers = {{"x-collector-token", "collector-secret-123"}};
    if (more) more(c);
  };
}

std::vector<json::object> of_kind(const std::vector<json::object>& spans, int kind) {
  std::vector<json::object> out;
  for (const auto& s : spans) {
    if (s.at("kind").as_int64() == kind) out.push_back(s);
  }
  return out;
}

std::string str(const json::object& o, std::string_view k) {
  const auto* v = o.if_contains(k);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

// Waits until the collector holds at least `n` spans.
std::vector<json::object> spans_when(HttpSink& sink, std::size_t n, milliseconds limit = milliseconds(10'000)) {
  sink.wait_for([&](const auto& got) { return HttpSink::spans_of(got).size() >= n; }, limit);
  return sink.spans();
}

HttpResult chat(GatewayHarness& h, std::string body = chat_body(), Headers extra = {}) {
  Headers headers = auth_headers();
  headers.insert(headers.end(), extra.begin(), extra.end());
  return h.run(http_call(h.port(), http::verb::post, "/v1/chat/completions", std::move(body), std::move(headers)));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(tracing)

BOOST_AUTO_TEST_CASE(a_request_is_a_server_span_with_a_genai_client_span_per_attempt_continuing_the_clients_trace) {
  HttpSink sink;
  GatewayHarness h({}, traced(sink));
  const std::string parent = std::string("00-") + kTraceId + "-" + kParentId + "-01";
  auto r = chat(h, chat_body("fast", false, R"(,"max_tokens":64,"temperature":0.25)"), {{"traceparent", parent}, {"tracestate", "vendor=abc"}});
  BOOST_REQUIRE_EQUAL(r.status, 200u);
  const auto spans = spans_when(sink, 2);
  BOOST_REQUIRE_EQUAL(spans.size(), 2u);
  const auto server = of_kind(spans, 2), client = of_kind(spans, 3);
  BOOST_REQUIRE_EQUAL(server.size(), 1u);
  BOOST_REQUIRE_EQUAL(client.size(), 1u);
  const auto& s = server[0];
  const auto& c = client[0];
  // The client's trace continued: same trace id, our server span a child of its span.
  BOOST_TEST(str(s, "traceId") == kTraceId);
  BOOST_TEST(str(s, "parentSpanId") == kParentId);
  BOOST_TEST(str(s, "traceState") == "vendor=abc");
  BOOST_TEST(str(s, "name") == "POST /v1/chat/completions");
  BOOST_TEST(span_int(s, "http.response.status_code") == 200);
  BOOST_TEST(span_string(s, "switchyard.route") == "fast");
  BOOST_TEST(span_string(s, "switchyard.key") == "test");
  BOOST_TEST(span_string(s, "switchyard.cache").empty());  // set for cache hits, misses and coalesced requests only
  // The attempt: a CLIENT child of the server span, named and attributed by the GenAI conventions.
  BOOST_TEST(str(c, "traceId") == kTraceId);
  BOOST_TEST(str(c, "parentSpanId") == str(s, "spanId"));
  BOOST_TEST(str(c, "name") == "chat mock-fast");
  BOOST_TEST(span_string(c, "gen_ai.operation.name") == "chat");
  BOOST_TEST(span_string(c, "gen_ai.provider.name") == "openai");
  BOOST_TEST(span_string(c, "gen_ai.request.model") == "mock-fast");
  BOOST_TEST(span_string(c, "switchyard.route") == "fast");
  BOOST_TEST(span_string(c, "server.address") == "127.0.0.1");
  BOOST_TEST(span_int(c, "gen_ai.request.max_tokens") == 64);
  BOOST_TEST(span_attribute(c, "gen_ai.request.temperature")->as_double() == 0.25);
  BOOST_TEST(!span_string(c, "gen_ai.response.id").empty());
  BOOST_TEST(span_string(c, "gen_ai.response.model") == "mock-fast");
  const auto* reasons = span_attribute(c, "gen_ai.response.finish_reasons");
  BOOST_REQUIRE(reasons);
  BOOST_TEST(reasons->at("values").as_array().at(0).at("stringValue").as_string() == "stop");
  BOOST_TEST(span_int(c, "gen_ai.usage.input_tokens") > 0);
  BOOST_TEST(span_int(c, "gen_ai.usage.output_tokens") == 16);
  BOOST_TEST(c.at("status").as_object().empty());  // success: status unset
  // Ours propagated to the provider: the same trace, the attempt's span as the parent, sampled.
  BOOST_TEST(h.mock().stats().last_traceparent == std::string("00-") + kTraceId + "-" + str(c, "spanId") + "-01");
  // How it was sent: OTLP JSON with the configured headers; no key, no prompt anywhere.
  const auto requests = sink.requests();
  BOOST_TEST(requests.at(0).path == "/v1/traces");
  BOOST_TEST(requests.at(0).headers.at("content-type") == "application/json");
  BOOST_TEST(requests.at(0).headers.at("x-collector-token") == "collector-secret-123");
  for (const auto& q : requests) {
    BOOST_TEST(q.body.find(kClientKey) == std::string::npos);
    BOOST_TEST(q.body.find(kProviderKey) == std::string::npos);
    BOOST_TEST(q.body.find("hello there") == std::string::npos);
    BOOST_TEST(q.body.find("\"service.name\"") != std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(a_failover_is_one_error_span_then_one_answer_span_and_an_event) {
  HttpSink sink;
  GatewayHarness h({}, traced(sink, [](Config& c) {
    mock_fleet(c, {"a", "b"}, "k-", milliseconds(2'000));
    c.resilience.attempts_per_target = 1;
    c.models = {ModelRouteConfig{"fast", Strategy::failover, {TargetConfig{"a", "mock-fast"}, TargetConfig{"b", "mock-fast"}}}};
  }));
  mock::MockBehaviour failing;
  failing.status = 503;
  h.mock().set_behaviour_for("Bearer k-a", failing);
  auto r = chat(h);
  BOOST_REQUIRE_EQUAL(r.status, 200u);
  const auto spans = spans_when(sink, 3);
  const auto server = of_kind(spans, 2), client = of_kind(spans, 3);
  BOOST_REQUIRE_EQUAL(server.size(), 1u);
  BOOST_REQUIRE_EQUAL(client.size(), 2u);
  const json::object* failed = nullptr;
  const json::object* answered = nullptr;
  for (const auto& c : client) (span_string(c, "switchyard.provider") == "a" ? failed : answered) = &c;
  BOOST_REQUIRE(failed && answered);
  BOOST_TEST(span_string(*failed, "error.type") == "server_error");  // the provider's own error code
  BOOST_TEST(span_int(*failed, "http.response.status_code") == 503);
  BOOST_TEST(failed->at("status").at("code").as_int64() == 2);
  BOOST_TEST(span_string(*answered, "switchyard.provider") == "b");
  BOOST_TEST(span_int(*answered, "gen_ai.usage.output_tokens") == 16);
  BOOST_TEST(answered->at("status").as_object().empty());
  for (const auto& c : client) BOOST_TEST(str(c, "parentSpanId") == str(server[0], "spanId"));
  BOOST_TEST(span_has_event(server[0], "failover"));
  BOOST_TEST(span_string(server[0], "switchyard.provider") == "b");
}

BOOST_AUTO_TEST_CASE(a_hedge_shows_both_tries_and_the_loser_is_not_an_error) {
  HttpSink sink;
  GatewayHarness h({}, traced(sink, [](Config& c) {
    mock_fleet(c, {"slow", "quick"}, "k-", milliseconds(5'000));
    ModelRouteConfig route{"fast", Strategy::failover, {TargetConfig{"slow", "mock-fast"}, TargetConfig{"quick", "mock-fast"}}};
    route.hedge_after = milliseconds(50);
    c.models = {route};
  }));
  mock::MockBehaviour slow;
  slow.ttft = milliseconds(1'500);
  h.mock().set_behaviour_for("Bearer k-slow", slow);
  auto r = chat(h);
  BOOST_REQUIRE_EQUAL(r.status, 200u);
  const auto spans = spans_when(sink, 3);
  const auto server = of_kind(spans, 2), client = of_kind(spans, 3);
  BOOST_REQUIRE_EQUAL(client.size(), 2u);
  BOOST_TEST(span_has_event(server.at(0), "hedge"));
  for (const auto& c : client) {
    if (span_string(c, "switchyard.provider") == "slow") {
      BOOST_TEST(span_attribute(c, "switchyard.attempt.cancelled")->as_bool());
      BOOST_TEST(c.at("status").as_object().empty());
    } else {
      BOOST_TEST(span_int(c, "gen_ai.usage.output_tokens") == 16);
    }
  }
}

BOOST_AUTO_TEST_CASE(a_stream_span_ends_with_the_stream_with_its_usage_finish_reason_and_first_token) {
  HttpSink sink;
  GatewayHarness h({}, traced(sink));
  auto r = chat(h, chat_body("fast", true));
  BOOST_REQUIRE_EQUAL(r.status, 200u);
  BOOST_TEST(read_streamed_answer(r.body).done);
  const auto spans = spans_when(sink, 2);
  const auto client = of_kind(spans, 3);
  BOOST_REQUIRE_EQUAL(client.size(), 1u);
  const auto& c = client[0];
  BOOST_TEST(span_attribute(c, "gen_ai.request.stream")->as_bool());
  BOOST_TEST(span_attribute(c, "gen_ai.response.time_to_first_chunk")->as_double() >= 0);
  BOOST_TEST(span_has_event(c, "first_token"));
  BOOST_TEST(span_int(c, "gen_ai.usage.output_tokens") == 16);
  BOOST_TEST(!span_string(c, "gen_ai.response.id").empty());
  const auto* reasons = span_attribute(c, "gen_ai.response.finish_reasons");
  BOOST_REQUIRE(reasons);
  BOOST_TEST(reasons->at("values").as_array().at(0).at("stringValue").as_string() == "stop");
  // The attempt ended with the stream, inside the server span.
  const auto server = of_kind(spans, 2).at(0);
  BOOST_TEST(std::stoll(str(c, "endTimeUnixNano")) <= std::stoll(str(server, "endTimeUnixNano")));
  BOOST_TEST(std::stoll(str(c, "startTimeUnixNano")) >= std::stoll(str(server, "startTimeUnixNano")));
}

BOOST_AUTO_TEST_CASE(sampling_follows_the_clients_flag_and_else_the_ratio) {
  HttpSink sink;
  GatewayHarness h({}, traced(sink, [](Config& c) { c.telemetry.sample_ratio = 0; }));
  BOOST_REQUIRE_EQUAL(chat(h).status, 200u);  // no traceparent, ratio 0: not traced
  BOOST_TEST(h.mock().stats().last_traceparent.empty());
  const std::string unsampled = std::string("00-") + kTraceId + "-" + kParentId + "-00";
  BOOST_REQUIRE_EQUAL(chat(h, chat_body(), {{"traceparent", unsampled}}).status, 200u);
  BOOST_TEST(h.mock().stats().last_traceparent == unsampled);  // not ours to trace: passed on as it came
  const std::string sampled = std::string("00-") + kTraceId + "-" + kParentId + "-01";
  BOOST_REQUIRE_EQUAL(chat(h, chat_body(), {{"traceparent", sampled}}).status, 200u);
  const auto spans = spans_when(sink, 2);
  BOOST_TEST(spans.size() == 2u);
  for (const auto& s : spans) BOOST_TEST(str(s, "traceId") == kTraceId);
  // An invalid header (upper case) is ignored: a new trace (ratio 0: none).
  BOOST_REQUIRE_EQUAL(chat(h, chat_body(), {{"traceparent", "00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01"}}).status, 200u);
  BOOST_TEST(!sink.wait_for([&](const auto& got) { return HttpSink::spans_of(got).size() > 2; }, milliseconds(1'500)));
}

BOOST_AUTO_TEST_CASE(prompts_and_answers_are_in_spans_only_with_capture_content) {
  HttpSink sink;
  GatewayHarness h({}, traced(sink, [](Config& c) { c.telemetry.capture_content = true; }));
  BOOST_REQUIRE_EQUAL(chat(h).status, 200u);
  BOOST_REQUIRE_EQUAL(chat(h, chat_body("fast", true)).status, 200u);
  const auto spans = spans_when(sink, 4);
  int prompts = 0, answers = 0;
  for (const auto& s : of_kind(spans, 2)) {
    prompts += span_has_event(s, "gen_ai.content.prompt");
    answers += span_has_event(s, "gen_ai.content.completion");
  }
  BOOST_TEST(prompts == 2);
  BOOST_TEST(answers == 2);
  bool said = false;
  for (const auto& q : sink.requests()) said = said || q.body.find("hello there") != std::string::npos;
  BOOST_TEST(said);
}

BOOST_AUTO_TEST_CASE(a_refused_batch_is_retried_and_a_collector_down_for_10s_loses_nothing_nor_slows_a_request) {
  HttpSink sink;
  GatewayHarness h({}, traced(sink));
  sink.queue_statuses({503, 429});
  BOOST_REQUIRE_EQUAL(chat(h).status, 200u);
  BOOST_REQUIRE_EQUAL(spans_when(sink, 2).size(), 2u);  // the third POST is taken
  BOOST_TEST(sink.count() == 3u);
  BOOST_TEST(metric(h.gateway().metrics_text(), "switchyard_telemetry_export_failures_total") == 2);
  // The collector goes away for 10 s; requests keep coming, as fast as before.
  sink.down();
  const auto down_at = std::chrono::steady_clock::now();
  int sent = 0;
  milliseconds slowest{0};
  while (std::chrono::steady_clock::now() - down_at < std::chrono::seconds(10)) {
    const auto t0 = std::chrono::steady_clock::now();
    BOOST_REQUIRE_EQUAL(chat(h).status, 200u);
    slowest = std::max(slowest, std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - t0));
    ++sent;
    h.run([&]() -> asio::awaitable<void> {
      asio::steady_timer pace(h.ioc(), milliseconds(250));
      co_await pace.async_wait(asio::use_awaitable);
    }());
  }
  BOOST_TEST(slowest < milliseconds(500));
  sink.up();
  BOOST_REQUIRE_EQUAL(chat(h).status, 200u);  // one after it is back
  const std::size_t expected = 2 + 2 * (static_cast<std::size_t>(sent) + 1);
  BOOST_TEST(spans_when(sink, expected, milliseconds(15'000)).size() == expected);
  const auto m = h.gateway().metrics_text();
  BOOST_TEST(metric(m, "switchyard_telemetry_spans_dropped_total{reason=\"export\"}") == 0);
  BOOST_TEST(metric(m, "switchyard_telemetry_spans_dropped_total{reason=\"queue_full\"}") == 0);
  BOOST_TEST(metric(m, "switchyard_telemetry_spans_exported_total") == static_cast<double>(expected));
}

BOOST_AUTO_TEST_CASE(a_full_queue_drops_and_counts_and_shutdown_flushes_what_is_queued) {
  HttpSink sink;
  double dropped = 0;
  {
    GatewayHarness h({}, traced(sink, [](Config& c) { c.telemetry.queue_spans = 16; }));
    sink.down();
    for (int i = 0; i < 20; ++i) BOOST_REQUIRE_EQUAL(chat(h).status, 200u);  // 40 spans for 16 places
    dropped = metric(h.gateway().metrics_text(), "switchyard_telemetry_spans_dropped_total{reason=\"queue_full\"}");
    BOOST_TEST(dropped >= 40 - 2 * 16);  // at most one batch left the queue meanwhile
    sink.up();
    // The harness's end shuts the gateway down: what is queued is exported before it returns.
  }
  // Every span is either at the collector or counted as dropped: none lost silently.
  BOOST_TEST(static_cast<double>(sink.spans().size()) == 40 - dropped);
}

BOOST_AUTO_TEST_SUITE_END()
