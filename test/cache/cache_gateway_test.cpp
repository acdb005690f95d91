// Integration: the response cache through the real gateway and the mock, over
// HTTP and through the embedded API: hits never reach the provider and are
// byte-identical to the miss, whole and streamed in every combination (tool
// calls too); keys are scoped; errors and cut streams are never stored; the
// client's Cache-Control is obeyed; identical requests in flight are
// coalesced (a hundred at once reach the provider once), and a reader that
// leaves, the leader's own client included, leaves the others alone.
#include <boost/test/unit_test.hpp>

#include <boost/json.hpp>

#include <boost/asio/redirect_error.hpp>

#include <limits>

#include "support/gateway_harness.hpp"

using namespace switchyard;
using namespace switchyard::test;
using http::verb;
namespace json = boost::json;
using std::chrono::milliseconds;

namespace {

constexpr const char* kOtherKey = "sy-test-client-key-0002";

// Routes on the one mock: "fast" (OpenAI type, cached), "plain" (same target,
// not cached), "tools" (an anthropic provider, cached: tool calls come back
// translated into OpenAI chunks). Two keys.
std::function<void(Config&)> caching(bool per_key = true) {
  return [per_key](Config& c) {
    c.cache.enabled = true;
    c.cache.per_key = per_key;
    ProviderConfig ant = c.providers[0];
    ant.name = "ant";
    ant.type = ProviderType::anthropic;
    ant.base_url = ant.base_url.substr(0, ant.base_url.size() - 3);
    c.providers.push_back(ant);
    TargetConfig priced{"mock", "mock-fast"};
    priced.input_price = 1.0;
    priced.output_price = 2.0;
    c.models = {ModelRouteConfig{"fast", Strategy::failover, {priced}}, ModelRouteConfig{"plain", Strategy::failover, {priced}},
                ModelRouteConfig{"tools", Strategy::failover, {TargetConfig{"ant", "claude-x"}}}};
    c.models[0].cache = true;
    c.models[2].cache = true;
    c.keys.push_back(KeyConfig{"other", kOtherKey, {}});
    c.resilience.attempts_per_target = 1;
  };
}

const std::string kTools =
    R"(,"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}])";

std::string body_for(const std::string& model, const std::string& text, bool stream, const std::string& extra = "") {
  return R"({"model":")" + model + R"(","max_tokens":50,"messages":[{"role":"user","content":")" + text + "\"}]" +
         (stream ? R"(,"stream":true,"stream_options":{"include_usage":true})" : "") + extra + "}";
}

HttpResult ask(GatewayHarness& h, const std::string& body, Headers headers = auth_headers()) {
  return h.run(http_call(h.port(), verb::post, "/v1/chat/completions", body, std::move(headers)));
}

std::string cache_header(const HttpResult& r) {
  auto it = r.headers.find("x-switchyard-cache");
  return it == r.headers.end() ? std::string("(none)") : std::string(it->value());
}

// What a whole answer says, in the shape read_streamed_answer gives a stream.
StreamedAnswer read_whole_answer(const std::string& body) {
  StreamedAnswer a;
  const auto j = json::parse(body).as_object();
  const auto& choice = j.at("choices").as_array()[0].as_object();
  const auto& m = choice.at("message").as_object();
  if (const auto* c = m.if_contains("content"); c && c->is_string()) a.text = std::string(c->as_string());
  if (const auto* calls = m.if_contains("tool_calls")) {
    const auto& fn = calls->as_array()[0].at("function").as_object();
    a.tool_name = std::string(fn.at("name").as_string());
    a.tool_args = std::string(fn.at("arguments").as_string());
  }
  a.finish = std::string(choice.at("finish_reason").as_string());
  if (const auto* u = j.if_contains("usage")) a.completion_tokens = u->at("completion_tokens").as_int64();
  return a;
}

StreamedAnswer read_any(const HttpResult& r, bool stream) { return stream ? read_streamed_answer(r.body) : read_whole_answer(r.body); }

std::string metrics(GatewayHarness& h) { return h.gateway().metrics_text(); }

