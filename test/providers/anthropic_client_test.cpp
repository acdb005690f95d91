#define BOOST_TEST_MODULE anthropic_client
// Integration: an OpenAI-shaped client → the gateway → a provider of type
// "anthropic" (the mock in Messages mode), streamed and not, with tools.
#include <boost/test/unit_test.hpp>

#include <boost/json.hpp>

#include "support/gateway_harness.hpp"

using namespace switchyard;
using namespace switchyard::test;
using http::verb;
namespace json = boost::json;

namespace {
auto anthropic = [](Config& c) {
  c.providers[0].type = ProviderType::anthropic;
  c.resilience.attempts_per_target = 1;
};
const std::string kTools = R"(,"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}])";
}  // namespace

BOOST_AUTO_TEST_CASE(non_streamed_through_the_messages_api) {
  mock::MockOptions mo;
  mo.defaults.tokens = 3;
  GatewayHarness h(mo, anthropic);
  auto r = h.run(http_call(h.port(), verb::post, "/v1/chat/completions",
                           R"({"model":"fast","max_tokens":100,"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"hello"}]})",
                           auth_headers()));
  BOOST_REQUIRE_EQUAL(r.status, 200u);
  auto j = json::parse(r.body).as_object();
  BOOST_TEST(j.at("object").as_string() == "chat.completion");
  BOOST_TEST(j.at("choices").as_array()[0].at("message").at("content").as_string() == "Hello from the");
  BOOST_TEST(j.at("choices").as_array()[0].at("finish_reason").as_string() == "stop");
  BOOST_TEST(j.at("usage").at("completion_tokens").as_int64() == 3);
  // what went upstream: the Messages shape, with Anthropic's headers
  const auto& seen = h.mock().stats();
  BOOST_TEST(seen.last_path == "/v1/messages");
  auto sent = json::parse(seen.last_body).as_object();
  BOOST_TEST(sent.at("system").as_string() == "Be brief.");
  BOOST_TEST(sent.at("model").as_string() == "mock-fast");
  BOOST_TEST(sent.at("max_tokens").as_int64() == 100);
  BOOST_TEST(seen.last_authorization == std::string("x-api-key ") + kProviderKey);  // x-api-key, not Authorization
}

BOOST_AUTO_TEST_CASE(streamed_with_a_tool_call_and_usage) {
  mock::MockOptions mo;
  mo.defaults.tokens = 2;
  GatewayHarness h(mo, anthropic);
  auto r = h.run(http_call(h.port(), verb::post, "/v1/chat/completions",
                           chat_body("fast", true, R"(,"stream_options":{"include_usage":true})" + kTools), auth_headers()));
  BOOST_REQUIRE_EQUAL(r.status, 200u);
  const auto got = read_streamed_answer(r.body);
  BOOST_TEST(got.text == "Hello from");
  BOOST_TEST(got.tool_name == "get_weather");
  BOOST_TEST(got.tool_args == R"({"city": "Paris"})");
  BOOST_TEST(got.finish == "tool_calls");
  BOOST_TEST(got.completion_tokens == 2);
  BOOST_TEST(r.body.substr(r.body.size() - 14) == "data: [DONE]\n\n");
}

