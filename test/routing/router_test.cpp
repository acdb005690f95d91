#define BOOST_TEST_MODULE router
// Integration: the resilient router through the real gateway, with one mock
// playing three providers (a, b, c), told apart by their keys.
#include <boost/test/unit_test.hpp>

#include <boost/json.hpp>

#include "support/gateway_harness.hpp"

using namespace switchyard;
using namespace switchyard::test;
using http::verb;
using std::chrono::milliseconds;

namespace {

const std::string kA = "Bearer key-provider-a", kB = "Bearer key-provider-b", kC = "Bearer key-provider-c";

// Providers a, b, c on the mock; route "fast" → a, b (c only where a test adds it).
std::function<void(Config&)> three_providers(std::function<void(Config&)> more = {}) {
  return [more](Config& c) {
    mock_fleet(c, {"a", "b", "c"}, "key-provider-", milliseconds(300));
    c.models.clear();
    ModelRouteConfig fast;
    fast.name = "fast";
    fast.targets = {TargetConfig{"a", "model-a"}, TargetConfig{"b", "model-b"}};
    c.models.push_back(fast);
    c.resilience.breaker_failures = 1000;
    c.server.admin_key = "admin-key-0123456789";
    if (more) more(c);
  };
}

std::uint64_t count(GatewayHarness& h, const std::string& key) {
  const auto& m = h.mock().stats().requests_by_authorization;
  auto it = m.find(key);
  return it == m.end() ? 0 : it->second;
}

mock::MockBehaviour failing(unsigned status) {
  mock::MockBehaviour b;
  b.status = status;
  return b;
}

mock::MockBehaviour fault(const char* f) {
  mock::MockBehaviour b;
  BOOST_REQUIRE(mock::parse_fault(f, b));
  return b;
}

HttpResult chat(GatewayHarness& h, bool stream = false, std::string extra = "") {
  return h.run(http_call(h.port(), verb::post, "/v1/chat/completions", chat_body("fast", stream, extra), auth_headers()));
}

std::string model_of(const HttpResult& r) { return std::string(boost::json::parse(r.body).at("model").as_string()); }

}  // namespace

BOOST_AUTO_TEST_CASE(each_retryable_failure_is_retried_then_failed_over) {
  std::vector<std::pair<std::string, mock::MockBehaviour>> cases = {
      {"500", failing(500)}, {"502", failing(502)}, {"503", failing(503)}, {"504", failing(504)},
      {"529", failing(529)}, {"429", failing(429)}, {"reset", fault("reset")}, {"hang", fault("hang")},
  };
  for (auto& [name, behaviour] : cases) {
    BOOST_TEST_CONTEXT("failure " << name) {
      GatewayHarness h({}, three_providers());
      h.mock().set_behaviour_for(kA, behaviour);
      auto r = chat(h);
      BOOST_TEST(r.status == 200u);
      BOOST_TEST(model_of(r) == "model-b");
      BOOST_TEST(count(h, kA) == 2u);  // tried twice
      BOOST_TEST(count(h, kB) == 1u);
      const auto c = h.gateway().health().routing;
      BOOST_TEST(c.retries == 1u);
      BOOST_TEST(c.failovers == 1u);
    }
  }
}

BOOST_AUTO_TEST_CASE(the_callers_own_errors_are_not_retried_nor_failed_over) {
  for (unsigned status : {400u, 404u, 413u, 422u}) {
    BOOST_TEST_CONTEXT("status " << status) {
      GatewayHarness h({}, three_providers());
      h.mock().set_behaviour_for(kA, failing(status));
      auto r = chat(h);
      BOOST_TEST(r.status == status);
      BOOST_TEST(count(h, kA) == 1u);
      BOOST_TEST(count(h, kB) == 0u);
    }
  }
}