// `n` identical chat requests sent at once, each on its own connection; their answers.
std::vector<HttpResult> at_once(GatewayHarness& h, int n, const std::string& body) {
  std::vector<HttpResult> results(static_cast<std::size_t>(n));
  h.run([&]() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    int done = 0;
    asio::steady_timer all(ex, asio::steady_timer::time_point::max());
    for (int i = 0; i < n; ++i) {
      asio::co_spawn(ex, http_call(h.port(), verb::post, "/v1/chat/completions", body, auth_headers()),
                     [&, i](std::exception_ptr, HttpResult r) {
                       results[static_cast<std::size_t>(i)] = std::move(r);
                       if (++done == n) all.cancel();
                     });
    }
    boost::system::error_code ec;
    co_await all.async_wait(asio::redirect_error(asio::use_awaitable, ec));  // bounded by h.run's limit
  }());
  return results;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(response_cache_gateway)

BOOST_AUTO_TEST_CASE(a_second_identical_request_is_a_hit_that_never_reaches_the_provider) {
  GatewayHarness h({}, caching());
  const auto body = body_for("fast", "hello", false);
  auto first = ask(h, body);
  BOOST_REQUIRE_EQUAL(first.status, 200u);
  BOOST_TEST(cache_header(first) == "miss");
  BOOST_TEST(h.mock().stats().requests == 1u);
  // Key order and the stream flag's absence do not matter; the answer is the same bytes.
  auto second = ask(h, R"({"messages":[{"content":"hello","role":"user"}],"max_tokens":50,"model":"fast"})");
  BOOST_REQUIRE_EQUAL(second.status, 200u);
  BOOST_TEST(cache_header(second) == "hit");
  BOOST_TEST(std::string(second.headers["age"]) == "0");
  BOOST_TEST(second.body == first.body);
  BOOST_TEST(h.mock().stats().requests == 1u);
  // Any other difference is another entry.
  auto other = ask(h, body_for("fast", "hello!", false));
  BOOST_TEST(cache_header(other) == "miss");
  BOOST_TEST(h.mock().stats().requests == 2u);
  // A route without `cache` never caches and says nothing.
  ask(h, body_for("plain", "hello", false));
  auto plain = ask(h, body_for("plain", "hello", false));
  BOOST_TEST(cache_header(plain) == "(none)");
  BOOST_TEST(h.mock().stats().requests == 4u);

  const auto m = metrics(h);
  BOOST_TEST(metric(m, R"(switchyard_cache_requests_total{route="fast",result="hit"})") == 1);
  BOOST_TEST(metric(m, R"(switchyard_cache_requests_total{route="fast",result="miss"})") == 2);
  BOOST_TEST(metric(m, "switchyard_cache_entries") == 2);
  BOOST_TEST(metric(m, "switchyard_cache_bytes") > 0);
  BOOST_TEST(metric(m, "switchyard_cache_saved_usd_total") > 0);
  // The ledger: the hit is a request with cost 0 and the cost it saved.
  auto totals = h.run(h.gateway().usage(0, std::numeric_limits<std::int64_t>::max(), "route", "")).value();
  BOOST_REQUIRE(!totals.empty());
  const auto& fast = totals.front();
  BOOST_TEST(fast.group == "fast");
  BOOST_TEST(fast.requests == 3u);
  BOOST_TEST(fast.cache_hits == 1u);
  const auto first_usage = json::parse(first.body).at("usage");
  const double first_cost = (first_usage.at("prompt_tokens").to_number<double>() * 1.0 + first_usage.at("completion_tokens").to_number<double>() * 2.0) / 1e6;
  BOOST_TEST(fast.saved_usd == first_cost, boost::test_tools::tolerance(1e-9));
  BOOST_TEST(fast.cost_usd == 2 * first_cost, boost::test_tools::tolerance(1e-9));
}

