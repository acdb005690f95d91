#define BOOST_TEST_MODULE openai_client
// Integration: usage through an OpenAI-type provider. The gateway always asks
// the upstream for stream usage, passes the usage chunk on only when the
// client asked, and counts the tokens either way.
#include <boost/test/unit_test.hpp>

#include <boost/json.hpp>

#include "support/gateway_harness.hpp"

using namespace switchyard;
using namespace switchyard::test;
using http::verb;
namespace json = boost::json;

namespace {
const std::string kCompletion = R"(switchyard_tokens_total{provider="mock",model="mock-fast",kind="completion"})";

int usage_chunks(const std::string& body) {
  int n = 0;
  for (const auto& data : sse_data(body)) {
    if (data != "[DONE]" && json::parse(data).at("choices").as_array().empty()) ++n;
  }
  return n;
}
}  // namespace

BOOST_AUTO_TEST_CASE(stream_usage_is_always_asked_for_and_passed_on_only_when_the_client_asked) {
  mock::MockOptions mo;
  mo.defaults.tokens = 4;
  GatewayHarness h(mo);
  auto quiet = h.run(http_call(h.port(), verb::post, "/v1/chat/completions", chat_body("fast", true), auth_headers()));
  BOOST_REQUIRE_EQUAL(quiet.status, 200u);
  BOOST_TEST(json::parse(h.mock().stats().last_body).at("stream_options").at("include_usage").as_bool());
  BOOST_TEST(usage_chunks(quiet.body) == 0);
  BOOST_TEST(sse_data(quiet.body).back() == "[DONE]");
  BOOST_TEST(metric(h.gateway().metrics_text(), kCompletion) == 4);

  auto asked = h.run(http_call(h.port(), verb::post, "/v1/chat/completions",
                               chat_body("fast", true, R"(,"stream_options":{"include_usage":true})"), auth_headers()));
  BOOST_REQUIRE_EQUAL(asked.status, 200u);
  BOOST_TEST(usage_chunks(asked.body) == 1);
  BOOST_TEST(metric(h.gateway().metrics_text(), kCompletion) == 8);

  // The client said false: still asked upstream, still not passed on.
  auto declined = h.run(http_call(h.port(), verb::post, "/v1/chat/completions",
                                  chat_body("fast", true, R"(,"stream_options":{"include_usage":false})"), auth_headers()));
  BOOST_TEST(usage_chunks(declined.body) == 0);
  BOOST_TEST(json::parse(h.mock().stats().last_body).at("stream_options").at("include_usage").as_bool());

  auto plain = h.run(http_call(h.port(), verb::post, "/v1/chat/completions", chat_body(), auth_headers()));
  BOOST_REQUIRE_EQUAL(plain.status, 200u);
  BOOST_TEST(metric(h.gateway().metrics_text(), kCompletion) == 16);
  BOOST_TEST(metric(h.gateway().metrics_text(), R"(switchyard_tokens_total{provider="mock",model="mock-fast",kind="prompt"})") > 0);
}

BOOST_AUTO_TEST_CASE(a_stream_cut_before_its_usage_report_counts_the_chunks_relayed) {
  GatewayHarness h;
  mock::MockBehaviour b;
  b.tokens = 10;
  BOOST_REQUIRE(mock::parse_fault("reset-after:3", b));
  h.mock().set_behaviour_for(std::string("Bearer ") + kProviderKey, b);
  auto cut = h.run(http_call(h.port(), verb::post, "/v1/chat/completions", chat_body("fast", true), auth_headers()));
  BOOST_TEST(cut.status == 200u);
  BOOST_TEST(cut.body.find("[DONE]") == std::string::npos);
  // role chunk + 3 words relayed, about a token each, no report came
  BOOST_TEST(metric(h.gateway().metrics_text(), kCompletion) == 4);
}

BOOST_AUTO_TEST_CASE(openrouter_keepalive_comments_never_reach_the_client) {
  GatewayHarness h;
  mock::MockBehaviour b;
  b.tokens = 3;
  b.comments = true;
  h.mock().set_behaviour_for(std::string("Bearer ") + kProviderKey, b);
  auto r = h.run(http_call(h.port(), verb::post, "/v1/chat/completions", chat_body("fast", true), auth_headers()));
  BOOST_REQUIRE_EQUAL(r.status, 200u);
  BOOST_TEST(r.body.find("OPENROUTER") == std::string::npos);
  const auto got = read_streamed_answer(r.body);
  BOOST_TEST(got.text == "Hello from the");
  BOOST_TEST(got.done);
}

BOOST_AUTO_TEST_CASE(spend_is_the_tokens_priced_with_the_routes_prices) {
  mock::MockOptions mo;
  mo.defaults.tokens = 4;
  GatewayHarness h(mo, [](Config& c) {
    c.models[0].targets[0].input_price = 2.5;    // $ per million prompt tokens
    c.models[0].targets[0].output_price = 10.0;  // $ per million completion tokens
  });
  auto plain = h.run(http_call(h.port(), verb::post, "/v1/chat/completions", chat_body(), auth_headers()));
  BOOST_REQUIRE_EQUAL(plain.status, 200u);
  const auto prompt = json::parse(plain.body).at("usage").at("prompt_tokens").as_int64();
  auto streamed = h.run(http_call(h.port(), verb::post, "/v1/chat/completions", chat_body("fast", true), auth_headers()));
  BOOST_REQUIRE_EQUAL(streamed.status, 200u);
  const double expected = 2 * (static_cast<double>(prompt) * 2.5 + 4 * 10.0) / 1e6;
  const double spent = metric(h.gateway().metrics_text(), R"(switchyard_cost_usd_total{provider="mock",model="mock-fast"})");
  BOOST_TEST(spent == expected, boost::test_tools::tolerance(1e-9));
}
