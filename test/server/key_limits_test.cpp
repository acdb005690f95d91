// Per-key rate limits and budgets over HTTP, the real gateway and the mock on
// loopback: the 429 an SDK understands, OpenAI's rate-limit headers, the
// Anthropic shape on /v1/messages, a concurrency slot held for a whole
// stream, a streamed answer's tokens counted, a budget spent.
#include <boost/test/unit_test.hpp>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/json.hpp>

#include <filesystem>
#include <unistd.h>

#include "support/gateway_harness.hpp"

using namespace switchyard;
using namespace switchyard::test;
using http::verb;
using std::chrono::milliseconds;

namespace {
std::string field(const HttpResult& r, const char* name) { return std::string(r.headers[name]); }
boost::json::object error_of(const HttpResult& r) { return boost::json::parse(r.body).as_object().at("error").as_object(); }
}  // namespace

BOOST_AUTO_TEST_CASE(over_the_requests_per_minute_a_key_gets_a_429_with_retry_after_and_the_headers) {
  GatewayHarness h({}, [](Config& c) { c.keys[0].limits.requests_per_minute = 2; });
  for (int i = 0; i < 2; ++i) {
    auto r = h.run(http_call(h.port(), verb::post, "/v1/chat/completions", chat_body(), auth_headers()));
    BOOST_REQUIRE_EQUAL(r.status, 200u);
    BOOST_TEST(field(r, "x-ratelimit-limit-requests") == "2");
    BOOST_TEST(field(r, "x-ratelimit-remaining-requests") == std::to_string(1 - i));
    BOOST_TEST(!field(r, "x-ratelimit-reset-requests").empty());
  }
  auto r = h.run(http_call(h.port(), verb::post, "/v1/chat/completions", chat_body(), auth_headers()));
  BOOST_REQUIRE_EQUAL(r.status, 429u);
  const auto e = error_of(r);
  BOOST_TEST(e.at("code").as_string() == "rate_limit_exceeded");
  BOOST_TEST(e.at("message").as_string() == "key 'test': 2 requests per minute");
  const int retry_after = std::stoi(field(r, "retry-after"));
  BOOST_TEST(retry_after >= 29);
  BOOST_TEST(retry_after <= 30);
  BOOST_TEST(field(r, "x-ratelimit-remaining-requests") == "0");
  BOOST_TEST(h.mock().stats().requests == 2u);  // the refused one never reached the provider

  auto m = h.run(http_call(h.port(), verb::post, "/v1/messages",
                           R"({"model":"fast","max_tokens":10,"messages":[{"role":"user","content":"hi"}]})", auth_headers()));
  BOOST_REQUIRE_EQUAL(m.status, 429u);
  const auto anthropic = boost::json::parse(m.body).as_object();
  BOOST_TEST(anthropic.at("type").as_string() == "error");
  BOOST_TEST(anthropic.at("error").as_object().at("type").as_string() == "rate_limit_error");
  BOOST_TEST(!field(m, "retry-after").empty());
}

BOOST_AUTO_TEST_CASE(a_concurrency_slot_is_held_until_the_last_byte_of_a_stream) {
  mock::MockOptions mo;
  mo.defaults.tokens = 10;
  mo.defaults.tokens_per_second = 50;  // a 200 ms stream
  GatewayHarness h(mo, [](Config& c) { c.keys[0].limits.concurrent = 1; });
  h.run([&]() -> asio::awaitable<void> {
    using namespace asio::experimental::awaitable_operators;
    auto streaming = http_call(h.port(), verb::post, "/v1/chat/completions", chat_body("fast", true), auth_headers());
    auto second = [&]() -> asio::awaitable<HttpResult> {
      co_await eventually([&] { return h.mock().stats().requests == 1; });  // the stream is open
      co_return co_await http_call(h.port(), verb::post, "/v1/chat/completions", chat_body(), auth_headers());
    };
    auto [stream, refused] = co_await (std::move(streaming) && second());
    BOOST_TEST(stream.status == 200u);
    BOOST_TEST(stream.body.find("[DONE]") != std::string::npos);
    BOOST_TEST(refused.status == 429u);
    BOOST_TEST(error_of(refused).at("message").as_string() == "key 'test': 1 concurrent requests");
    auto after = co_await http_call(h.port(), verb::post, "/v1/chat/completions", chat_body(), auth_headers());
    BOOST_TEST(after.status == 200u);  // the stream's end gave the slot back
  }());
}