BOOST_AUTO_TEST_CASE(streamed_and_whole_hits_in_every_combination_with_text_and_tool_calls) {
  GatewayHarness h({}, caching());
  int n = 0;
  for (const std::string route : {"fast", "tools"}) {
    for (const bool first_stream : {false, true}) {
      for (const bool second_stream : {false, true}) {
        BOOST_TEST_CONTEXT("route " << route << ", first " << (first_stream ? "streamed" : "whole") << ", then "
                                    << (second_stream ? "streamed" : "whole")) {
          const std::string text = "question " + std::to_string(++n);
          const std::string extra = route == "tools" ? kTools : "";
          const auto before = h.mock().stats().requests;
          auto miss = ask(h, body_for(route, text, first_stream, extra));
          BOOST_REQUIRE_EQUAL(miss.status, 200u);
          BOOST_TEST(cache_header(miss) == "miss");
          auto hit = ask(h, body_for(route, text, second_stream, extra));
          BOOST_REQUIRE_EQUAL(hit.status, 200u);
          BOOST_TEST(cache_header(hit) == "hit");
          BOOST_TEST(h.mock().stats().requests == before + 1);
          if (first_stream == second_stream) {
            BOOST_TEST(hit.body == miss.body);  // the same bytes
          }
          const auto a = read_any(miss, first_stream), b = read_any(hit, second_stream);
          BOOST_TEST(b.text == a.text);
          BOOST_TEST(b.tool_name == a.tool_name);
          BOOST_TEST(b.tool_args == a.tool_args);
          BOOST_TEST(b.finish == a.finish);
          BOOST_TEST(b.completion_tokens == a.completion_tokens);
          if (route == "tools") {
            BOOST_TEST(b.tool_name == "get_weather");
            BOOST_TEST(b.finish == "tool_calls");
          } else {
            BOOST_TEST(!b.text.empty());
          }
          if (second_stream) BOOST_TEST(read_streamed_answer(hit.body).done);
        }
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(a_cached_stream_leaves_out_or_adds_the_usage_chunk_as_the_client_asked) {
  GatewayHarness h({}, caching());
  const std::string base = R"({"model":"fast","messages":[{"role":"user","content":"usage?"}],"stream":true)";
  auto with_usage = ask(h, base + R"(,"stream_options":{"include_usage":true}})");
  BOOST_TEST(read_streamed_answer(with_usage.body).completion_tokens == 16);
  auto without = ask(h, base + "}");
  BOOST_TEST(cache_header(without) == "hit");
  BOOST_TEST(read_streamed_answer(without.body).completion_tokens == -1);  // no usage chunk
  BOOST_TEST(read_streamed_answer(without.body).text == read_streamed_answer(with_usage.body).text);

  const std::string other = R"({"model":"fast","messages":[{"role":"user","content":"usage later"}],"stream":true)";
  ask(h, other + "}");
  auto asked = ask(h, other + R"(,"stream_options":{"include_usage":true}})");
  BOOST_TEST(cache_header(asked) == "hit");
  BOOST_TEST(read_streamed_answer(asked.body).completion_tokens == 16);  // made from the stored usage
}

BOOST_AUTO_TEST_CASE(one_keys_entries_are_never_served_to_another_key_unless_the_scope_is_global) {
  {
    GatewayHarness h({}, caching(true));
    const auto body = body_for("fast", "scoped", false);
    BOOST_TEST(cache_header(ask(h, body)) == "miss");
    BOOST_TEST(cache_header(ask(h, body, auth_headers(kOtherKey))) == "miss");
    BOOST_TEST(h.mock().stats().requests == 2u);
    BOOST_TEST(cache_header(ask(h, body, auth_headers(kOtherKey))) == "hit");
  }
  {
    GatewayHarness h({}, caching(false));
    const auto body = body_for("fast", "shared", false);
    BOOST_TEST(cache_header(ask(h, body)) == "miss");
    BOOST_TEST(cache_header(ask(h, body, auth_headers(kOtherKey))) == "hit");
    BOOST_TEST(h.mock().stats().requests == 1u);
  }
}

BOOST_AUTO_TEST_CASE(errors_and_cut_streams_are_never_stored) {
  GatewayHarness h({}, caching());
  // The mock's test object is not part of the key: the same request, failing first.
  const std::string whole = body_for("fast", "fails first", false);
  auto failed = ask(h, whole.substr(0, whole.size() - 1) + R"(,"mock":{"status":500}})");
  BOOST_TEST(failed.status >= 500u);
  auto after = ask(h, whole);
  BOOST_TEST(after.status == 200u);
  BOOST_TEST(cache_header(after) == "miss");

  for (const char* fault : {"error-after:3", "reset-after:3"}) {
    BOOST_TEST_CONTEXT(fault) {
      const std::string streamed = body_for("fast", std::string("cut ") + fault, true);
      auto cut = ask(h, streamed.substr(0, streamed.size() - 1) + R"(,"mock":{"fault":")" + fault + "\"}}");
      BOOST_TEST(cut.status == 200u);
      BOOST_TEST(cut.body.find("[DONE]") == std::string::npos);  // ended with an error event, no clean end
      BOOST_TEST(cut.body.find("\"error\"") != std::string::npos);
      const auto before = h.mock().stats().requests;
      auto again = ask(h, streamed);
      BOOST_TEST(cache_header(again) == "miss");
      BOOST_TEST(read_streamed_answer(again.body).done);
      BOOST_TEST(h.mock().stats().requests == before + 1);
    }
  }
  // A 4xx (the provider refused the request) is not stored either.
  auto refused = ask(h, whole.substr(0, whole.size() - 1) + R"(,"temperature":1,"mock":{"status":400}})");
  BOOST_TEST(refused.status == 400u);
  auto retried = ask(h, whole.substr(0, whole.size() - 1) + R"(,"temperature":1})");
  BOOST_TEST(retried.status == 200u);
  BOOST_TEST(cache_header(retried) == "miss");
}

BOOST_AUTO_TEST_CASE(cache_control_no_store_no_cache_max_age_and_off) {
  GatewayHarness h({}, caching());
  auto with = [](std::string name, std::string value) {
    auto hs = auth_headers();
    hs.emplace_back(std::move(name), std::move(value));
    return hs;
  };
  const auto body = body_for("fast", "controlled", false);
  BOOST_TEST(cache_header(ask(h, body, with("cache-control", "no-store"))) == "miss");
  BOOST_TEST(cache_header(ask(h, body)) == "miss");  // nothing was stored; this one is
  BOOST_TEST(h.mock().stats().requests == 2u);
  BOOST_TEST(cache_header(ask(h, body, with("Cache-Control", "No-Cache"))) == "miss");  // fresh, and stored again
  BOOST_TEST(h.mock().stats().requests == 3u);
  BOOST_TEST(cache_header(ask(h, body, with("cache-control", "max-age=0"))) == "miss");  // nothing is young enough
  BOOST_TEST(cache_header(ask(h, body, with("cache-control", "private, max-age=3600"))) == "hit");
  BOOST_TEST(cache_header(ask(h, body, with("x-switchyard-cache", "off"))) == "bypass");
  BOOST_TEST(cache_header(ask(h, body, with("cache-control", "no-cache, no-store"))) == "bypass");
  BOOST_TEST(cache_header(ask(h, body, with("cache-control", "max-age=banana"))) == "hit");  // ignored, not an error
  BOOST_TEST(h.mock().stats().requests == 6u);
  BOOST_TEST(metric(metrics(h), R"(switchyard_cache_requests_total{route="fast",result="bypass"})") == 2);
}

BOOST_AUTO_TEST_CASE(a_hundred_identical_requests_at_once_reach_the_provider_once) {
  GatewayHarness h({}, caching());
  for (const bool stream : {false, true}) {
    BOOST_TEST_CONTEXT((stream ? "streamed" : "whole")) {
      const std::string text = stream ? "together streamed" : "together";
      const std::string body = body_for("fast", text, stream);
      // The first answer takes 300 ms: the other 99 arrive while it is in flight.
      const std::string slow = body.substr(0, body.size() - 1) + R"(,"mock":{"ttft_ms":300}})";
      const auto before = h.mock().stats().requests;
      const auto results = at_once(h, 100, slow);
      BOOST_TEST(h.mock().stats().requests == before + 1);
      int misses = 0;
      for (const auto& r : results) {
        BOOST_TEST(r.status == 200u);
        BOOST_TEST(r.body == results[0].body);
        misses += cache_header(r) == "miss";
      }
      BOOST_TEST(misses == 1);
      BOOST_TEST(metric(metrics(h), R"(switchyard_cache_requests_total{route="fast",result="coalesced"})") == (stream ? 198 : 99));
    }
  }
}

BOOST_AUTO_TEST_CASE(a_provider_error_reaches_every_waiting_request_once) {
  GatewayHarness h({}, caching());
  const std::string body = body_for("fast", "fails for all", true);
  // The stream fails before its first chunk, 300 ms in: by then all ten wait on it.
  const std::string failing = body.substr(0, body.size() - 1) + R"(,"mock":{"ttft_ms":300,"fault":"error-after:0"}})";
  const auto results = at_once(h, 10, failing);
  BOOST_TEST(h.mock().stats().requests == 1u);
  for (const auto& r : results) {
    BOOST_TEST(r.status == results[0].status);
    BOOST_TEST(r.status >= 500u);
    BOOST_TEST(r.body.find("\"error\"") != std::string::npos);
  }
  // Nothing stored: the next one asks the provider again.
  BOOST_TEST(cache_header(ask(h, body)) == "miss");
  BOOST_TEST(h.mock().stats().requests == 2u);
}

BOOST_AUTO_TEST_CASE(a_hit_counts_against_the_keys_requests_but_takes_no_tokens) {
  GatewayHarness h({}, [](Config& c) {
    caching()(c);
    c.keys[0].limits.requests_per_minute = 4;
    c.keys[0].limits.tokens_per_minute = 600;  // refills 0.01 token a millisecond
  });
  auto tokens_left = [](const HttpResult& r) { return std::stoll(std::string(r.headers["x-ratelimit-remaining-tokens"])); };
  const auto body = body_for("fast", "limited", false);
  auto miss = ask(h, body);
  BOOST_REQUIRE_EQUAL(miss.status, 200u);
  auto hit = ask(h, body);
  BOOST_TEST(cache_header(hit) == "hit");
  auto hit2 = ask(h, body);
  // The miss used tokens; the hits took none (what a hit reserved at admission came back).
  BOOST_TEST(tokens_left(hit2) - tokens_left(hit) >= 0);
  BOOST_TEST(tokens_left(hit2) - tokens_left(hit) <= 1);  // (what refilled meanwhile)
  BOOST_TEST(std::string(hit2.headers["x-ratelimit-remaining-requests"]) == "1");
  BOOST_TEST(ask(h, body).status == 200u);
  auto refused = ask(h, body);  // the fifth request in the minute, hit or not
  BOOST_TEST(refused.status == 429u);
}

BOOST_AUTO_TEST_CASE(a_follower_that_leaves_and_a_leader_whose_client_leaves_leave_the_others_alone) {
  mock::MockOptions mo;
  mo.defaults.tokens = 30;
  mo.defaults.tokens_per_second = 100;  // 300 ms for the answer
  GatewayHarness h(mo, caching());
  const auto body = body_for("fast", "who leaves", true);
  h.run([&]() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    TestClient leader(ex), quitter(ex), stayer(ex);
    for (TestClient* c : {&leader, &quitter, &stayer}) {
      BOOST_REQUIRE(!co_await c->connect(h.port()));
      BOOST_REQUIRE(!co_await c->send(verb::post, "/v1/chat/completions", body, auth_headers()));
      BOOST_REQUIRE_EQUAL((co_await c->read_header()).status, 200u);
    }
    co_await quitter.read_body_until("\"content\":\"Hello\"");
    quitter.close();  // a follower leaves
    co_await leader.read_body_until("\"content\":\"Hello\"");
    leader.close();  // the leader's own client leaves
    const std::string rest = co_await stayer.read_body_until("[DONE]");
    auto answer = read_streamed_answer(rest);
    BOOST_TEST(answer.done);
    BOOST_TEST(answer.completion_tokens == 30);
    BOOST_TEST(answer.text.find("Hello from the Switchyard") == 0u);
  }());
  BOOST_TEST(h.mock().stats().requests == 1u);
  BOOST_TEST(h.mock().stats().peer_closed_mid_response == 0u);  // the provider's answer was read to its end
  // ... and stored: the next one is a hit.
  BOOST_TEST(cache_header(ask(h, body)) == "hit");
  BOOST_TEST(h.mock().stats().requests == 1u);
}

BOOST_AUTO_TEST_CASE(when_a_whole_answers_first_client_leaves_a_waiting_one_takes_over) {
  GatewayHarness h({}, caching());
  const std::string body = body_for("fast", "take over", false);
  const std::string slow = body.substr(0, body.size() - 1) + R"(,"mock":{"ttft_ms":300}})";
  h.run([&]() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    TestClient leader(ex), follower(ex);
    BOOST_REQUIRE(!co_await leader.connect(h.port()));
    BOOST_REQUIRE(!co_await leader.send(verb::post, "/v1/chat/completions", slow, auth_headers()));
    BOOST_REQUIRE(co_await eventually([&] { return h.mock().stats().requests == 1; }));
    BOOST_REQUIRE(!co_await follower.connect(h.port()));
    BOOST_REQUIRE(!co_await follower.send(verb::post, "/v1/chat/completions", slow, auth_headers()));
    BOOST_REQUIRE(co_await eventually([&] { return metric(metrics(h), "switchyard_cache_in_flight") == 1; }));
    leader.close();  // the leader's client leaves: its fetch is cancelled, the follower fetches again
    auto r = co_await follower.read_response();
    BOOST_TEST(r.status == 200u);
    BOOST_TEST(cache_header(r) == "miss");  // it fetched the answer itself
    BOOST_TEST(read_whole_answer(r.body).finish == "stop");
  }());
  BOOST_TEST(h.mock().stats().requests == 2u);
  BOOST_TEST(cache_header(ask(h, body)) == "hit");
  BOOST_TEST(h.mock().stats().requests == 2u);
}

BOOST_AUTO_TEST_CASE(when_every_reader_leaves_the_fetch_is_cancelled_and_nothing_stored) {
  mock::MockOptions mo;
  mo.defaults.tokens = 100;
  mo.defaults.tokens_per_second = 10;  // 10 s
  GatewayHarness h(mo, caching());
  if (h.workers() > 1) {  // the readers of one flight are on one worker; a request on another waits for the answer instead
    BOOST_TEST_MESSAGE("a flight's readers are one worker's: checked with one worker");
    return;
  }
  const auto body = body_for("fast", "everyone leaves", true);
  h.run([&]() -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    TestClient a(ex), b(ex);
    for (TestClient* c : {&a, &b}) {
      BOOST_REQUIRE(!co_await c->connect(h.port()));
      BOOST_REQUIRE(!co_await c->send(verb::post, "/v1/chat/completions", body, auth_headers()));
      BOOST_REQUIRE_EQUAL((co_await c->read_header()).status, 200u);
    }
    co_await a.read_body_until("\"content\":\"Hello\"");
    a.close();
    b.close();
    BOOST_TEST(co_await eventually([&] { return h.mock().open_connections() == 0; }, std::chrono::seconds(3)));
  }());
  BOOST_TEST(h.mock().stats().peer_closed_mid_response == 1u);
  BOOST_TEST(metric(metrics(h), "switchyard_cache_in_flight") == 0);
  BOOST_TEST(metric(metrics(h), "switchyard_cache_entries") == 0);
}

