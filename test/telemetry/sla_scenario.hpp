#pragma once
// The SLA report's scenario, for either ledger (SQLite here, PostgreSQL in
// the shared-store tests): known requests through the real gateway, then
// GET /admin/sla must count exactly them.
#include <boost/test/unit_test.hpp>

#include "support/gateway_harness.hpp"

namespace switchyard::test::sla {

inline constexpr const char* kAdmin = "admin-key-0123456789";

// Routes "fast" (a, then b) and "solo" (a alone); one try per target.
inline void two_routes(Config& c) {
  c.server.admin_key = kAdmin;
  mock_fleet(c, {"a", "b"}, "k-", Millis(2'000));
  c.resilience.attempts_per_target = 1;
  c.resilience.breaker_failures = 1000;
  TargetConfig a{"a", "mock-fast"}, b{"b", "mock-fast"};
  a.input_price = b.input_price = 1;
  a.output_price = b.output_price = 2;
  c.models = {ModelRouteConfig{"fast", Strategy::failover, {a, b}}, ModelRouteConfig{"solo", Strategy::failover, {a}}};
}

inline boost::json::object row_of(const boost::json::value& report, std::string_view group) {
  for (const auto& r : report.at("rows").as_array()) {
    if (r.at("group").as_string() == group) return r.as_object();
  }
  BOOST_FAIL("no row for " << group);
  return {};
}

// 5 answered by a, 3 failed over to b, 2 streams failed over to b, 2 on "solo" with nowhere to go.
inline void run(GatewayHarness& h) {
  namespace http = boost::beast::http;
  auto chat = [&](std::string model, bool stream) {
    return h.run(http_call(h.port(), http::verb::post, "/v1/chat/completions", chat_body(model, stream), auth_headers())).status;
  };
  for (int i = 0; i < 5; ++i) BOOST_TEST(chat("fast", false) == 200u);
  mock::MockBehaviour down;
  down.status = 503;
  h.mock().set_behaviour_for("Bearer k-a", down);
  for (int i = 0; i < 3; ++i) BOOST_TEST(chat("fast", false) == 200u);
  for (int i = 0; i < 2; ++i) BOOST_TEST(chat("fast", true) == 200u);
  for (int i = 0; i < 2; ++i) BOOST_TEST(chat("solo", false) >= 500u);
  const Headers admin{{"authorization", std::string("Bearer ") + kAdmin}};

  auto got = h.run(http_call(h.port(), http::verb::get, "/admin/sla?group=route", "", admin), std::chrono::seconds(30));
  BOOST_REQUIRE_EQUAL(got.status, 200u);
  const auto report = boost::json::parse(got.body);
  const auto fast = row_of(report, "fast"), solo = row_of(report, "solo");
  BOOST_TEST(fast.at("requests").to_number<std::int64_t>() == 10);
  BOOST_TEST(fast.at("available").to_number<std::int64_t>() == 10);
  BOOST_TEST(fast.at("availability").as_double() == 1.0);
  BOOST_TEST(fast.at("failovers").to_number<std::int64_t>() == 5);
  BOOST_TEST(fast.at("latency_ms").at("p50").as_double() > 0);
  BOOST_TEST(fast.at("latency_ms").at("p99").as_double() >= fast.at("latency_ms").at("p50").as_double());
  BOOST_TEST(fast.at("ttft_ms").at("p50").as_double() > 0);  // the two streams
  BOOST_TEST(fast.at("cost_usd").as_double() > 0);
  BOOST_TEST(solo.at("requests").to_number<std::int64_t>() == 2);
  BOOST_TEST(solo.at("unavailable").to_number<std::int64_t>() == 2);
  BOOST_TEST(solo.at("availability").as_double() == 0.0);
  BOOST_TEST(solo.at("errors").as_object().size() == 1u);
  BOOST_TEST(solo.at("errors").as_object().begin()->value().to_number<std::int64_t>() == 2);

  got = h.run(http_call(h.port(), http::verb::get, "/admin/sla?group=provider", "", admin), std::chrono::seconds(30));
  const auto by_provider = boost::json::parse(got.body);
  BOOST_TEST(row_of(by_provider, "a").at("requests").to_number<std::int64_t>() == 7);  // its 5 answers and the 2 it failed last
  BOOST_TEST(row_of(by_provider, "b").at("requests").to_number<std::int64_t>() == 5);

  got = h.run(http_call(h.port(), http::verb::get, "/admin/sla?group=key&format=csv", "", admin), std::chrono::seconds(30));
  BOOST_REQUIRE_EQUAL(got.status, 200u);
  BOOST_TEST(got.body.starts_with("key,requests,available,unavailable,client_errors,availability,failovers,"));
  BOOST_TEST(got.body.find("\ntest,12,10,2,0,0.833333,5,") != std::string::npos, got.body);
  // A range without these requests: nothing; a bad group: 400.
  got = h.run(http_call(h.port(), http::verb::get, "/admin/sla?from=2020-01-01&to=2020-01-02", "", admin), std::chrono::seconds(30));
  BOOST_TEST(boost::json::parse(got.body).at("rows").as_array().empty());
  BOOST_TEST(h.run(http_call(h.port(), http::verb::get, "/admin/sla?group=model", "", admin)).status == 400u);
  BOOST_TEST(h.run(http_call(h.port(), http::verb::get, "/admin/sla", "", auth_headers())).status == 401u);
}

}  // namespace switchyard::test::sla