BOOST_AUTO_TEST_CASE(retry_after_is_honoured_and_a_long_one_fails_over_at_once) {
  {
    GatewayHarness h({}, three_providers([](Config& c) { c.models[0].targets.pop_back(); }));  // a only
    auto b = failing(429);
    b.retry_after = "0.3";
    h.mock().set_behaviour_for(kA, b);
    const auto t0 = std::chrono::steady_clock::now();
    auto r = chat(h);
    const auto took = std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - t0).count();
    BOOST_TEST(r.status == 429u);
    BOOST_TEST(r.headers[http::field::retry_after] == "0.3");
    BOOST_TEST(count(h, kA) == 2u);
    BOOST_TEST(took >= 300);
  }
  {
    GatewayHarness h({}, three_providers());
    auto b = failing(429);
    b.retry_after = "60";
    h.mock().set_behaviour_for(kA, b);
    const auto t0 = std::chrono::steady_clock::now();
    auto r = chat(h);
    BOOST_TEST(r.status == 200u);
    BOOST_TEST(count(h, kA) == 1u);  // no point waiting a minute: b answers now
    BOOST_TEST(std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - t0).count() < 1000);
  }
}

BOOST_AUTO_TEST_CASE(a_circuit_opens_half_opens_and_closes) {
  GatewayHarness h({}, three_providers([](Config& c) {
    c.resilience.attempts_per_target = 1;
    c.resilience.breaker_failures = 2;
    c.resilience.breaker_cooldown = milliseconds(200);
  }));
  h.mock().set_behaviour_for(kA, failing(500));
  for (int i = 0; i < 2; ++i) BOOST_TEST(chat(h).status == 200u);  // b answers; a fails twice
  BOOST_TEST(count(h, kA) == 2u);
  auto circuit_of_a = [&] {
    for (const auto& t : h.gateway().target_health()) {
      if (t.provider == "a") return t.circuit;
    }
    return std::string("?");
  };
  BOOST_TEST(circuit_of_a() == "open");
  for (int i = 0; i < 3; ++i) BOOST_TEST(chat(h).status == 200u);
  BOOST_TEST(count(h, kA) == 2u);  // not tried while open
  // The status endpoint and /health say so.
  auto providers = h.run(http_call(h.port(), verb::get, "/v1/providers", "", {{"authorization", "Bearer admin-key-0123456789"}}));
  BOOST_REQUIRE_EQUAL(providers.status, 200u);
  BOOST_TEST(providers.body.find(R"("provider":"a","model":"model-a","score":0)") != std::string::npos);
  BOOST_TEST(providers.body.find(R"("circuit":"open")") != std::string::npos);
  BOOST_TEST(h.run(http_call(h.port(), verb::get, "/v1/providers", "", auth_headers())).status == 401u);

  // After the cool-down one probe goes to a; a healthy answer closes the circuit.
  h.mock().clear_behaviour_for(kA);
  h.run([&]() -> asio::awaitable<void> {
    asio::steady_timer t(co_await asio::this_coro::executor, milliseconds(220));
    co_await t.async_wait(use_nothrow);
  }());
  BOOST_TEST(circuit_of_a() == "half_open");
  auto probe = chat(h);
  BOOST_TEST(model_of(probe) == "model-a");
  BOOST_TEST(circuit_of_a() == "closed");
}

BOOST_AUTO_TEST_CASE(health_reports_degraded_when_a_route_has_no_usable_target) {
  GatewayHarness h({}, three_providers([](Config& c) {
    c.resilience.attempts_per_target = 1;
    c.resilience.breaker_failures = 1;
  }));
  auto ok = h.run(http_call(h.port(), verb::get, "/health", ""));
  BOOST_TEST(ok.body == R"({"status":"ok"})");
  h.mock().set_behaviour_for(kA, failing(503));
  h.mock().set_behaviour_for(kB, failing(503));
  auto failed = chat(h);
  BOOST_TEST(failed.status == 503u);
  auto degraded = h.run(http_call(h.port(), verb::get, "/health", ""));
  BOOST_TEST(degraded.body.find(R"("status":"degraded")") != std::string::npos);
  BOOST_TEST(degraded.body.find(R"("fast")") != std::string::npos);
  auto refused = chat(h);  // every circuit open: refused at once, no upstream call
  BOOST_TEST(refused.status == 503u);
  BOOST_TEST(refused.body.find("circuit open") != std::string::npos);
  BOOST_TEST(count(h, kA) == 1u);
}