BOOST_AUTO_TEST_CASE(messages_and_responses_requests_are_cached_too) {
  GatewayHarness h({}, caching());
  auto call = [&](const std::string& path, const std::string& body) {
    return h.run(http_call(h.port(), verb::post, path, body, auth_headers()));
  };
  // /v1/messages to an anthropic target: passed through, stored as the provider's own answer.
  const std::string messages = R"({"model":"tools","max_tokens":50,"messages":[{"role":"user","content":"hi claude"}]})";
  auto first = call("/v1/messages", messages);
  BOOST_REQUIRE_EQUAL(first.status, 200u);
  auto second = call("/v1/messages", messages);
  BOOST_TEST(cache_header(second) == "hit");
  BOOST_TEST(second.body == first.body);
  BOOST_TEST(json::parse(second.body).at("type").as_string() == "message");
  // Asked for streamed, the stored message is served as Anthropic's own events.
  const std::string streamed = R"({"model":"tools","max_tokens":50,"stream":true,"messages":[{"role":"user","content":"hi claude"}]})";
  auto events = call("/v1/messages", streamed);
  BOOST_TEST(cache_header(events) == "hit");
  BOOST_TEST(events.body.find("event: message_stop") != std::string::npos);
  // /v1/responses to a chat target: the stored chat answer, written as a response again.
  const std::string responses = R"({"model":"fast","input":"hi responses","stream":true})";
  auto r1 = call("/v1/responses", responses);
  auto r2 = call("/v1/responses", responses);
  BOOST_TEST(cache_header(r1) == "miss");
  BOOST_TEST(cache_header(r2) == "hit");
  BOOST_TEST(r2.body.find("response.completed") != std::string::npos);
  auto text_of = [](const std::string& body) {  // the text of the output_text.done event
    for (const auto& data : sse_data(body)) {
      auto j = json::parse(data).as_object();
      if (j.at("type").as_string() == "response.output_text.done") return std::string(j.at("text").as_string());
    }
    return std::string();
  };
  BOOST_TEST(!text_of(r1.body).empty(), r1.body);
  BOOST_TEST(text_of(r2.body) == text_of(r1.body));
  BOOST_TEST(h.mock().stats().requests == 2u);
}