BOOST_AUTO_TEST_CASE(anthropic_errors_map_and_an_error_event_breaks_the_stream_cleanly) {
  GatewayHarness h({}, [](Config& c) {
    anthropic(c);
    c.resilience.breaker_failures = 100;
  });
  // The "mock" body field does not survive translation: behaviours go by the provider key.
  const std::string who = std::string("x-api-key ") + kProviderKey;
  mock::MockBehaviour b;
  b.status = 529;
  h.mock().set_behaviour_for(who, b);
  auto overloaded = h.run(http_call(h.port(), verb::post, "/v1/chat/completions", chat_body(), auth_headers()));
  BOOST_TEST(overloaded.status == 503u);
  BOOST_TEST(overloaded.body.find("mock error with status 529") != std::string::npos);
  b.status = 400;
  h.mock().set_behaviour_for(who, b);
  auto bad = h.run(http_call(h.port(), verb::post, "/v1/chat/completions", chat_body(), auth_headers()));
  BOOST_TEST(bad.status == 400u);
  b.status = 200;
  BOOST_REQUIRE(mock::parse_fault("error-after:2", b));
  h.mock().set_behaviour_for(who, b);
  auto broken = h.run(http_call(h.port(), verb::post, "/v1/chat/completions", chat_body("fast", true), auth_headers()));
  BOOST_TEST(broken.status == 200u);
  BOOST_TEST(broken.body.find("Overloaded") != std::string::npos);
  BOOST_TEST(broken.body.find("[DONE]") == std::string::npos);
  auto invalid = h.run(http_call(h.port(), verb::post, "/v1/chat/completions", R"({"model":"fast","messages":[{"role":"tool","content":"x"}]})", auth_headers()));
  BOOST_TEST(invalid.status == 400u);
  BOOST_TEST(invalid.body.find("tool_call_id") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(prompt_caching_marks_survive_the_translation) {
  GatewayHarness h({}, anthropic);
  const std::string body = R"({"model":"fast","max_tokens":100,"messages":[
      {"role":"system","content":[{"type":"text","text":"Long rules.","cache_control":{"type":"ephemeral"}},{"type":"text","text":"More."}]},
      {"role":"user","content":[{"type":"text","text":"hi","cache_control":{"type":"ephemeral","ttl":"1h"}}]}],
      "tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}},"cache_control":{"type":"ephemeral"}}]})";
  auto first = h.run(http_call(h.port(), verb::post, "/v1/chat/completions", body, auth_headers()));
  BOOST_REQUIRE_EQUAL(first.status, 200u);
  const auto sent = json::parse(h.mock().stats().last_body).as_object();
  BOOST_TEST(sent.at("system") == json::parse(R"([{"type":"text","text":"Long rules.","cache_control":{"type":"ephemeral"}},{"type":"text","text":"More."}])"));
  BOOST_TEST(sent.at("messages").as_array()[0].at("content").as_array()[0].at("cache_control") == json::parse(R"({"type":"ephemeral","ttl":"1h"})"));
  BOOST_TEST(sent.at("tools").as_array()[0].at("cache_control") == json::parse(R"({"type":"ephemeral"})"));
  // The second call reads the cache: reported as cached prompt tokens.
  auto second = h.run(http_call(h.port(), verb::post, "/v1/chat/completions", body, auth_headers()));
  BOOST_REQUIRE_EQUAL(second.status, 200u);
  BOOST_TEST(json::parse(second.body).at("usage").at("prompt_tokens_details").at("cached_tokens").as_int64() == 1000);
}

BOOST_AUTO_TEST_CASE(reasoning_effort_becomes_thinking_and_thinking_comes_back_as_reasoning_content) {
  GatewayHarness h({}, anthropic);
  auto r = h.run(http_call(h.port(), verb::post, "/v1/chat/completions",
                           R"({"model":"fast","max_tokens":500,"temperature":0.2,"reasoning_effort":"low","messages":[{"role":"user","content":"think"}]})",
                           auth_headers()));
  BOOST_REQUIRE_EQUAL(r.status, 200u);
  const auto sent = json::parse(h.mock().stats().last_body).as_object();
  BOOST_TEST(sent.at("thinking") == json::parse(R"({"type":"enabled","budget_tokens":1024})"));
  BOOST_TEST(sent.at("max_tokens").as_int64() == 1024 + 500);  // the budget must fit under max_tokens
  BOOST_TEST(!sent.contains("temperature"));                   // Anthropic refuses sampling changes while thinking
  const auto msg = json::parse(r.body).at("choices").as_array()[0].at("message").as_object();
  BOOST_TEST(msg.at("reasoning_content").as_string() == "Let me think it over.");
  BOOST_TEST(msg.at("content").as_string().starts_with("Hello"));

  auto s = h.run(http_call(h.port(), verb::post, "/v1/chat/completions",
                           R"({"model":"fast","stream":true,"reasoning_effort":"high","messages":[{"role":"user","content":"think"}]})", auth_headers()));
  BOOST_REQUIRE_EQUAL(s.status, 200u);
  std::string reasoning;
  for (const auto& data : sse_data(s.body)) {
    if (data == "[DONE]") continue;
    const auto c = json::parse(data).as_object();
    if (c.at("choices").as_array().empty()) continue;
    if (const auto* rc = c.at("choices").as_array()[0].at("delta").as_object().if_contains("reasoning_content")) reasoning += rc->as_string();
  }
  BOOST_TEST(reasoning == "Let me think it over.");
  BOOST_TEST(read_streamed_answer(s.body).text.starts_with("Hello"));
}