BOOST_AUTO_TEST_CASE(a_stream_without_a_first_token_in_time_fails_over_within_the_bound) {
  GatewayHarness h({}, three_providers([](Config& c) {
    c.models[0].ttft_timeout = milliseconds(200);
    c.resilience.attempts_per_target = 1;
    c.providers[0].response_timeout = milliseconds(10'000);
  }));
  mock::MockBehaviour slow;
  slow.ttft = milliseconds(5'000);
  h.mock().set_behaviour_for(kA, slow);
  const auto t0 = std::chrono::steady_clock::now();
  auto r = chat(h, true);
  const auto took = std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - t0).count();
  BOOST_REQUIRE_EQUAL(r.status, 200u);
  BOOST_TEST(r.body.find("\"model\":\"model-b\"") != std::string::npos);
  BOOST_TEST(r.body.find("data: [DONE]") != std::string::npos);
  BOOST_TEST(took >= 200);
  BOOST_TEST(took < 1500);
  BOOST_TEST(h.gateway().health().routing.ttft_timeouts == 1u);
  // The abandoned attempt's connection was closed, not left waiting.
  BOOST_TEST(h.run(eventually([&] { return h.mock().stats().peer_closed_mid_response >= 1; })));
}

BOOST_AUTO_TEST_CASE(a_stream_that_breaks_after_its_first_chunk_is_not_restarted) {
  GatewayHarness h({}, three_providers());
  h.mock().set_behaviour_for(kA, fault("reset-after:2"));
  auto r = chat(h, true);
  BOOST_REQUIRE_EQUAL(r.status, 200u);
  BOOST_TEST(r.body.find("[DONE]") == std::string::npos);
  BOOST_TEST(r.body.find("\"error\"") != std::string::npos);
  BOOST_TEST(count(h, kB) == 0u);  // no silent duplicate
  BOOST_TEST(h.gateway().health().routing.stream_breaks == 1u);
}

BOOST_AUTO_TEST_CASE(weighted_split_within_tolerance) {
  GatewayHarness h({}, three_providers([](Config& c) {
    c.models[0].strategy = Strategy::weighted;
    c.models[0].targets[0].weight = 3;
    c.models[0].targets[1].weight = 1;
  }));
  h.run([&]() -> asio::awaitable<void> {
    TestClient c(co_await asio::this_coro::executor);
    BOOST_REQUIRE(!co_await c.connect(h.port()));
    for (int i = 0; i < 400; ++i) {
      auto r = co_await c.call(verb::post, "/v1/chat/completions", chat_body(), auth_headers());
      BOOST_REQUIRE_EQUAL(r.status, 200u);
    }
  }());
  BOOST_TEST(count(h, kA) + count(h, kB) == 400u);
  BOOST_TEST(count(h, kA) > 260u);  // expected 300
  BOOST_TEST(count(h, kA) < 340u);
}

BOOST_AUTO_TEST_CASE(lowest_cost_and_lowest_latency_choose_right) {
  {
    GatewayHarness h({}, three_providers([](Config& c) {
      c.models[0].strategy = Strategy::lowest_cost;
      c.models[0].targets[0].input_price = 2.5;
      c.models[0].targets[0].output_price = 10;
      c.models[0].targets[1].input_price = 0.15;
      c.models[0].targets[1].output_price = 0.6;
    }));
    for (int i = 0; i < 5; ++i) BOOST_TEST(model_of(chat(h)) == "model-b");
  }
  {
    GatewayHarness h({}, three_providers([](Config& c) { c.models[0].strategy = Strategy::lowest_latency; }));
    mock::MockBehaviour slow;
    slow.ttft = milliseconds(40);
    h.mock().set_behaviour_for(kA, slow);
    for (int i = 0; i < 4; ++i) chat(h, true);  // both get measured
    const auto a_before = count(h, kA);
    for (int i = 0; i < 10; ++i) chat(h, true);
    BOOST_TEST(count(h, kA) - a_before <= 1u);
    BOOST_TEST(count(h, kB) >= 10u);
  }
}

BOOST_AUTO_TEST_CASE(requests_skip_targets_lacking_a_capability) {
  GatewayHarness h({}, three_providers([](Config& c) {
    c.models[0].targets[0].tools = false;
    c.models[0].targets[0].max_context = 50;
  }));
  auto with_tools = chat(h, false, R"(,"tools":[{"type":"function","function":{"name":"f","parameters":{}}}])");
  BOOST_TEST(model_of(with_tools) == "model-b");
  auto long_context = chat(h, false, R"(,"max_tokens":1000)");
  BOOST_TEST(model_of(long_context) == "model-b");
  auto plain = chat(h);
  BOOST_TEST(model_of(plain) == "model-a");
  BOOST_TEST(count(h, kA) == 1u);
}

BOOST_AUTO_TEST_CASE(metrics_expose_requests_failovers_circuits_and_pools) {
  GatewayHarness h({}, three_providers([](Config& c) { c.resilience.attempts_per_target = 1; }));
  h.mock().set_behaviour_for(kA, failing(503));
  BOOST_TEST(chat(h).status == 200u);
  BOOST_TEST(chat(h, true).status == 200u);
  auto r = h.run(http_call(h.port(), verb::get, "/metrics", ""));
  BOOST_REQUIRE_EQUAL(r.status, 200u);
  BOOST_TEST(std::string(r.headers[http::field::content_type]).find("text/plain") == 0u);
  const auto& m = r.body;
  for (const char* line : {
           R"(switchyard_requests_total{provider="b",model="model-b",status="200"} 2)",
           R"(switchyard_route_requests_total{route="fast"} 2)",
           "switchyard_failovers_total 2",
           "switchyard_upstream_attempts_total 4",
           R"(switchyard_circuit_state{provider="a",model="model-a"} 0)",
           R"(switchyard_request_duration_seconds_count{provider="b",model="model-b"} 1)",
           R"(switchyard_time_to_first_token_seconds_count{provider="b",model="model-b"} 1)",
           R"(switchyard_request_duration_seconds_bucket{provider="b",model="model-b",le="+Inf"} 1)",
           R"(switchyard_pool_connections_opened_total{provider="b"})",
           "# TYPE switchyard_gateway_overhead_seconds histogram",
           "switchyard_gateway_overhead_seconds_count 2",
       }) {
    BOOST_TEST_CONTEXT(line) { BOOST_TEST(m.find(line) != std::string::npos); }
  }
}

BOOST_AUTO_TEST_CASE(a_hedge_starts_the_next_target_when_the_first_is_slow_and_the_loser_is_cancelled) {
  for (bool stream : {true, false}) {
    BOOST_TEST_CONTEXT((stream ? "streamed" : "non-streamed")) {
      GatewayHarness h({}, three_providers([](Config& c) {
        c.models[0].hedge_after = milliseconds(100);
        c.providers[0].response_timeout = milliseconds(10'000);
      }));
      mock::MockBehaviour slow;
      slow.ttft = milliseconds(3'000);
      h.mock().set_behaviour_for(kA, slow);
      const auto t0 = std::chrono::steady_clock::now();
      auto r = chat(h, stream);
      const auto took = std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - t0).count();
      BOOST_REQUIRE_EQUAL(r.status, 200u);
      BOOST_TEST(r.body.find("\"model\":\"model-b\"") != std::string::npos);
      BOOST_TEST(took >= 100);
      BOOST_TEST(took < 1500);
      BOOST_TEST(h.gateway().health().routing.hedges == 1u);
      BOOST_TEST(count(h, kA) == 1u);
      BOOST_TEST(count(h, kB) == 1u);
      // the loser's connection is closed at once
      BOOST_TEST(h.run(eventually([&] { return h.mock().stats().peer_closed_mid_response >= 1; }, std::chrono::seconds(2))));
    }
  }
}

BOOST_AUTO_TEST_CASE(no_hedge_when_the_first_target_is_fast) {
  GatewayHarness h({}, three_providers([](Config& c) { c.models[0].hedge_after = milliseconds(500); }));
  for (int i = 0; i < 5; ++i) BOOST_TEST(model_of(chat(h)) == "model-a");
  BOOST_TEST(h.gateway().health().routing.hedges == 0u);
  BOOST_TEST(count(h, kB) == 0u);
}

BOOST_AUTO_TEST_CASE(active_health_checks_open_a_dead_providers_circuit_and_close_it_when_it_recovers) {
  GatewayHarness h({}, three_providers([](Config& c) {
    c.providers[0].health_check_interval = milliseconds(20);
    c.resilience.breaker_failures = 2;
    c.resilience.breaker_cooldown = milliseconds(60'000);  // only a probe can close it in this test
  }));
  auto circuit_of_a = [&] {
    for (const auto& t : h.gateway().target_health()) {
      if (t.provider == "a") return t.circuit;
    }
    return std::string("?");
  };
  h.mock().set_behaviour_for(kA, fault("reset"));
  // No client request at all: the probes alone find a dead.
  BOOST_TEST(h.run(eventually([&] { return circuit_of_a() == "open"; }, std::chrono::seconds(3))));
  BOOST_TEST(count(h, kA) >= 2u);
  BOOST_TEST(model_of(chat(h)) == "model-b");  // requests avoid it
  h.mock().clear_behaviour_for(kA);
  BOOST_TEST(h.run(eventually([&] { return circuit_of_a() == "closed"; }, std::chrono::seconds(3))));
  BOOST_TEST(model_of(chat(h)) == "model-a");
  BOOST_TEST(h.mock().stats().last_path == "/v1/chat/completions");
  BOOST_TEST(h.run(http_call(h.port(), verb::get, "/metrics", "")).body.find("switchyard_health_checks_total") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(with_resume_a_broken_stream_continues_from_the_next_target_as_one_answer) {
  GatewayHarness h({}, three_providers([](Config& c) { c.models[0].resume = true; }));
  h.mock().set_behaviour_for(kA, fault("reset-after:3"));
  auto r = chat(h, true);
  BOOST_REQUIRE_EQUAL(r.status, 200u);
  const auto& body = r.body;
  BOOST_TEST(body.find("\"error\"") == std::string::npos);      // no break reached the client
  BOOST_TEST(body.size() >= 14u);
  BOOST_TEST(body.substr(body.size() - 14) == "data: [DONE]\n\n");  // one clean end
  std::size_t roles = 0;
  for (auto pos = body.find("\"role\":\"assistant\""); pos != std::string::npos; pos = body.find("\"role\":\"assistant\"", pos + 1)) ++roles;
  BOOST_TEST(roles == 1u);                                      // the continuation's opening chunk was dropped
  BOOST_TEST(body.find("\"model\":\"model-a\"") != std::string::npos);
  BOOST_TEST(body.find("\"model\":\"model-b\"") != std::string::npos);
  // b was asked to continue after what a had already said
  const auto sent = boost::json::parse(h.mock().stats().last_body).as_object();
  const auto& messages = sent.at("messages").as_array();
  BOOST_TEST(messages.back().at("role").as_string() == "assistant");
  BOOST_TEST(messages.back().at("content").as_string() == "Hello from the");
  BOOST_TEST(h.gateway().health().routing.resumes == 1u);
}

BOOST_AUTO_TEST_CASE(with_resume_and_no_target_left_the_break_is_still_reported) {
  GatewayHarness h({}, three_providers([](Config& c) {
    c.models[0].resume = true;
    c.models[0].targets.pop_back();  // a only
  }));
  h.mock().set_behaviour_for(kA, fault("reset-after:2"));
  auto r = chat(h, true);
  BOOST_REQUIRE_EQUAL(r.status, 200u);
  BOOST_TEST(r.body.find("[DONE]") == std::string::npos);
  BOOST_TEST(r.body.find("\"error\"") != std::string::npos);
}