BOOST_AUTO_TEST_CASE(a_native_answer_stored_in_one_shape_is_served_in_the_other) {
  GatewayHarness h({}, [](Config& c) {
    caching()(c);
    ProviderConfig oai = c.providers[0];
    oai.name = "oai";
    oai.responses = true;  // /v1/responses passes through
    c.providers.push_back(oai);
    c.models.push_back(ModelRouteConfig{"resp", Strategy::failover, {TargetConfig{"oai", "mock-fast"}}});
    c.models.back().cache = true;
  });
  auto call = [&](const std::string& path, const std::string& body) {
    return h.run(http_call(h.port(), verb::post, path, body, auth_headers()));
  };
  auto message_text = [](const std::string& body) { return std::string(json::parse(body).at("content").as_array()[0].at("text").as_string()); };
  auto events_text = [](const std::string& body, const char* delta_type, const char* field) {
    std::string text;
    for (const auto& data : sse_data(body)) {
      auto j = json::parse(data).as_object();
      if (const auto* d = j.if_contains("delta"); d && d->is_object() && d->as_object().contains("type") &&
                                                  d->as_object().at("type").as_string() == delta_type) {
        text += std::string_view(d->as_object().at(field).as_string());
      }
    }
    return text;
  };
  auto only_events = [](const std::string& body) {  // every line an SSE field or blank: nothing else leaks in
    std::size_t at = 0;
    while (at < body.size()) {
      auto end = body.find('\n', at);
      if (end == std::string::npos) end = body.size();
      const std::string_view line(body.data() + at, end - at);
      if (!line.empty() && !line.starts_with("event: ") && !line.starts_with("data: ")) return std::string(line);
      at = end + 1;
    }
    return std::string();
  };
  const std::string ask_messages = R"({"model":"tools","max_tokens":50,"messages":[{"role":"user","content":"shapes one"}])";
  // A whole Messages answer stored, then asked for streamed: Anthropic's own events, a hit.
  auto whole = call("/v1/messages", ask_messages + "}");
  BOOST_REQUIRE_EQUAL(whole.status, 200u);
  BOOST_TEST(cache_header(whole) == "miss");
  auto events = call("/v1/messages", ask_messages + R"(,"stream":true})");
  BOOST_TEST(cache_header(events) == "hit");
  for (const char* e : {"event: message_start", "event: content_block_start", "event: content_block_delta", "event: content_block_stop",
                        "event: message_delta", "event: message_stop"}) {
    BOOST_TEST(events.body.find(e) != std::string::npos, e);
  }
  BOOST_TEST(events_text(events.body, "text_delta", "text") == message_text(whole.body));
  BOOST_TEST(only_events(events.body).empty(), only_events(events.body));
  // A stored Messages stream, asked for whole: the message it makes.
  const std::string ask_two = R"({"model":"tools","max_tokens":50,"messages":[{"role":"user","content":"shapes two"}])";
  auto streamed = call("/v1/messages", ask_two + R"(,"stream":true})");
  BOOST_TEST(cache_header(streamed) == "miss");
  auto assembled = call("/v1/messages", ask_two + "}");
  BOOST_TEST(cache_header(assembled) == "hit");
  BOOST_REQUIRE_EQUAL(assembled.status, 200u);
  BOOST_TEST(json::parse(assembled.body).at("type").as_string() == "message");
  BOOST_TEST(json::parse(assembled.body).at("stop_reason").is_string());
  BOOST_TEST(message_text(assembled.body) == events_text(streamed.body, "text_delta", "text"));
  // Responses passed through: a streamed miss carries the provider's events and nothing else
  // (a chat usage line leaked after response.completed); the whole request is a hit.
  auto r1 = call("/v1/responses", R"({"model":"resp","input":"shapes three","stream":true})");
  BOOST_REQUIRE_EQUAL(r1.status, 200u);
  BOOST_TEST(cache_header(r1) == "miss");
  BOOST_TEST(only_events(r1.body).empty(), only_events(r1.body));
  BOOST_TEST(r1.body.find("{\"choices\"") == std::string::npos, r1.body);
  auto r2 = call("/v1/responses", R"({"model":"resp","input":"shapes three"})");
  BOOST_TEST(cache_header(r2) == "hit");
  BOOST_REQUIRE_EQUAL(r2.status, 200u);
  BOOST_TEST(json::parse(r2.body).at("object").as_string() == "response");
  BOOST_TEST(json::parse(r2.body).at("status").as_string() == "completed");
  // And a whole response stored, asked for streamed: its semantic events.
  auto r3 = call("/v1/responses", R"({"model":"resp","input":"shapes four"})");
  BOOST_TEST(cache_header(r3) == "miss");
  auto r4 = call("/v1/responses", R"({"model":"resp","input":"shapes four","stream":true})");
  BOOST_TEST(cache_header(r4) == "hit");
  for (const char* e : {"event: response.created", "event: response.output_item.added", "event: response.output_text.delta",
                        "event: response.output_item.done", "event: response.completed"}) {
    BOOST_TEST(r4.body.find(e) != std::string::npos, e);
  }
  BOOST_TEST(only_events(r4.body).empty(), only_events(r4.body));
  BOOST_TEST(h.mock().stats().requests == 4u);
}