BOOST_AUTO_TEST_CASE(a_streamed_answer_is_counted_against_the_token_limit_with_what_the_provider_reported) {
  // A day window: nothing refills between requests (a minute bucket refills ~1.7 tokens a millisecond at this size).
  GatewayHarness h({}, [](Config& c) { c.keys[0].limits.tokens_per_day = 100'000; });
  const std::string ask = chat_body("fast", false, R"(,"max_tokens":50)");  // "hello there": 2 tokens + 50 reserved
  auto first = h.run(http_call(h.port(), verb::post, "/v1/chat/completions", ask, auth_headers()));
  BOOST_TEST(field(first, "x-ratelimit-remaining-tokens") == "99948");
  auto streamed = h.run(http_call(h.port(), verb::post, "/v1/chat/completions", chat_body("fast", true, R"(,"max_tokens":50)"), auth_headers()));
  BOOST_REQUIRE_EQUAL(streamed.status, 200u);
  BOOST_TEST(streamed.body.find("\"usage\":{") == std::string::npos);  // the client did not ask for usage: not shown, still counted
  auto next = h.run(http_call(h.port(), verb::post, "/v1/chat/completions", ask, auth_headers()));
  // The mock reports 5 prompt + 16 completion tokens an answer: 21 for the first, 21 for the stream, and this one's 52 reserved.
  const auto remaining = std::stoul(field(next, "x-ratelimit-remaining-tokens"));
  BOOST_TEST(remaining <= 100'000u - 21u - 21u - 52u);
  BOOST_TEST(remaining >= 100'000u - 21u - 21u - 52u - 1u);  // (-1: the day's window may roll over during the test)
}

BOOST_AUTO_TEST_CASE(a_spent_budget_is_a_429_insufficient_quota_until_the_period_resets) {
  GatewayHarness h({}, [](Config& c) {
    c.models[0].targets[0].input_price = 1'000'000;  // $1 a token: one answer spends the budget
    c.models[0].targets[0].output_price = 1'000'000;
    c.keys[0].budget = BudgetConfig{5.0, BudgetPeriod::month};
  });
  auto first = h.run(http_call(h.port(), verb::post, "/v1/chat/completions", chat_body(), auth_headers()));
  BOOST_REQUIRE_EQUAL(first.status, 200u);
  auto second = h.run(http_call(h.port(), verb::post, "/v1/chat/completions", chat_body(), auth_headers()));
  BOOST_REQUIRE_EQUAL(second.status, 429u);
  const auto e = error_of(second);
  BOOST_TEST(e.at("type").as_string() == "insufficient_quota");
  BOOST_TEST(e.at("code").as_string() == "budget_exceeded");
  BOOST_TEST(std::string(e.at("message").as_string()).find("budget of $5") != std::string::npos);
  BOOST_TEST(std::stol(field(second, "retry-after")) > 0);
  BOOST_TEST(h.mock().stats().requests == 1u);
  const auto metrics = h.run(http_call(h.port(), verb::get, "/metrics", "", {})).body;
  BOOST_TEST(metrics.find("switchyard_limit_rejections_total{key=\"test\",limit=\"budget\"} 1") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_key_reads_its_own_budget_limits_and_period_totals) {
  GatewayHarness h({}, [](Config& c) {
    c.models[0].targets[0].input_price = 1.0;
    c.models[0].targets[0].output_price = 2.0;
    c.keys[0].budget = BudgetConfig{25.0, BudgetPeriod::month};
    c.keys[0].limits.requests_per_minute = 60;
  });
  BOOST_REQUIRE_EQUAL(h.run(http_call(h.port(), verb::post, "/v1/chat/completions", chat_body(), auth_headers())).status, 200u);
  auto r = h.run(http_call(h.port(), verb::get, "/v1/usage", "", auth_headers()));
  BOOST_REQUIRE_EQUAL(r.status, 200u);
  const auto u = boost::json::parse(r.body).as_object();
  BOOST_TEST(u.at("key").as_string() == "test");
  const auto& budget = u.at("budget").as_object();
  BOOST_TEST(budget.at("usd").as_double() == 25.0);
  BOOST_TEST(budget.at("period").as_string() == "month");
  // The mock reports 5 prompt and 16 completion tokens: 5 * $1 + 16 * $2 per million.
  BOOST_TEST(budget.at("spent_usd").as_double() == 37e-6, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(std::string(budget.at("resets_at").as_string()).size() == 20u);
  BOOST_TEST(u.at("limits").as_object().at("requests_per_minute").as_object().at("limit").as_int64() == 60);
  const auto& totals = u.at("period_totals").as_object();
  BOOST_TEST(totals.at("requests").as_int64() == 1);
  BOOST_TEST(totals.at("completion_tokens").as_int64() == 16);
  BOOST_TEST(totals.at("cost_usd").as_double() == 37e-6, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(h.run(http_call(h.port(), verb::get, "/v1/usage", "", {})).status == 401u);
}

BOOST_AUTO_TEST_CASE(the_admin_reads_usage_grouped_as_json_or_csv) {
  GatewayHarness h({}, [](Config& c) {
    c.server.admin_key = "admin-key-0123456789";
    c.models[0].targets[0].output_price = 1'000'000;  // $1 a completion token
  });
  for (int i = 0; i < 2; ++i) h.run(http_call(h.port(), verb::post, "/v1/chat/completions", chat_body(), auth_headers()));
  h.run(http_call(h.port(), verb::post, "/v1/chat/completions", chat_body("nope"), auth_headers()));  // 404: an error row
  const Headers admin{{"authorization", "Bearer admin-key-0123456789"}};
  auto j = h.run(http_call(h.port(), verb::get, "/admin/usage?group_by=route", "", admin));
  BOOST_REQUIRE_EQUAL(j.status, 200u);
  const auto doc = boost::json::parse(j.body).as_object();
  BOOST_TEST(doc.at("group_by").as_string() == "route");
  const auto& rows = doc.at("rows").as_array();
  BOOST_REQUIRE_EQUAL(rows.size(), 2u);
  const auto& fast = rows[0].as_object().at("route").as_string() == "fast" ? rows[0].as_object() : rows[1].as_object();
  BOOST_TEST(fast.at("requests").as_int64() == 2);
  BOOST_TEST(fast.at("errors").as_int64() == 0);
  BOOST_TEST(fast.at("cost_usd").as_double() == 32.0, boost::test_tools::tolerance(1e-9));
  auto csv = h.run(http_call(h.port(), verb::get, "/admin/usage?group_by=key&format=csv&from=2020-01-01", "", admin));
  BOOST_REQUIRE_EQUAL(csv.status, 200u);
  BOOST_TEST(field(csv, "content-type") == "text/csv");
  BOOST_TEST(csv.body.find("key,requests,errors,prompt_tokens,cached_tokens,completion_tokens,reasoning_tokens,cost_usd,cache_hits,saved_usd\r\n") == 0u);
  BOOST_TEST(csv.body.find("test,3,1,") != std::string::npos, csv.body);
  BOOST_TEST(h.run(http_call(h.port(), verb::get, "/admin/usage?group_by=color", "", admin)).status == 400u);
  BOOST_TEST(h.run(http_call(h.port(), verb::get, "/admin/usage?from=yesterday", "", admin)).status == 400u);
  BOOST_TEST(h.run(http_call(h.port(), verb::get, "/admin/usage", "", auth_headers())).status == 401u);  // a client key is not the admin key
}

BOOST_AUTO_TEST_CASE(a_restart_keeps_the_spend_of_the_period) {
  const auto path = std::filesystem::temp_directory_path() / ("switchyard-ledger-" + std::to_string(::getpid()) + ".db");
  std::filesystem::remove(path);
  auto setup = [&](Config& c) {
    c.usage.path = path.string();
    c.models[0].targets[0].output_price = 1'000'000;
    c.keys[0].budget = BudgetConfig{10.0, BudgetPeriod::month};
  };
  {
    GatewayHarness h({}, setup);
    BOOST_REQUIRE_EQUAL(h.run(http_call(h.port(), verb::post, "/v1/chat/completions", chat_body(), auth_headers())).status, 200u);
  }  // the gateway stops: its ledger writes what is queued
  GatewayHarness again({}, setup);
  auto r = again.run(http_call(again.port(), verb::post, "/v1/chat/completions", chat_body(), auth_headers()));
  BOOST_TEST(r.status == 429u);  // $16 spent before the restart, of $10
  BOOST_TEST(error_of(r).at("code").as_string() == "budget_exceeded");
  std::filesystem::remove(path);
  std::filesystem::remove(path.string() + "-wal");
  std::filesystem::remove(path.string() + "-shm");
}

BOOST_AUTO_TEST_CASE(a_provider_at_its_declared_quota_is_routed_around_and_providers_shows_what_is_left) {
  GatewayHarness h({}, [](Config& c) {
    mock_fleet(c, {"a", "b"}, "key-", milliseconds(2000));
    c.models[0].targets = {TargetConfig{"a", "mock-a"}, TargetConfig{"b", "mock-b"}};
    c.providers[0].limits.requests_per_minute = 1;
    c.server.admin_key = "admin-key-0123456789";
  });
  for (int i = 0; i < 3; ++i) BOOST_REQUIRE_EQUAL(h.run(http_call(h.port(), verb::post, "/v1/chat/completions", chat_body(), auth_headers())).status, 200u);
  auto by_key = h.mock().stats().requests_by_authorization;
  BOOST_TEST(by_key["Bearer key-a"] == 1u);  // a took one, then was skipped before it could answer 429
  BOOST_TEST(by_key["Bearer key-b"] == 2u);
  auto p = h.run(http_call(h.port(), verb::get, "/v1/providers", "", {{"authorization", "Bearer admin-key-0123456789"}}));
  BOOST_REQUIRE_EQUAL(p.status, 200u);
  bool seen = false;
  const auto doc = boost::json::parse(p.body);
  for (const auto& t : doc.as_object().at("targets").as_array()) {
    const auto& o = t.as_object();
    if (o.at("provider").as_string() != "a") continue;
    const auto& q = o.at("quota").as_object().at("requests").as_object();
    BOOST_TEST(q.at("limit").as_int64() == 1);
    BOOST_TEST(q.at("remaining").as_int64() == 0);
    BOOST_TEST(q.at("reset_ms").as_int64() > 0);
    seen = true;
  }
  BOOST_TEST(seen);
}

BOOST_AUTO_TEST_CASE(a_provider_reporting_no_quota_left_in_its_headers_is_switched_from_before_it_says_429) {
  GatewayHarness h({}, [](Config& c) {
    mock_fleet(c, {"a", "b"}, "key-", milliseconds(2000));
    c.models[0].targets = {TargetConfig{"a", "mock-a"}, TargetConfig{"b", "mock-b"}};
  });
  // a answers, and says in OpenAI's headers that no request is left for 30 s.
  const std::string last = chat_body("fast", false, R"(,"mock":{"ratelimit_remaining_requests":0,"ratelimit_reset_requests":"30s"})");
  BOOST_REQUIRE_EQUAL(h.run(http_call(h.port(), verb::post, "/v1/chat/completions", last, auth_headers())).status, 200u);
  for (int i = 0; i < 2; ++i) BOOST_REQUIRE_EQUAL(h.run(http_call(h.port(), verb::post, "/v1/chat/completions", chat_body(), auth_headers())).status, 200u);
  auto by_key = h.mock().stats().requests_by_authorization;
  BOOST_TEST(by_key["Bearer key-a"] == 1u);
  BOOST_TEST(by_key["Bearer key-b"] == 2u);
}

BOOST_AUTO_TEST_CASE(a_stream_the_client_cancels_is_charged_what_it_used) {
  mock::MockOptions mo;
  mo.defaults.tokens = 100;
  mo.defaults.tokens_per_second = 20;  // a 5 s answer, cut after a few chunks
  GatewayHarness h(mo, [](Config& c) {
    c.models[0].targets[0].output_price = 1'000'000;  // $1 a completion token
    c.keys[0].budget = BudgetConfig{1000.0, BudgetPeriod::month};
    c.keys[0].limits.concurrent = 1;
  });
  h.run([&]() -> asio::awaitable<void> {
    TestClient c(co_await asio::this_coro::executor);
    BOOST_REQUIRE(!co_await c.connect(h.port()));
    BOOST_REQUIRE(!co_await c.send(verb::post, "/v1/chat/completions", chat_body("fast", true), auth_headers()));
    BOOST_REQUIRE_EQUAL((co_await c.read_header()).status, 200u);
    co_await c.read_body_until("\"content\":\" from\"");  // a few chunks in
    c.close();
    co_await eventually([&] { return h.mock().open_connections() == 0; }, std::chrono::seconds(3));
    auto r = co_await http_call(h.port(), verb::get, "/v1/usage", "", auth_headers());  // the slot is free again: no 429
    BOOST_REQUIRE_EQUAL(r.status, 200u);
    const auto u = boost::json::parse(r.body).as_object();
    const double spent = u.at("budget").as_object().at("spent_usd").as_double();
    BOOST_TEST(spent >= 2.0);   // the chunks relayed before the cut, about a token each
    BOOST_TEST(spent < 100.0);  // not the whole answer
    const auto& totals = u.at("period_totals").as_object();
    BOOST_TEST(totals.at("requests").as_int64() == 1);
    BOOST_TEST(totals.at("cost_usd").as_double() == spent, boost::test_tools::tolerance(1e-9));
  }());
}

BOOST_AUTO_TEST_CASE(a_cut_stream_is_charged_its_prompt_not_only_the_chunks_relayed) {
  // 20 cut streams sent 80,000 prompt tokens upstream and were charged 40 completion tokens.
  mock::MockOptions mo;
  mo.defaults.tokens = 100;
  mo.defaults.tokens_per_second = 20;
  GatewayHarness h(mo, [](Config& c) {
    c.models[0].targets[0].input_price = 1'000'000;  // $1 a prompt token
    c.keys[0].budget = BudgetConfig{100'000.0, BudgetPeriod::month};
  });
  const std::string prompt(8000, 'w');  // ~2,000 tokens as the gateway estimates them
  h.run([&]() -> asio::awaitable<void> {
    TestClient c(co_await asio::this_coro::executor);
    BOOST_REQUIRE(!co_await c.connect(h.port()));
    const std::string body = R"({"model":"fast","stream":true,"messages":[{"role":"user","content":")" + prompt + R"("}]})";
    BOOST_REQUIRE(!co_await c.send(verb::post, "/v1/chat/completions", body, auth_headers()));
    BOOST_REQUIRE_EQUAL((co_await c.read_header()).status, 200u);
    co_await c.read_body_until("\"content\"");  // the first chunk, then the client leaves
    c.close();
    co_await eventually([&] { return h.mock().open_connections() == 0; }, std::chrono::seconds(3));
    auto r = co_await http_call(h.port(), verb::get, "/v1/usage", "", auth_headers());
    BOOST_REQUIRE_EQUAL(r.status, 200u);
    const auto u = boost::json::parse(r.body).as_object();
    const auto& totals = u.at("period_totals").as_object();
    BOOST_TEST(totals.at("prompt_tokens").as_int64() >= 1900, r.body);  // the estimate, not 0
    BOOST_TEST(u.at("budget").as_object().at("spent_usd").as_double() >= 1900.0);
  }());
}

BOOST_AUTO_TEST_CASE(a_budget_counts_a_model_named_directly_and_refuses_an_unpriced_one) {
  // "provider/model" built an unpriced target: 40 requests spent $0.00 of a $0.05 budget.
  GatewayHarness h({}, [](Config& c) {
    c.models[0].targets[0].input_price = 1'000'000;
    c.models[0].targets[0].output_price = 1'000'000;
    c.keys[0].budget = BudgetConfig{100'000.0, BudgetPeriod::month};
    c.keys.push_back(KeyConfig{"free", "sy-free-key-0000001", {}});
    c.default_provider = "mock";
  });
  // The same model as a route prices: priced as the route prices it.
  auto priced = h.run(http_call(h.port(), verb::post, "/v1/chat/completions", chat_body("mock/mock-fast"), auth_headers()));
  BOOST_REQUIRE_EQUAL(priced.status, 200u);
  auto u = h.run(http_call(h.port(), verb::get, "/v1/usage", "", auth_headers()));
  BOOST_TEST(boost::json::parse(u.body).at("budget").at("spent_usd").as_double() > 0.0, u.body);
  // A model no route prices, by name or through the default provider: refused for a budgeted key.
  for (const char* model : {"mock/some-other-model", "unrouted-model"}) {
    auto r = h.run(http_call(h.port(), verb::post, "/v1/chat/completions", chat_body(model), auth_headers()));
    BOOST_TEST_CONTEXT(model) {
      BOOST_TEST(r.status == 403u);
      BOOST_TEST(error_of(r).at("message").as_string().find("no price") != std::string_view::npos, r.body);
    }
  }
  // A key without a budget may still use it.
  BOOST_TEST(h.run(http_call(h.port(), verb::post, "/v1/chat/completions", chat_body("mock/some-other-model"),
                             auth_headers("sy-free-key-0000001"))).status == 200u);
}

BOOST_AUTO_TEST_CASE(requests_sent_at_once_cannot_all_pass_a_budget_with_room_for_one) {
  // 30 concurrent requests of ~$0.01 each all passed a $0.001 budget (306x overspend).
  mock::MockOptions mo;
  mo.defaults.ttft = milliseconds(100);  // all 30 are in flight together
  GatewayHarness h(mo, [](Config& c) {
    c.models[0].targets[0].input_price = 10;
    c.models[0].targets[0].output_price = 30;
    c.keys[0].budget = BudgetConfig{0.001, BudgetPeriod::month};
  });
  const std::string body = R"({"model":"fast","max_tokens":100,"messages":[{"role":"user","content":")" + std::string(4000, 'q') + R"("}]})";
  int ok = 0, refused = 0;
  h.run([&]() -> asio::awaitable<void> {
    std::vector<std::shared_ptr<HttpResult>> results;
    auto ex = co_await asio::this_coro::executor;
    int done = 0;
    for (int i = 0; i < 30; ++i) {
      auto slot = std::make_shared<HttpResult>();
      results.push_back(slot);
      asio::co_spawn(ex, [&, slot]() -> asio::awaitable<void> {
        *slot = co_await http_call(h.port(), verb::post, "/v1/chat/completions", body, auth_headers());
        ++done;
      }, asio::detached);
    }
    co_await eventually([&] { return done == 30; }, std::chrono::seconds(10));
    for (const auto& r : results) {
      if (r->status == 200u) ++ok;
      if (r->status == 429u) ++refused;
    }
  }());
  BOOST_TEST(ok == 1);
  BOOST_TEST(refused == 29);
}

BOOST_AUTO_TEST_CASE(refused_requests_are_sampled_into_the_ledger_not_a_row_each) {
  // A key at requests_per_minute = 1 sending 20,000 requests wrote 20,000 rows (429s included).
  GatewayHarness h({}, [](Config& c) {
    c.keys[0].limits.requests_per_minute = 1;
    c.server.admin_key = "admin-key-0123456789";
  });
  int refused = 0;
  for (int i = 0; i < 40; ++i) {
    auto r = h.run(http_call(h.port(), verb::post, "/v1/chat/completions", chat_body(), auth_headers()));
    refused += r.status == 429u ? 1 : 0;
  }
  BOOST_TEST(refused == 39);
  auto rows = h.run(h.gateway().usage(0, std::numeric_limits<std::int64_t>::max(), "key", "")).value();
  BOOST_REQUIRE_EQUAL(rows.size(), 1u);
  BOOST_TEST(rows[0].requests <= 1u + 3u);  // the answered one, and one refused row a second at most
  BOOST_TEST(rows[0].refused >= 1u);
  const auto m = h.run(http_call(h.port(), verb::get, "/metrics", "", {})).body;
  BOOST_TEST(metric(m, R"(switchyard_refused_requests_total{ledger="row"})") + metric(m, R"(switchyard_refused_requests_total{ledger="sampled_out"})") == 39.0);
}

BOOST_AUTO_TEST_CASE(a_usage_csv_never_hands_a_spreadsheet_a_formula) {
  GatewayHarness h({}, [](Config& c) { c.server.admin_key = "admin-key-0123456789"; });
  for (const char* model : {"=HYPERLINK(\\\"http://x\\\")", "@SUM(A1)", "+1", "-2", "plain"}) {
    h.run(http_call(h.port(), verb::post, "/v1/chat/completions", chat_body(model), auth_headers()));  // 404s: rows with the route
  }
  const Headers admin{{"authorization", "Bearer admin-key-0123456789"}};
  auto csv = h.run(http_call(h.port(), verb::get, "/admin/usage?group_by=route&format=csv&from=2020-01-01", "", admin));
  BOOST_REQUIRE_EQUAL(csv.status, 200u);
  std::size_t at = 0;
  int lines = 0;
  while ((at = csv.body.find("\r\n", at)) != std::string::npos) {
    at += 2;
    if (at >= csv.body.size()) break;
    ++lines;
    const char first = csv.body[at] == '"' ? csv.body[at + 1] : csv.body[at];
    BOOST_TEST(std::string("=+-@\t\r").find(first) == std::string::npos, csv.body.substr(at, 40));
  }
  BOOST_TEST(lines == 5);
  BOOST_TEST(csv.body.find("\"'=HYPERLINK") != std::string::npos, csv.body);
  BOOST_TEST(csv.body.find("plain,") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(count_tokens_has_a_ledger_row) {
  GatewayHarness h;
  auto r = h.run(http_call(h.port(), verb::post, "/v1/messages/count_tokens",
                           R"({"model":"fast","messages":[{"role":"user","content":"count me"}]})", auth_headers()));
  BOOST_REQUIRE_EQUAL(r.status, 200u);
  auto rows = h.run(h.gateway().usage(0, std::numeric_limits<std::int64_t>::max(), "route", "")).value();
  BOOST_REQUIRE_EQUAL(rows.size(), 1u);
  BOOST_TEST(rows[0].group == "fast");
  BOOST_TEST(rows[0].requests == 1u);
}

BOOST_AUTO_TEST_CASE(server_tools_off_on_a_route_or_a_key_refuse_provider_run_tools) {
  GatewayHarness h({}, [](Config& c) {
    c.models.push_back(c.models[0]);
    c.models.back().name = "no-hosted";
    c.models.back().server_tools = false;
    c.keys.push_back(KeyConfig{"locked", "sy-locked-key-0000001", {}});
    c.keys.back().server_tools = false;
  });
  const std::string search = R"({"model":"no-hosted","input":"news?","tools":[{"type":"web_search"}]})";
  auto r = h.run(http_call(h.port(), verb::post, "/v1/responses", search, auth_headers()));
  BOOST_TEST(r.status == 400u);
  BOOST_TEST(r.body.find("web_search") != std::string::npos, r.body);
  BOOST_TEST(r.body.find("server_tools") != std::string::npos, r.body);
  const std::string claude = R"({"model":"fast","max_tokens":20,"messages":[{"role":"user","content":"x"}],"tools":[{"type":"web_search_20250305","name":"web_search"}]})";
  auto m = h.run(http_call(h.port(), verb::post, "/v1/messages", claude, auth_headers("sy-locked-key-0000001")));
  BOOST_TEST(m.status == 400u);
  BOOST_TEST(m.body.find("locked") != std::string::npos, m.body);
  BOOST_TEST(h.mock().stats().requests == 0u);
  // Allowed where it is on (the default), and function tools always.
  BOOST_TEST(h.run(http_call(h.port(), verb::post, "/v1/messages", claude, auth_headers())).status == 200u);
  BOOST_TEST(h.run(http_call(h.port(), verb::post, "/v1/chat/completions",
                             chat_body("no-hosted", false, R"(,"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}])"),
                             auth_headers("sy-locked-key-0000001"))).status == 200u);
}

BOOST_AUTO_TEST_CASE(a_whole_request_whose_client_leaves_is_charged_its_prompt) {
  // The provider had the request and bills it; the key was charged nothing.
  mock::MockOptions mo;
  mo.defaults.ttft = milliseconds(1500);
  GatewayHarness h(mo, [](Config& c) {
    c.models[0].targets[0].input_price = 1'000'000;
    c.keys[0].budget = BudgetConfig{100'000.0, BudgetPeriod::month};
  });
  h.run([&]() -> asio::awaitable<void> {
    TestClient c(co_await asio::this_coro::executor);
    BOOST_REQUIRE(!co_await c.connect(h.port()));
    const std::string body = R"({"model":"fast","messages":[{"role":"user","content":")" + std::string(4000, 'w') + R"("}]})";
    BOOST_REQUIRE(!co_await c.send(verb::post, "/v1/chat/completions", body, auth_headers()));
    co_await eventually([&] { return h.mock().stats().requests == 1u; }, std::chrono::seconds(3));
    c.close();  // gone before the answer
    co_await eventually([&] { return h.mock().open_connections() == 0; }, std::chrono::seconds(5));
    auto r = co_await http_call(h.port(), verb::get, "/v1/usage", "", auth_headers());
    const auto u = boost::json::parse(r.body).as_object();
    BOOST_TEST(u.at("period_totals").at("prompt_tokens").as_int64() >= 950, r.body);
    BOOST_TEST(u.at("budget").at("spent_usd").as_double() >= 950.0, r.body);
  }());
}