BOOST_AUTO_TEST_CASE(the_embedded_api_gets_the_same_cache) {
  GatewayHarness h({}, caching());
  Gateway& g = h.gateway();
  auto request = [](bool stream) {
    return ChatRequest{json::parse(body_for("fast", "embedded", stream)).as_object()};
  };
  auto first = h.run(g.chat(request(false)));
  BOOST_REQUIRE(first);
  BOOST_TEST((first->cache == CacheStatus::miss));
  auto second = h.run(g.chat(request(false)));
  BOOST_REQUIRE(second);
  BOOST_TEST((second->cache == CacheStatus::hit));
  BOOST_TEST(second->body == first->body);
  BOOST_TEST(second->cost_usd == 0);
  h.run([&]() -> asio::awaitable<void> {
    auto stream = co_await g.chat_stream(request(true));
    BOOST_REQUIRE(stream);
    BOOST_TEST((stream->cache() == CacheStatus::hit));
    std::string text;
    for (;;) {
      auto c = co_await stream->next();
      BOOST_REQUIRE(c);
      if (!*c) break;
      const auto j = json::parse(**c).as_object();
      if (j.at("choices").as_array().empty()) continue;
      const auto& d = j.at("choices").as_array()[0].at("delta").as_object();
      if (const auto* t = d.if_contains("content"); t && t->is_string()) text += t->as_string();
    }
    BOOST_TEST(text == json::parse(first->body).at("choices").as_array()[0].at("message").at("content").as_string());
  }());
  BOOST_TEST(h.mock().stats().requests == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
